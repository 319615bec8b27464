import type { DataSource } from 'typeorm';
import { checkDeadline, deadlineExceeded, remainingMs, type TDeadline } from '../deadline.ts';

/**
 * One read whose PostgreSQL statement_timeout is the caller's remaining time budget (set for its own
 * transaction only), so that a query still running when the request gives up is cancelled by the
 * server instead of holding a connection and a core until DATABASE_STATEMENT_TIMEOUT_MS.
 */
export async function queryWithin<T>(
  db: DataSource,
  deadline: TDeadline | undefined,
  sql: string,
  parameters: unknown[],
): Promise<T> {
  checkDeadline(deadline);
  const budget = remainingMs(deadline);
  if (budget === undefined) return db.query(sql, parameters);
  try {
    return await db.transaction(async (tx) => {
      // The lower of the budget left and the configured statement_timeout (0: none).
      await tx.query(
        `SELECT set_config('statement_timeout', (CASE WHEN now_ms = 0 THEN $1 ELSE least(now_ms, $1) END)::text, true)
         FROM (SELECT (extract(epoch FROM current_setting('statement_timeout')::interval) * 1000)::bigint AS now_ms) setting`,
        [Math.ceil(budget)],
      );
      return tx.query(sql, parameters);
    });
  } catch (error) {
    // Cancelled at the deadline (SQLSTATE 57014, query_canceled): the deadline's problem, not a database failure.
    checkDeadline(deadline);
    const code = (error as { driverError?: { code?: string } }).driverError?.code;
    if (code === '57014' && deadline!.at - Date.now() < 100) throw deadlineExceeded(deadline!.budgetMs);
    throw error;
  }
}
