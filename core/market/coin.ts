import { z } from 'zod';

/**
 * A coin, declared once. The schema is what the API serves (its OpenAPI entry is built from it, the
 * `.meta()` being the documentation); the summary, the stored row and a provider's upsert derive from it.
 * Market data is snake_case like CoinGecko, numbers as JSON numbers.
 */
const nullableNumber = z.number().nullable();
const nullableDate = z.string().nullable().meta({ format: 'date-time' });

export const ZCoinSummary = z.object({
  id: z.number().int(),
  symbol: z.string().meta({ example: 'BTC' }),
  name: z.string().meta({ example: 'Bitcoin' }),
  slug: z.string().meta({ example: 'bitcoin' }),
  coingecko_id: z.string().nullable(),
  cmc_id: z.number().int().nullable(),
  market_cap_rank: z.number().int().nullable(),
  current_price: nullableNumber.meta({ description: 'USD' }),
  market_cap: nullableNumber,
  fully_diluted_valuation: nullableNumber,
  total_volume: nullableNumber.meta({ description: '24 h volume, USD' }),
  high_24h: nullableNumber,
  low_24h: nullableNumber,
  price_change_24h: nullableNumber,
  price_change_percentage_1h: nullableNumber,
  price_change_percentage_24h: nullableNumber,
  price_change_percentage_7d: nullableNumber,
  price_change_percentage_30d: nullableNumber,
  circulating_supply: nullableNumber,
  total_supply: nullableNumber,
  max_supply: nullableNumber,
  ath: nullableNumber,
  ath_date: nullableDate,
  ath_change_percentage: nullableNumber,
  atl: nullableNumber,
  atl_date: nullableDate,
  image_url: z.string().nullable(),
  categories: z.array(z.string()),
  last_updated: nullableDate,
});

/** The detail adds the long text fields and the row's own times; the listing leaves them out. */
export const COIN_DETAIL_FIELDS = {
  website_url: z.string().nullable(),
  description: z.string().nullable(),
  created_at: z.string().meta({ format: 'date-time' }),
  updated_at: z.string().meta({ format: 'date-time' }),
};
export const ZCoin = ZCoinSummary.extend(COIN_DETAIL_FIELDS);

export type TCoin = z.infer<typeof ZCoin>;
export type TCoinSummary = z.infer<typeof ZCoinSummary>;

type TIntegerField = 'id' | 'cmc_id' | 'market_cap_rank';
type TDateField = 'ath_date' | 'atl_date' | 'last_updated' | 'created_at' | 'updated_at';

/** A row of `cryptocurrencies` as pg gives it: NUMERIC columns as strings, timestamps as Dates. */
export type TCoinRow = {
  [K in keyof TCoin]: K extends TDateField
    ? Date | Extract<TCoin[K], null>
    : K extends TIntegerField
      ? TCoin[K]
      : TCoin[K] extends number | null
        ? string | Extract<TCoin[K], null>
        : TCoin[K];
};

/** A coin as a provider reports it; undefined means "this provider does not know", null means "none". */
export type TCoinUpsert = Pick<TCoin, 'symbol' | 'name' | 'slug'> &
  Partial<Omit<TCoin, 'id' | 'symbol' | 'name' | 'slug' | 'created_at' | 'updated_at'>>;
