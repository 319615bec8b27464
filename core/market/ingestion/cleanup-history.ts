import type { DataSource } from 'typeorm';

export type TCleanupInput = { retention_days: number; batch_size: number; as_of: string };
export type TCleanupResult = { deleted: number; batches: number; cutoff: string };

/**
 * Deletes history older than the retention in bounded batches (short transactions, no long locks on
 * a table the API reads); stops when a batch comes back short.
 */
export async function cleanupHistory(db: DataSource, input: TCleanupInput): Promise<TCleanupResult> {
  const cutoff = new Date(new Date(input.as_of).getTime() - input.retention_days * 86_400_000);
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const [, count] = (await db.query(
      `DELETE FROM price_history WHERE ctid IN (
         SELECT ctid FROM price_history WHERE "timestamp" < $1 LIMIT $2)`,
      [cutoff, input.batch_size],
    )) as [unknown, number];
    batches += 1;
    deleted += count;
    if (count < input.batch_size) break;
  }
  return { deleted, batches, cutoff: cutoff.toISOString() };
}

export type TThinInput = { raw_days: number; as_of: string; max_batches?: number };
export type TThinResult = { deleted: number; kept: number; batches: number; cutoff: string };

const HOUR_MS = 3_600_000;
/** Hours of raw ticks one batch thins: at 1/min that is 1,440 rows per coin, one short transaction. */
const THIN_BATCH_HOURS = 24;

/**
 * Thins the live ticker's raw points (kind 'tick') older than `raw_days` to one per coin per UTC hour:
 * the last of the hour stays (as 'tick_hourly', so an hourly close reads the same before and after),
 * the others go. One batch is one statement over at most THIN_BATCH_HOURS whole hours, oldest first,
 * found through the partial index of raw ticks; the cutoff is on an hour boundary, so an hour is thinned
 * whole, once. Idempotent: a second run finds no raw tick before the cutoff. Market points (kind
 * 'market': syncs, backfills, the seed) are never touched.
 */
export async function thinTicks(db: Pick<DataSource, 'query'>, input: TThinInput): Promise<TThinResult> {
  const asOf = new Date(input.as_of).getTime();
  const cutoff = new Date(Math.floor((asOf - input.raw_days * 86_400_000) / HOUR_MS) * HOUR_MS);
  let [deleted, kept, batches] = [0, 0, 0];
  while (batches < (input.max_batches ?? 10_000)) {
    const [oldest] = (await db.query(
      `SELECT min("timestamp") AS at FROM price_history WHERE kind = 'tick' AND "timestamp" < $1`,
      [cutoff],
    )) as { at: Date | null }[];
    if (!oldest?.at) break;
    const from = new Date(Math.floor(oldest.at.getTime() / HOUR_MS) * HOUR_MS);
    const to = new Date(Math.min(from.getTime() + THIN_BATCH_HOURS * HOUR_MS, cutoff.getTime()));
    const [counts] = (await db.query(
      `WITH raw AS (
         SELECT ctid AS row_id, row_number() OVER (
                  PARTITION BY cryptocurrency_id, date_trunc('hour', "timestamp", 'UTC')
                  ORDER BY "timestamp" DESC) AS place
         FROM price_history WHERE kind = 'tick' AND "timestamp" >= $1 AND "timestamp" < $2
       ), kept AS (
         UPDATE price_history p SET kind = 'tick_hourly' FROM raw
         WHERE p.ctid = raw.row_id AND raw.place = 1 RETURNING 1
       ), gone AS (
         DELETE FROM price_history p USING raw WHERE p.ctid = raw.row_id AND raw.place > 1 RETURNING 1
       )
       SELECT (SELECT count(*) FROM kept)::int AS kept, (SELECT count(*) FROM gone)::int AS deleted`,
      [from, to],
    )) as { kept: number; deleted: number }[];
    batches += 1;
    kept += counts!.kept;
    deleted += counts!.deleted;
  }
  return { deleted, kept, batches, cutoff: cutoff.toISOString() };
}
