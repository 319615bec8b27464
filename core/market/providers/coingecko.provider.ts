import type { TConfig } from '../../platform/config/env.ts';
import { coinFromCoinGecko } from './coingecko.mapper.ts';
import { ZCoinGeckoMarketChart, ZCoinGeckoMarkets, ZCoinGeckoSimplePrice } from './coingecko.schemas.ts';
import { createProviderHttpClient, type TProviderHttpOptions } from './http-client.ts';
import { ProviderError } from './provider-error.ts';
import {
  bucketForDays,
  snapToBuckets,
  type TMarketDataProvider,
  type TProviderPoint,
  type TProviderPrice,
} from './provider.types.ts';

const PUBLIC_URL = 'https://api.coingecko.com/api/v3';
const PRO_URL = 'https://pro-api.coingecko.com/api/v3';
/** Keyless and demo plans only serve the last 365 days of history (error 10012 beyond). */
export const FREE_HISTORY_DAYS = 365;
const PAGE_SIZE = 250;
/** Ids per /simple/price call: the live ticker polls at most this many coins (one call per tick). */
export const SIMPLE_PRICE_IDS = 250;

type TCoinGeckoConfig = Pick<
  TConfig,
  | 'COINGECKO_API_KEY'
  | 'COINGECKO_API_PLAN'
  | 'COINGECKO_BASE_URL'
  | 'COINGECKO_CALLS_PER_MINUTE'
  | 'PROVIDER_TIMEOUT_MS'
  | 'PROVIDER_MAX_RETRIES'
>;

export function createCoinGeckoProvider(
  config: TCoinGeckoConfig,
  overrides: Partial<TProviderHttpOptions> = {},
): TMarketDataProvider {
  const pro = config.COINGECKO_API_PLAN === 'pro' && Boolean(config.COINGECKO_API_KEY);
  const headers: Record<string, string> = {};
  if (config.COINGECKO_API_KEY)
    headers[pro ? 'x-cg-pro-api-key' : 'x-cg-demo-api-key'] = config.COINGECKO_API_KEY;
  const http = createProviderHttpClient({
    provider: 'coingecko',
    baseUrl: config.COINGECKO_BASE_URL ?? (pro ? PRO_URL : PUBLIC_URL),
    headers,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    maxRetries: config.PROVIDER_MAX_RETRIES,
    callsPerMinute: config.COINGECKO_CALLS_PER_MINUTE,
    ...overrides,
  });
  const historyLimitDays = pro ? null : FREE_HISTORY_DAYS;

  async function marketChart(id: string, days: number) {
    let errorCode: number | undefined;
    try {
      return await http.getJson(
        `/coins/${encodeURIComponent(id)}/market_chart`,
        { vs_currency: 'usd', days },
        ZCoinGeckoMarketChart,
        (body) => {
          errorCode = (body as { error?: { status?: { error_code?: number } } } | undefined)?.error?.status
            ?.error_code;
        },
      );
    } catch (error) {
      // A plan that turns out to be limited anyway (10012): retry once inside the free window.
      if (errorCode === 10012 && days > FREE_HISTORY_DAYS) return marketChart(id, FREE_HISTORY_DAYS);
      throw error;
    }
  }

  return {
    name: 'coingecko',

    async fetchMarkets(limit) {
      const coins = [];
      for (let page = 1; coins.length < limit; page += 1) {
        const perPage = Math.min(PAGE_SIZE, limit);
        const markets = await http.getJson(
          '/coins/markets',
          {
            vs_currency: 'usd',
            order: 'market_cap_desc',
            per_page: perPage,
            page,
            price_change_percentage: '1h,24h,7d,30d',
          },
          ZCoinGeckoMarkets,
        );
        if (!markets.length) break;
        coins.push(...markets.map(coinFromCoinGecko));
        if (markets.length < perPage) break;
      }
      if (!coins.length)
        throw new ProviderError('coingecko', 'invalid_response', '/coins/markets returned no coins');
      return { coins: coins.slice(0, limit) };
    },

    /** /simple/price: one call for up to SIMPLE_PRICE_IDS coins, price, 24 h change and volume only. */
    async fetchPrices(coins, budget) {
      const bySymbol = new Map<string, string>();
      for (const coin of coins)
        if (coin.coingecko_id && bySymbol.size < SIMPLE_PRICE_IDS)
          bySymbol.set(coin.coingecko_id, coin.symbol);
      if (!bySymbol.size) return [];
      const quotes = await http.getJson(
        '/simple/price',
        {
          ids: [...bySymbol.keys()].join(','),
          vs_currencies: 'usd',
          include_24hr_change: 'true',
          include_24hr_vol: 'true',
        },
        ZCoinGeckoSimplePrice,
        undefined,
        { wait: false, reserve: budget.reserve },
      );
      const prices: TProviderPrice[] = [];
      for (const [id, quote] of Object.entries(quotes)) {
        const symbol = bySymbol.get(id);
        if (!symbol || quote.usd === null || quote.usd === undefined || quote.usd <= 0) continue;
        prices.push({
          symbol,
          price: quote.usd,
          change_24h: quote.usd_24h_change ?? null,
          volume_24h: quote.usd_24h_vol ?? null,
        });
      }
      return prices;
    },

    async fetchHistory(coin, days) {
      if (!coin.coingecko_id)
        throw new ProviderError('coingecko', 'unsupported', `${coin.symbol} has no CoinGecko id`);
      const clamped = historyLimitDays === null ? days : Math.min(days, historyLimitDays);
      const chart = await marketChart(coin.coingecko_id, clamped);
      const caps = new Map(chart.market_caps.map(([time, value]) => [time, value]));
      const volumes = new Map(chart.total_volumes.map(([time, value]) => [time, value]));
      const points: TProviderPoint[] = chart.prices
        .filter((entry): entry is [number, number] => entry[1] !== null)
        .map(([time, price]) => ({
          timestamp: new Date(time),
          price,
          market_cap: caps.get(time) ?? null,
          total_volume: volumes.get(time) ?? null,
        }));
      return snapToBuckets(points, bucketForDays(clamped));
    },
  };
}
