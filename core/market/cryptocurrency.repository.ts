import type { DataSource } from 'typeorm';
import { ZCoinSummary, type TCoin, type TCoinRow, type TCoinSummary } from './coin.ts';
import type {
  TCategory,
  THistoryPoint,
  THistoryQuery,
  TListQuery,
  TOrder,
  TSortField,
} from './market.types.ts';

const num = (value: string | null): number | null => (value === null ? null : Number(value));
const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

// The listing's columns are the summary schema's fields (core/market/coin.ts).
const SUMMARY_COLUMNS = Object.keys(ZCoinSummary.shape).join(', ');

// Whitelisted ORDER BY expressions: user input never reaches the SQL text.
const SORT_SQL: Record<TSortField, string> = {
  market_cap: 'market_cap',
  current_price: 'current_price',
  total_volume: 'total_volume',
  price_change_percentage_24h: 'price_change_percentage_24h',
  market_cap_rank: 'market_cap_rank',
  name: 'lower(name)',
  symbol: 'symbol',
};

function toSummary(row: TCoinRow): TCoinSummary {
  return {
    id: row.id,
    symbol: row.symbol,
    name: row.name,
    slug: row.slug,
    coingecko_id: row.coingecko_id,
    cmc_id: row.cmc_id,
    market_cap_rank: row.market_cap_rank,
    current_price: num(row.current_price),
    market_cap: num(row.market_cap),
    fully_diluted_valuation: num(row.fully_diluted_valuation),
    total_volume: num(row.total_volume),
    high_24h: num(row.high_24h),
    low_24h: num(row.low_24h),
    price_change_24h: num(row.price_change_24h),
    price_change_percentage_1h: num(row.price_change_percentage_1h),
    price_change_percentage_24h: num(row.price_change_percentage_24h),
    price_change_percentage_7d: num(row.price_change_percentage_7d),
    price_change_percentage_30d: num(row.price_change_percentage_30d),
    circulating_supply: num(row.circulating_supply),
    total_supply: num(row.total_supply),
    max_supply: num(row.max_supply),
    ath: num(row.ath),
    ath_date: iso(row.ath_date),
    ath_change_percentage: num(row.ath_change_percentage),
    atl: num(row.atl),
    atl_date: iso(row.atl_date),
    image_url: row.image_url,
    categories: row.categories,
    last_updated: iso(row.last_updated),
  };
}

