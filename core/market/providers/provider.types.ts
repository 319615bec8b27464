import type { TCoinUpsert } from '../coin.ts';

export const PROVIDER_NAMES = ['coingecko', 'coinmarketcap', 'replay'] as const;
export type TProviderName = (typeof PROVIDER_NAMES)[number];

/** One history point from a provider, before it is tied to a stored coin. */
export type TProviderPoint = {
  timestamp: Date;
  price: number;
  market_cap: number | null;
  total_volume: number | null;
};

export type TMarketsResult = {
  coins: TCoinUpsert[];
  credits?: number;
  /** The provider sends prices only: derive the other market fields from stored history (replay). */
  derived_from_history?: boolean;
};

/** One coin's current price from a provider's price endpoint (the live ticker's poll). */
export type TProviderPrice = {
  symbol: string;
  price: number;
  change_24h: number | null;
  volume_24h: number | null;
};

/** A listed coin as the price endpoints know it. */
export type TPricedCoin = { symbol: string; coingecko_id: string | null };

/** What every market data source can do. `asOf` lets the replay provider be deterministic. */
export type TMarketDataProvider = {
  readonly name: TProviderName;
  fetchMarkets(limit: number, asOf: Date): Promise<TMarketsResult>;
  /** Daily (days > 90) or hourly points, snapped to their bucket start. */
  fetchHistory(
    coin: { symbol: string; coingecko_id: string | null },
    days: number,
    asOf: Date,
  ): Promise<TProviderPoint[]>;
  /**
   * Current prices of `coins` from the provider's cheapest price endpoint, in one call that never waits
   * for the call budget (`budget_spent` when the minute has fewer than `reserve` + 1 calls left).
   * Coins the provider does not know are absent. Live providers only.
   */
  fetchPrices?(coins: readonly TPricedCoin[], budget: { reserve: number }): Promise<TProviderPrice[]>;
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * CoinGecko's market_chart points are in milliseconds at irregular offsets (21:00:14, 22:01:09, …), with
 * a live, non-aligned last point. Each point is snapped to the start of its bucket and, when several fall
 * into one bucket, the one closest to the bucket start wins, so reruns write the same rows.
 */
export function snapToBuckets(points: TProviderPoint[], bucketMs: number): TProviderPoint[] {
  const byBucket = new Map<number, { offset: number; point: TProviderPoint }>();
  for (const point of points) {
    const time = point.timestamp.getTime();
    const bucket = time - (((time % bucketMs) + bucketMs) % bucketMs);
    const offset = time - bucket;
    const seen = byBucket.get(bucket);
    if (!seen || offset < seen.offset)
      byBucket.set(bucket, { offset, point: { ...point, timestamp: new Date(bucket) } });
  }
  return [...byBucket.entries()].sort(([a], [b]) => a - b).map(([, value]) => value.point);
}

/** CoinGecko's automatic granularity: hourly for 2–90 days, daily above. */
export const bucketForDays = (days: number): number => (days > 90 ? DAY : HOUR);
