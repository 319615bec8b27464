import type { EntityManager } from 'typeorm';
import type { TCoinUpsert } from './coin.ts';

export type THistoryInsert = {
  cryptocurrency_id: number;
  timestamp: Date;
  price: number;
  market_cap: number | null;
  total_volume: number | null;
};

type TQueryable = Pick<EntityManager, 'query'>;

const MARKET_COLUMNS = [
  ['market_cap_rank', 'integer'],
  ['current_price', 'numeric'],
  ['market_cap', 'numeric'],
  ['fully_diluted_valuation', 'numeric'],
  ['total_volume', 'numeric'],
  ['high_24h', 'numeric'],
  ['low_24h', 'numeric'],
  ['price_change_24h', 'numeric'],
  ['price_change_percentage_1h', 'numeric'],
  ['price_change_percentage_24h', 'numeric'],
  ['price_change_percentage_7d', 'numeric'],
  ['price_change_percentage_30d', 'numeric'],
  ['circulating_supply', 'numeric'],
  ['total_supply', 'numeric'],
  ['max_supply', 'numeric'],
  ['ath', 'numeric'],
  ['ath_date', 'timestamptz'],
  ['ath_change_percentage', 'numeric'],
  ['atl', 'numeric'],
  ['atl_date', 'timestamptz'],
  ['last_updated', 'timestamptz'],
] as const;
const DESCRIPTIVE_COLUMNS = [
  ['coingecko_id', 'text'],
  ['cmc_id', 'integer'],
  ['image_url', 'text'],
  ['website_url', 'text'],
  ['description', 'text'],
] as const;
const ALL_COLUMNS = [
  ['symbol', 'text'],
  ['name', 'text'],
  ['slug', 'text'],
  ...DESCRIPTIVE_COLUMNS,
  ...MARKET_COLUMNS,
  ['categories', 'text[]'],
] as const;

/**
 * Inserts or updates many coins with a few set-based statements (jsonb_to_recordset over one parameter)
 * and returns symbol -> id. A field the provider did not send (`undefined`, absent from the JSON) keeps
 * its stored value; descriptive fields are never blanked by a provider that lacks them.
 */
export async function upsertCoins(db: TQueryable, coins: TCoinUpsert[]): Promise<Map<string, number>> {
  if (!coins.length) return new Map();
  const records = [...dedupe(coins).values()].map((coin) => ({ ...coin, has: Object.keys(coin) }));
  const payload = JSON.stringify(records);
  const recordType = [...ALL_COLUMNS.map(([name, type]) => `${name} ${type}`), 'has text[]'].join(', ');
  const input = `SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(${recordType})`;
  // A provider id seen under a new symbol is a rename upstream (MATIC -> POL keeps matic-network): the
  // existing row takes the new symbol, keeping its id and history, when that symbol is still free.
  for (const idColumn of ['coingecko_id', 'cmc_id']) {
    await db.query(
      `WITH x AS (${input})
       UPDATE cryptocurrencies c SET symbol = x.symbol, updated_at = now()
       FROM x
       WHERE x.${idColumn} IS NOT NULL AND c.${idColumn} = x.${idColumn} AND c.symbol <> x.symbol
         AND NOT EXISTS (SELECT 1 FROM cryptocurrencies other WHERE other.symbol = x.symbol)`,
      [payload],
    );
  }
  // A provider id still held by another row is not moved: the row keeps the id it has.
  const providerId = (name: string) =>
    `CASE WHEN EXISTS (SELECT 1 FROM cryptocurrencies other WHERE other.${name} = x.${name} AND other.symbol <> x.symbol)
       THEN c.${name} ELSE COALESCE(x.${name}, c.${name}) END`;
  const values = [
    'x.symbol',
    'x.name',
    'x.slug',
    ...DESCRIPTIVE_COLUMNS.map(([name]) =>
      name === 'coingecko_id' || name === 'cmc_id' ? providerId(name) : `COALESCE(x.${name}, c.${name})`,
    ),
    ...MARKET_COLUMNS.map(([name]) => `CASE WHEN '${name}' = ANY(x.has) THEN x.${name} ELSE c.${name} END`),
    `CASE WHEN cardinality(x.categories) > 0 THEN x.categories ELSE COALESCE(c.categories, '{}') END`,
  ];
  const columns = ALL_COLUMNS.map(([name]) => name);
  const rows: { id: number; symbol: string }[] = await db.query(
    `WITH x AS (${input})
     INSERT INTO cryptocurrencies (${columns.join(', ')})
     SELECT ${values.join(', ')} FROM x LEFT JOIN cryptocurrencies c ON c.symbol = x.symbol
     ON CONFLICT (symbol) DO UPDATE SET
       ${columns
         .filter((name) => name !== 'symbol')
         .map((name) => `${name} = EXCLUDED.${name}`)
         .join(', ')},
       updated_at = now()
     RETURNING id, symbol`,
    [payload],
  );
  return new Map(rows.map((row) => [row.symbol, row.id]));
}

