import { z } from 'zod';

/** One entry of CoinGecko's `/coins/markets` response; nullable wherever CoinGecko sends null. */
const nullableNumber = z.number().nullable().optional().default(null);
const nullableDate = z.string().nullable().optional().default(null);

export const ZCoinGeckoMarket = z.object({
  id: z.string().min(1),
  symbol: z.string().min(1).max(20),
  name: z.string().min(1),
  image: z.string().nullable().optional().default(null),
  current_price: z.number().nullable(),
  market_cap: nullableNumber,
  market_cap_rank: z.number().int().nullable().optional().default(null),
  fully_diluted_valuation: nullableNumber,
  total_volume: nullableNumber,
  high_24h: nullableNumber,
  low_24h: nullableNumber,
  price_change_24h: nullableNumber,
  price_change_percentage_24h: nullableNumber,
  price_change_percentage_1h_in_currency: nullableNumber,
  price_change_percentage_24h_in_currency: nullableNumber,
  price_change_percentage_7d_in_currency: nullableNumber,
  price_change_percentage_30d_in_currency: nullableNumber,
  circulating_supply: nullableNumber,
  total_supply: nullableNumber,
  max_supply: nullableNumber,
  ath: nullableNumber,
  ath_change_percentage: nullableNumber,
  ath_date: nullableDate,
  atl: nullableNumber,
  atl_date: nullableDate,
  last_updated: nullableDate,
});
export type TCoinGeckoMarket = z.infer<typeof ZCoinGeckoMarket>;

export const ZCoinGeckoMarkets = z.array(ZCoinGeckoMarket);

/** `/coins/{id}/market_chart`: parallel arrays of [epoch milliseconds, value]. */
const ZPoint = z.tuple([z.number(), z.number().nullable()]);
export const ZCoinGeckoMarketChart = z.object({
  prices: z.array(ZPoint),
  market_caps: z.array(ZPoint).optional().default([]),
  total_volumes: z.array(ZPoint).optional().default([]),
});

/** `/simple/price?vs_currencies=usd&include_24hr_change=true&include_24hr_vol=true`: id -> quote. */
export const ZCoinGeckoSimplePrice = z.record(
  z.string(),
  z.object({
    usd: z.number().nullable().optional(),
    usd_24h_change: z.number().nullable().optional(),
    usd_24h_vol: z.number().nullable().optional(),
  }),
);
