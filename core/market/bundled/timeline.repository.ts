import type { EntityManager } from 'typeorm';
import type { TTimeline } from './timeline.ts';

type TQueryable = Pick<EntityManager, 'query'>;

/** The stored timeline of this database's offline market, if the bundled data was seeded. */
export async function readTimeline(db: TQueryable): Promise<TTimeline | null> {
  const rows: { shift_days: number; recorded_first: string; recorded_last: string; anchored_at: Date }[] =
    await db.query(
      `SELECT shift_days, recorded_first::text, recorded_last::text, anchored_at FROM market_timeline`,
    );
  const row = rows[0];
  return row ? { ...row, anchored_at: row.anchored_at.toISOString() } : null;
}

export async function saveTimeline(db: TQueryable, timeline: TTimeline): Promise<void> {
  await db.query(
    `INSERT INTO market_timeline (singleton, shift_days, recorded_first, recorded_last, anchored_at)
     VALUES (true, $1, $2, $3, $4)
     ON CONFLICT (singleton) DO UPDATE SET shift_days = EXCLUDED.shift_days,
       recorded_first = EXCLUDED.recorded_first, recorded_last = EXCLUDED.recorded_last,
       anchored_at = EXCLUDED.anchored_at`,
    [timeline.shift_days, timeline.recorded_first, timeline.recorded_last, timeline.anchored_at],
  );
}
