import type { DataSource } from 'typeorm';

const DAY_MS = 86_400_000;
export const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
/** The UTC date `days` before today (0: today). */
export const daysAgo = (days: number) => isoDay(Date.now() - days * DAY_MS);

/**
 * Coins with one price point per day (at 23:00 UTC, so it is that day's close) from `days` ago to
 * today, priced by `price(dayIndex)` (index 0 is the oldest day), the current price being today's.
 */
export async function seedDailyPrices(
  db: DataSource,
  coins: Record<string, (index: number) => string>,
  days: number,
): Promise<void> {
  for (const [symbol, price] of Object.entries(coins)) {
    const dates = Array.from({ length: days + 1 }, (_, index) => daysAgo(days - index));
    const prices = dates.map((_, index) => price(index));
    const [{ id }] = await db.query(
      `INSERT INTO cryptocurrencies (symbol, name, slug, current_price) VALUES ($1::varchar, $1::text, lower($1::text), $2::numeric) RETURNING id`,
      [symbol, prices.at(-1)],
    );
    await db.query(
      `INSERT INTO price_history (cryptocurrency_id, "timestamp", price)
       SELECT $1, (d::date + time '23:00') AT TIME ZONE 'UTC', p
       FROM unnest($2::date[], $3::numeric[]) AS t(d, p)`,
      [id, dates, prices],
    );
  }
}
