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