/** Symbols and provider ids are not unique upstream: the better-ranked coin wins each of them. */
function dedupe(coins: TCoinUpsert[]): Map<string, TCoinUpsert> {
  const rank = (coin: TCoinUpsert) => coin.market_cap_rank ?? Infinity;
  const sorted = [...coins]
    .map((coin) => ({ ...coin, symbol: coin.symbol.toUpperCase() }))
    .sort((a, b) => rank(a) - rank(b));
  const bySymbol = new Map<string, TCoinUpsert>();
  const seenIds = new Set<string>();
  for (const coin of sorted) {
    const ids = [coin.coingecko_id && `cg:${coin.coingecko_id}`, coin.cmc_id && `cmc:${coin.cmc_id}`].filter(
      Boolean,
    ) as string[];
    if (bySymbol.has(coin.symbol) || ids.some((id) => seenIds.has(id))) continue;
    bySymbol.set(coin.symbol, coin);
    for (const id of ids) seenIds.add(id);
  }
  return bySymbol;
}

/**
 * Appends or overwrites history points (kind 'market': what daily figures are made of) with one
 * INSERT … SELECT unnest(arrays) per chunk. A tick point at the same time is taken over.
 */
export async function upsertHistory(
  db: TQueryable,
  points: THistoryInsert[],
  chunkSize = 5000,
): Promise<number> {
  let written = 0;
  for (let start = 0; start < points.length; start += chunkSize) {
    const chunk = points.slice(start, start + chunkSize);
    const result: unknown[] = await db.query(
      `INSERT INTO price_history (cryptocurrency_id, "timestamp", price, market_cap, total_volume)
       SELECT * FROM unnest($1::integer[], $2::timestamptz[], $3::numeric[], $4::numeric[], $5::numeric[])
       ON CONFLICT (cryptocurrency_id, "timestamp") DO UPDATE
         SET price = EXCLUDED.price, market_cap = EXCLUDED.market_cap, total_volume = EXCLUDED.total_volume,
             kind = 'market'
       RETURNING 1`,
      [
        chunk.map((p) => p.cryptocurrency_id),
        chunk.map((p) => p.timestamp.toISOString()),
        chunk.map((p) => String(p.price)),
        chunk.map((p) => (p.market_cap === null ? null : String(p.market_cap))),
        chunk.map((p) => (p.total_volume === null ? null : String(p.total_volume))),
      ],
    );
    written += result.length;
  }
  return written;
}

/**
 * Derives the market fields of `coinIds` from their stored history as of `asOf`, for the offline
 * market, whose recording has daily closes and nothing else (docs/offline-market.md). The price in
 * effect at a time is the last stored point (kind 'market': tick points are not read) at or before it, so:
 * - current_price and last_updated are the newest point; market cap is the point's recorded one, or
 *   the recorded circulating supply times the price; FDV uses max (or total) supply;
 * - 1 h / 24 h / 7 d / 30 d changes compare with the price in effect that long before `asOf`, and are
 *   null where history does not reach back that far;
 * - 24 h high/low are over the points of the last 24 h and the price in effect when they began;
 * - a coin with no point in the last 24 h is not trading (its recording stopped): it keeps its last
 *   price and that price's time, and every other market field is null, so that nothing old passes
 *   for current in listings and sorts. A coin with no stored point at all has no market fields.
 * Then every trading coin with a market cap is ranked by it.
 */
