import type { TQueryable } from '../platform/db/tx.ts';
import type { TLimit } from './limits.ts';

/** A portfolio's target weights and risk limits: each replaced whole by its PUT, under the portfolio's lock. */
export async function readTargets(q: TQueryable, portfolioId: string): Promise<Map<string, string>> {
  const rows: { symbol: string; weight: string }[] = await q.query(
    'SELECT symbol, trim_scale(weight)::text AS weight FROM portfolio_targets WHERE portfolio_id = $1 ORDER BY symbol',
    [portfolioId],
  );
  return new Map(rows.map((row) => [row.symbol, row.weight]));
}

export async function replaceTargets(
  q: TQueryable,
  portfolioId: string,
  weights: ReadonlyMap<string, string>,
): Promise<void> {
  await q.query('DELETE FROM portfolio_targets WHERE portfolio_id = $1', [portfolioId]);
  await q.query(
    `INSERT INTO portfolio_targets (portfolio_id, symbol, weight)
     SELECT $1, symbol, weight FROM unnest($2::text[], $3::numeric[]) AS t(symbol, weight)`,
    [portfolioId, [...weights.keys()], [...weights.values()]],
  );
}

/** A portfolio's limits in the order they were set. */
export async function readLimits(q: TQueryable, portfolioId: string): Promise<TLimit[]> {
  return q.query(
    `SELECT id, type, symbol, trim_scale(value)::text AS value, hard FROM portfolio_limits
     WHERE portfolio_id = $1 ORDER BY position`,
    [portfolioId],
  );
}

export async function replaceLimits(
  q: TQueryable,
  portfolioId: string,
  limits: readonly Omit<TLimit, 'id'>[],
): Promise<TLimit[]> {
  await q.query('DELETE FROM portfolio_limits WHERE portfolio_id = $1', [portfolioId]);
  await q.query(
    `INSERT INTO portfolio_limits (portfolio_id, position, type, symbol, value, hard)
     SELECT $1, position, type, symbol, value, hard
     FROM unnest($2::int[], $3::text[], $4::text[], $5::numeric[], $6::boolean[]) AS t(position, type, symbol, value, hard)`,
    [
      portfolioId,
      limits.map((_, index) => index),
      limits.map((limit) => limit.type),
      limits.map((limit) => limit.symbol),
      limits.map((limit) => limit.value),
      limits.map((limit) => limit.hard),
    ],
  );
  return readLimits(q, portfolioId);
}
