import type { DataSource } from 'typeorm';
import { queryWithin } from '../platform/db/bounded-query.ts';
import type { TDeadline } from '../platform/deadline.ts';
import type { TClose } from './risk-math.ts';

type TRiskMetricsRow = {
  cryptocurrency_id: number;
  window_days: number;
  benchmark_symbol: string;
  window_end: string;
  observations: number;
  metrics: Record<string, unknown>;
  risk_score: number;
  risk_level: string;
  data_last_timestamp: Date;
  benchmark_last_timestamp: Date | null;
  computed_at: Date;
};

export type TDailyClose = TClose & { market_cap: number | null; total_volume: number | null };

/** A coin's daily closes in a window, and the timestamp of the newest point they come from. */
export type TCoinCloses = { closes: TDailyClose[]; last: Date };

const num = (value: string | null) => (value === null ? null : Number(value));

export type TRiskRepository = ReturnType<typeof createRiskRepository>;

export function createRiskRepository(db: DataSource) {
  return {
    /**
     * Daily closes on the UTC dates from..to (inclusive): the last stored point of each day (kind
     * 'market': tick points never make a daily close), exactly
     * the points GET …/history?interval=daily returns. One index range scan.
     */
    async dailyCloses(cryptocurrencyId: number, from: string, to: string): Promise<TDailyClose[]> {
      const rows: { day: string; price: string; market_cap: string | null; total_volume: string | null }[] =
        await db.query(
          `SELECT DISTINCT ON (day) to_char(day, 'YYYY-MM-DD') AS day, price, market_cap, total_volume
         FROM (SELECT ("timestamp" AT TIME ZONE 'UTC')::date AS day, "timestamp", price, market_cap, total_volume
               FROM price_history
               WHERE cryptocurrency_id = $1 AND kind = 'market' AND "timestamp" >= $2::date AT TIME ZONE 'UTC'
                 AND "timestamp" < ($3::date + 1) AT TIME ZONE 'UTC') points
         ORDER BY day, "timestamp" DESC`,
          [cryptocurrencyId, from, to],
        );
      return rows.map((row) => ({
        date: row.day,
        price: Number(row.price),
        market_cap: num(row.market_cap),
        total_volume: num(row.total_volume),
      }));
    },

    /**
     * The daily closes of many coins on the UTC dates from..to, in one query (the same points as
     * dailyCloses, coin by coin), within the caller's time budget. Coins without a point are absent.
     */
    async dailyClosesOf(
      cryptocurrencyIds: number[],
      from: string,
      to: string,
      deadline?: TDeadline,
    ): Promise<Map<number, TCoinCloses>> {
      // Numbers as float8 and the time as epoch milliseconds: the same doubles as parsing NUMERIC text (both
      // round correctly), at a fraction of the driver's parsing cost over tens of thousands of rows.
      const rows: {
        cryptocurrency_id: number;
        date: string;
        at: number;
        price: number;
        market_cap: number | null;
        total_volume: number | null;
      }[] = await queryWithin(
        db,
        deadline,
        // Sorted by the date itself (the output's text form is named `date`, so `day` here is the date).
        `SELECT DISTINCT ON (cryptocurrency_id, day) cryptocurrency_id, to_char(day, 'YYYY-MM-DD') AS date,
           floor(extract(epoch FROM "timestamp") * 1000)::float8 AS at, price::float8 AS price,
           market_cap::float8 AS market_cap, total_volume::float8 AS total_volume
         FROM (SELECT cryptocurrency_id, ("timestamp" AT TIME ZONE 'UTC')::date AS day, "timestamp", price, market_cap, total_volume
               FROM price_history
               WHERE cryptocurrency_id = ANY($1::int[]) AND kind = 'market' AND "timestamp" >= $2::date AT TIME ZONE 'UTC'
                 AND "timestamp" < ($3::date + 1) AT TIME ZONE 'UTC') points
         ORDER BY cryptocurrency_id, day, "timestamp" DESC`,
        [cryptocurrencyIds, from, to],
      );
      const byCoin = new Map<number, TCoinCloses>();
      for (const row of rows) {
        let coin = byCoin.get(row.cryptocurrency_id);
        if (!coin) byCoin.set(row.cryptocurrency_id, (coin = { closes: [], last: new Date(row.at) }));
        coin.closes.push({
          date: row.date,
          price: row.price,
          market_cap: row.market_cap,
          total_volume: row.total_volume,
        });
        coin.last = new Date(row.at);
      }
      return byCoin;
    },

    /** The newest stored point on or before the end of `to` (what a precomputed row must match). */
    async lastTimestamp(cryptocurrencyId: number, to: string): Promise<Date | null> {
      const [row] = await db.query(
        `SELECT "timestamp" FROM price_history WHERE cryptocurrency_id = $1 AND kind = 'market' AND "timestamp" < ($2::date + 1) AT TIME ZONE 'UTC'
         ORDER BY "timestamp" DESC LIMIT 1`,
        [cryptocurrencyId, to],
      );
      return (row?.timestamp as Date | undefined) ?? null;
    },

    async coinsBySymbol(symbols: string[]): Promise<{ id: number; symbol: string }[]> {
      return db.query('SELECT id, symbol FROM cryptocurrencies WHERE symbol = ANY($1::text[])', [symbols]);
    },

    async allCoins(): Promise<{ id: number; symbol: string }[]> {
      return db.query('SELECT id, symbol FROM cryptocurrencies ORDER BY market_cap DESC NULLS LAST, id');
    },

    async precomputed(cryptocurrencyIds: number[]): Promise<Map<number, TRiskMetricsRow>> {
      const rows: TRiskMetricsRow[] = await db.query(
        `SELECT *, to_char(window_end, 'YYYY-MM-DD') AS window_end FROM risk_metrics WHERE cryptocurrency_id = ANY($1::int[])`,
        [cryptocurrencyIds],
      );
      return new Map(rows.map((row) => [row.cryptocurrency_id, row]));
    },

    async savePrecomputed(
      row: Omit<TRiskMetricsRow, 'computed_at'> & { computed_at: string },
    ): Promise<void> {
      await db.query(
        `INSERT INTO risk_metrics (cryptocurrency_id, window_days, benchmark_symbol, window_end, observations, metrics,
           risk_score, risk_level, data_last_timestamp, benchmark_last_timestamp, computed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (cryptocurrency_id) DO UPDATE SET window_days = EXCLUDED.window_days,
           benchmark_symbol = EXCLUDED.benchmark_symbol, window_end = EXCLUDED.window_end,
           observations = EXCLUDED.observations, metrics = EXCLUDED.metrics, risk_score = EXCLUDED.risk_score,
           risk_level = EXCLUDED.risk_level, data_last_timestamp = EXCLUDED.data_last_timestamp,
           benchmark_last_timestamp = EXCLUDED.benchmark_last_timestamp, computed_at = EXCLUDED.computed_at`,
        [
          row.cryptocurrency_id,
          row.window_days,
          row.benchmark_symbol,
          row.window_end,
          row.observations,
          JSON.stringify(row.metrics),
          row.risk_score,
          row.risk_level,
          row.data_last_timestamp,
          row.benchmark_last_timestamp,
          row.computed_at,
        ],
      );
    },
  };
}
