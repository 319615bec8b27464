import type { DataSource, EntityManager } from 'typeorm';

/** What a repository function runs its SQL on: the data source, or a transaction in progress. */
export type TQueryable = Pick<EntityManager, 'query'>;

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction did nothing and may run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

function retryable(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.driverError?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/**
 * Runs `work` in one transaction. Repository functions take the `tx` they are given, so that, for
 * example, an audit row commits or rolls back with the change it records. A transaction PostgreSQL
 * aborted as a deadlock victim or serialization failure rolled back whole, so it runs again (at most
 * three times, after a short random pause) rather than surfacing as a 500.
 */
export async function inTransaction<T>(db: DataSource, work: (tx: TQueryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((manager) => work(manager));
    } catch (error) {
      if (attempt >= ATTEMPTS || !retryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

/**
 * The RETURNING rows of an UPDATE or DELETE. TypeORM answers those two commands with
 * `[rows, rowCount]` rather than the rows it returns for every other statement.
 */
export async function changedRows<T>(q: TQueryable, sql: string, parameters: unknown[]): Promise<T[]> {
  const [rows]: [T[], number] = await q.query(sql, parameters);
  return rows;
}

/**
 * Serialises, until the transaction ends, every transaction that takes the same lock (a quota check of
 * one owner, say): count-then-insert under it cannot run past the quota however many requests race.
 * A transaction-level advisory lock on a 64-bit hash of `key`; no row is locked.
 */
export async function lockKey(tx: TQueryable, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}
