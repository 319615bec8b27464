import type { EntityManager } from 'typeorm';

/** A coin as a provider reports it; undefined means "this provider does not know", null means "none". */
export type TCoinUpsert = {
  symbol: string;
  name: string;
  slug: string;
  coingecko_id?: string | null;
  cmc_id?: number | null;
  market_cap_rank?: number | null;
  current_price?: number | null;
  market_cap?: number | null;
  fully_diluted_valuation?: number | null;
  total_volume?: number | null;
  high_24h?: number | null;
  low_24h?: number | null;
  price_change_24h?: number | null;
  price_change_percentage_1h?: number | null;
  price_change_percentage_24h?: number | null;
  price_change_percentage_7d?: number | null;
  price_change_percentage_30d?: number | null;
  circulating_supply?: number | null;
  total_supply?: number | null;
  max_supply?: number | null;
  ath?: number | null;
  ath_date?: string | null;
  ath_change_percentage?: number | null;
  atl?: number | null;
  atl_date?: string | null;
  image_url?: string | null;
  website_url?: string | null;
  description?: string | null;
  categories?: string[];
  last_updated?: string | null;
};

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
 * Inserts or updates many coins in one statement (jsonb_to_recordset over one parameter) and returns
 * symbol -> id. A field the provider did not send (`undefined`, absent from the JSON) keeps its stored
 * value; descriptive fields are never blanked by a provider that lacks them.
 */
export async function upsertCoins(db: TQueryable, coins: TCoinUpsert[]): Promise<Map<string, number>> {
  if (!coins.length) return new Map();
  const bySymbol = new Map<string, TCoinUpsert>();
  for (const coin of coins) {
    const symbol = coin.symbol.toUpperCase();
    const seen = bySymbol.get(symbol);
    // Symbols are not unique upstream; the better-ranked coin owns the ticker.
    if (!seen || (coin.market_cap_rank ?? Infinity) < (seen.market_cap_rank ?? Infinity))
      bySymbol.set(symbol, { ...coin, symbol });
  }
  const records = [...bySymbol.values()].map((coin) => ({ ...coin, has: Object.keys(coin) }));
  const recordType = [...ALL_COLUMNS.map(([name, type]) => `${name} ${type}`), 'has text[]'].join(', ');
  const values = [
    'x.symbol',
    'x.name',
    'x.slug',
    ...DESCRIPTIVE_COLUMNS.map(([name]) => `COALESCE(x.${name}, c.${name})`),
    ...MARKET_COLUMNS.map(([name]) => `CASE WHEN '${name}' = ANY(x.has) THEN x.${name} ELSE c.${name} END`),
    `CASE WHEN cardinality(x.categories) > 0 THEN x.categories ELSE COALESCE(c.categories, '{}') END`,
  ];
  const columns = ALL_COLUMNS.map(([name]) => name);
  const rows: { id: number; symbol: string }[] = await db.query(
    `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(${recordType}))
     INSERT INTO cryptocurrencies (${columns.join(', ')})
     SELECT ${values.join(', ')} FROM x LEFT JOIN cryptocurrencies c ON c.symbol = x.symbol
     ON CONFLICT (symbol) DO UPDATE SET
       ${columns
         .filter((name) => name !== 'symbol')
         .map((name) => `${name} = EXCLUDED.${name}`)
         .join(', ')},
       updated_at = now()
     RETURNING id, symbol`,
    [JSON.stringify(records)],
  );
  return new Map(rows.map((row) => [row.symbol, row.id]));
}

/** Appends or overwrites history points with one INSERT … SELECT unnest(arrays) per chunk. */
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
         SET price = EXCLUDED.price, market_cap = EXCLUDED.market_cap, total_volume = EXCLUDED.total_volume
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