function toCoin(row: TCoinRow): TCoin {
  return {
    ...toSummary(row),
    website_url: row.website_url,
    description: row.description,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (char) => `\\${char}`);

export type TCryptocurrencyRepository = ReturnType<typeof createCryptocurrencyRepository>;

export function createCryptocurrencyRepository(db: DataSource) {
  return {
    async list(query: TListQuery): Promise<{ rows: TCoinSummary[]; total: number }> {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.symbols?.length) {
        params.push(query.symbols);
        where.push(`symbol = ANY($${params.length}::text[])`);
      }
      if (query.search) {
        params.push(`%${escapeLike(query.search)}%`);
        where.push(`(name ILIKE $${params.length} OR symbol ILIKE $${params.length})`);
      }
      if (query.category) {
        params.push([query.category]);
        where.push(`categories @> $${params.length}::text[]`);
      }
      const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
      params.push(query.limit, query.offset);
      const rows: (TCoinRow & { total: string })[] = await db.query(
        `SELECT ${SUMMARY_COLUMNS}, count(*) OVER () AS total FROM cryptocurrencies ${whereSql}
         ORDER BY ${orderBy(query.sort_by, query.order)}
         LIMIT $${params.length - 1} OFFSET $${params.length}`,
        params,
      );
      let total = rows.length ? Number(rows[0]!.total) : 0;
      if (!rows.length && query.offset > 0) {
        const [count] = await db.query(
          `SELECT count(*) AS n FROM cryptocurrencies ${whereSql}`,
          params.slice(0, -2),
        );
        total = Number(count.n);
      }
      return { rows: rows.map(toSummary), total };
    },

    async findBySymbol(symbol: string): Promise<TCoin | null> {
      const rows: TCoinRow[] = await db.query(`SELECT * FROM cryptocurrencies WHERE symbol = $1`, [symbol]);
      return rows[0] ? toCoin(rows[0]) : null;
    },

    async findIdBySymbol(symbol: string): Promise<number | null> {
      const rows: { id: number }[] = await db.query(`SELECT id FROM cryptocurrencies WHERE symbol = $1`, [
        symbol,
      ]);
      return rows[0]?.id ?? null;
    },

    async top(kind: 'gainers' | 'losers' | 'volume' | 'market_cap', limit: number): Promise<TCoinSummary[]> {
      const sql = {
        gainers:
          'WHERE price_change_percentage_24h IS NOT NULL ORDER BY price_change_percentage_24h DESC, id',
        losers: 'WHERE price_change_percentage_24h IS NOT NULL ORDER BY price_change_percentage_24h ASC, id',
        volume: 'WHERE total_volume IS NOT NULL ORDER BY total_volume DESC, id',
        market_cap: 'WHERE market_cap IS NOT NULL ORDER BY market_cap DESC, id',
      }[kind];
      const rows: TCoinRow[] = await db.query(
        `SELECT ${SUMMARY_COLUMNS} FROM cryptocurrencies ${sql} LIMIT $1`,
        [limit],
      );
      return rows.map(toSummary);
    },

    async topInCategory(slug: string, limit: number): Promise<TCoinSummary[]> {
      const rows: TCoinRow[] = await db.query(
        `SELECT ${SUMMARY_COLUMNS} FROM cryptocurrencies WHERE categories @> $1::text[]
         ORDER BY market_cap DESC NULLS LAST, id LIMIT $2`,
        [[slug], limit],
      );
      return rows.map(toSummary);
    },

    async listCategories(): Promise<TCategory[]> {
      return db.query(`SELECT slug, name FROM categories ORDER BY slug`);
    },

    /**
     * One index range scan on (cryptocurrency_id, timestamp), read in the requested order, so the cost
     * is O(log n + rows read). For hourly/daily the window function marks the last point of each UTC
     * bucket while streaming, which lets LIMIT stop the scan early.
     */
    async history(cryptocurrencyId: number, query: THistoryQuery): Promise<THistoryPoint[]> {
      const params: unknown[] = [cryptocurrencyId];
      const range: string[] = ['cryptocurrency_id = $1'];
      // Daily closes are made of the market points only (as the risk engine's); raw and hourly show the
      // tick points too (one per TICK_HISTORY_RESOLUTION_SECONDS, thinned to hourly after TICK_HISTORY_RAW_DAYS).
      if (query.interval === 'daily') range.push(`kind = 'market'`);
      if (query.from) {
        params.push(query.from);
        range.push(`"timestamp" >= $${params.length}`);
      }
      if (query.to) {
        params.push(query.to);
        range.push(`"timestamp" <= $${params.length}`);
      }
      params.push(query.limit);
      const limit = `$${params.length}`;
      const direction = query.order === 'asc' ? 'ASC' : 'DESC';
      let sql: string;
      if (query.interval === 'raw') {
        sql = `SELECT "timestamp", price, market_cap, total_volume FROM price_history
               WHERE ${range.join(' AND ')} ORDER BY "timestamp" ${direction} LIMIT ${limit}`;
      } else {
        const unit = query.interval === 'hourly' ? 'hour' : 'day';
        const bucket = `date_trunc('${unit}', "timestamp", 'UTC')`;
        // Descending: a row starts a new bucket when the previous (later) row is in another bucket.
        // Ascending: a row ends its bucket when the next (later) row is in another bucket.
        const neighbour = query.order === 'asc' ? 'lead' : 'lag';
        sql = `SELECT "timestamp", price, market_cap, total_volume FROM (
                 SELECT "timestamp", price, market_cap, total_volume, ${bucket} AS bucket,
                        ${neighbour}(${bucket}) OVER (ORDER BY "timestamp" ${direction}) AS neighbour_bucket
                 FROM price_history WHERE ${range.join(' AND ')}
                 ORDER BY "timestamp" ${direction}
               ) points
               WHERE neighbour_bucket IS DISTINCT FROM bucket
               ORDER BY "timestamp" ${direction} LIMIT ${limit}`;
      }
      const rows: {
        timestamp: Date;
        price: string;
        market_cap: string | null;
        total_volume: string | null;
      }[] = await db.query(sql, params);
      return rows.map((row) => ({
        timestamp: row.timestamp.toISOString(),
        price: Number(row.price),
        market_cap: num(row.market_cap),
        total_volume: num(row.total_volume),
      }));
    },
  };
}

function orderBy(field: TSortField, order: TOrder): string {
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  return `${SORT_SQL[field]} ${direction} NULLS LAST, id ASC`;
}