export async function deriveMarketFields(db: TQueryable, coinIds: number[], asOf: Date): Promise<void> {
  if (!coinIds.length) return;
  const priceAt = (interval: string) =>
    `(SELECT price FROM price_history h WHERE h.cryptocurrency_id = l.id AND h.kind = 'market'
        AND h."timestamp" <= $2::timestamptz - interval '${interval}' ORDER BY h."timestamp" DESC LIMIT 1)`;
  const window = `h.cryptocurrency_id = l.id AND h.kind = 'market' AND h."timestamp" > $2::timestamptz - interval '24 hours'
        AND h."timestamp" <= $2::timestamptz`;
  const change = (column: string) =>
    `CASE WHEN d.trading THEN (d.price / NULLIF(d.${column}, 0) - 1) * 100 END`;
  await db.query(
    `WITH latest AS (
       SELECT c.id, c.circulating_supply, c.total_supply, c.max_supply, c.ath,
              p."timestamp" AS at, p.price, p.market_cap AS recorded_cap, p.total_volume AS recorded_volume
       FROM cryptocurrencies c
       LEFT JOIN LATERAL (
         SELECT "timestamp", price, market_cap, total_volume FROM price_history h
         WHERE h.cryptocurrency_id = c.id AND h.kind = 'market' AND h."timestamp" <= $2::timestamptz
         ORDER BY h."timestamp" DESC LIMIT 1) p ON true
       WHERE c.id = ANY($1::integer[])
     ), d AS (
       SELECT l.*, COALESCE(l.at > $2::timestamptz - interval '24 hours', false) AS trading,
              ${priceAt('1 hour')} AS p_1h, ${priceAt('24 hours')} AS p_24h,
              ${priceAt('7 days')} AS p_7d, ${priceAt('30 days')} AS p_30d,
              (SELECT max(price) FROM price_history h WHERE ${window}) AS window_high,
              (SELECT min(price) FROM price_history h WHERE ${window}) AS window_low
       FROM latest l
     )
     UPDATE cryptocurrencies t SET
       current_price = d.price,
       last_updated = d.at,
       market_cap = CASE WHEN d.trading THEN COALESCE(d.recorded_cap, d.circulating_supply * d.price) END,
       fully_diluted_valuation = CASE WHEN d.trading THEN d.price * COALESCE(d.max_supply, d.total_supply) END,
       total_volume = CASE WHEN d.trading THEN d.recorded_volume END,
       price_change_24h = CASE WHEN d.trading THEN d.price - d.p_24h END,
       price_change_percentage_1h = ${change('p_1h')},
       price_change_percentage_24h = ${change('p_24h')},
       price_change_percentage_7d = ${change('p_7d')},
       price_change_percentage_30d = ${change('p_30d')},
       high_24h = CASE WHEN d.trading THEN GREATEST(d.window_high, d.p_24h) END,
       low_24h = CASE WHEN d.trading THEN LEAST(d.window_low, d.p_24h) END,
       ath_change_percentage = CASE WHEN d.trading AND d.ath > 0 THEN (d.price / d.ath - 1) * 100 END,
       updated_at = now()
     FROM d WHERE t.id = d.id`,
    [coinIds, asOf.toISOString()],
  );
  await db.query(
    `WITH ranked AS (
       SELECT id, row_number() OVER (ORDER BY market_cap DESC, id) AS rank FROM cryptocurrencies
       WHERE market_cap IS NOT NULL AND last_updated > $1::timestamptz - interval '24 hours'
     )
     UPDATE cryptocurrencies t SET market_cap_rank = ranked.rank
     FROM (SELECT c.id, r.rank FROM cryptocurrencies c LEFT JOIN ranked r USING (id)) ranked
     WHERE t.id = ranked.id AND t.market_cap_rank IS DISTINCT FROM ranked.rank`,
    [asOf.toISOString()],
  );
}
