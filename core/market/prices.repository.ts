import type { TQueryable } from '../platform/db/tx.ts';

/** A close as stored (NUMERIC as its exact decimal string) on a UTC date. */
export type TDecimalClose = { date: string; price: string };

export type TPriceReader = ReturnType<typeof createPriceReader>;

/**
 * The market's read port for other features (portfolios, limits): prices as exact decimal strings,
 * by symbol. Daily closes are the last stored point (kind 'market': syncs, backfills, the seed; never a
 * tick point) of each UTC day, the points of GET …/history?interval=daily and of the risk engine.
 */
export function createPriceReader(db: TQueryable) {
  /** Each symbol's last stored price within a bound on "timestamp" ($2: the bound's value). */
  async function lastPrices(symbols: readonly string[], bound: string, value: Date | string) {
    const rows: { symbol: string; price: string }[] = await db.query(
      `SELECT c.symbol, p.price::text AS price
       FROM cryptocurrencies c
       CROSS JOIN LATERAL (
         SELECT price FROM price_history
         WHERE cryptocurrency_id = c.id AND kind = 'market' AND ${bound} ORDER BY "timestamp" DESC LIMIT 1) p
       WHERE c.symbol = ANY($1::text[])`,
      [symbols, value],
    );
    return new Map(rows.map((row) => [row.symbol, row.price]));
  }

  return {
    /** The known coins among `symbols` with their current price (null when none is stored). */
    async coins(symbols: readonly string[]): Promise<Map<string, { id: number; price: string | null }>> {
      const rows: { id: number; symbol: string; price: string | null }[] = await db.query(
        `SELECT id, symbol, current_price::text AS price FROM cryptocurrencies WHERE symbol = ANY($1::text[])`,
        [symbols],
      );
      return new Map(rows.map((row) => [row.symbol, { id: row.id, price: row.price }]));
    },

    /**
     * Daily closes of `symbols` on the dates from..to, plus the last close before `from` (so a value on
     * `from` can carry an earlier close forward), oldest first.
     */
    async dailyCloses(
      symbols: readonly string[],
      from: string,
      to: string,
    ): Promise<Map<string, TDecimalClose[]>> {
      const rows: { symbol: string; day: string; price: string }[] = await db.query(
        `SELECT c.symbol, d.day, d.price
         FROM cryptocurrencies c
         CROSS JOIN LATERAL (
           (SELECT to_char(("timestamp" AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, price::text AS price
            FROM price_history
            WHERE cryptocurrency_id = c.id AND kind = 'market' AND "timestamp" < $2::date AT TIME ZONE 'UTC'
            ORDER BY "timestamp" DESC LIMIT 1)
           UNION ALL
           (SELECT DISTINCT ON (day) to_char(day, 'YYYY-MM-DD'), price::text
            FROM (SELECT ("timestamp" AT TIME ZONE 'UTC')::date AS day, "timestamp", price
                  FROM price_history
                  WHERE cryptocurrency_id = c.id AND kind = 'market' AND "timestamp" >= $2::date AT TIME ZONE 'UTC'
                    AND "timestamp" < ($3::date + 1) AT TIME ZONE 'UTC') points
            ORDER BY day, "timestamp" DESC)
         ) d
         WHERE c.symbol = ANY($1::text[])
         ORDER BY c.symbol, d.day`,
        [symbols, from, to],
      );
      const closes = new Map<string, TDecimalClose[]>();
      for (const row of rows) {
        let series = closes.get(row.symbol);
        if (!series) closes.set(row.symbol, (series = []));
        series.push({ date: row.day, price: row.price });
      }
      return closes;
    },

    /** The last stored price of each of `symbols` at or before `at` (for changes over a window). */
    pricesAt: (symbols: readonly string[], at: Date) => lastPrices(symbols, '"timestamp" <= $2', at),

    /** Each symbol's close in effect at the end of `day` (its last stored point up to then). */
    closesOn: (symbols: readonly string[], day: string) =>
      lastPrices(symbols, `"timestamp" < ($2::date + 1) AT TIME ZONE 'UTC'`, day),
  };
}
