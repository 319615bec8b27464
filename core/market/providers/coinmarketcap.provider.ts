import type { z } from 'zod';
import type { TConfig } from '../../platform/config/env.ts';
import { coinFromCmc } from './coinmarketcap.mapper.ts';
import { ZCmcListings, ZCmcStatus } from './coinmarketcap.schemas.ts';
import { createProviderHttpClient, type TCallOptions, type TProviderHttpOptions } from './http-client.ts';
import { ProviderError, RATE_LIMIT_WINDOW_MS } from './provider-error.ts';
import type { TMarketDataProvider, TProviderPrice } from './provider.types.ts';

/**
 * Coins per live-ticker poll: list endpoints cost one call credit per 100 coins returned (CoinMarketCap's
 * "API Key Usage Credits"), so the top 100 listings are one credit, the cheapest price poll there is.
 */
export const CMC_TICK_LIMIT = 100;

// CoinMarketCap codes that mean "slow down" rather than "this request is wrong".
const RATE_LIMIT_CODES = new Set([1008, 1009, 1010, 1011]);

type TCmcConfig = Pick<
  TConfig,
  | 'COINMARKETCAP_API_KEY'
  | 'COINMARKETCAP_BASE_URL'
  | 'COINMARKETCAP_CALLS_PER_MINUTE'
  | 'PROVIDER_TIMEOUT_MS'
  | 'PROVIDER_MAX_RETRIES'
>;

export function createCoinMarketCapProvider(
  config: TCmcConfig,
  overrides: Partial<TProviderHttpOptions> = {},
): TMarketDataProvider {
  const http = createProviderHttpClient({
    provider: 'coinmarketcap',
    baseUrl: config.COINMARKETCAP_BASE_URL,
    headers: config.COINMARKETCAP_API_KEY ? { 'X-CMC_PRO_API_KEY': config.COINMARKETCAP_API_KEY } : {},
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    maxRetries: config.PROVIDER_MAX_RETRIES,
    callsPerMinute: config.COINMARKETCAP_CALLS_PER_MINUTE,
    ...overrides,
  });

  async function listings(limit: number, call?: TCallOptions) {
    let status: z.infer<typeof ZCmcStatus> | undefined;
    const body = await http.getJson(
      '/v1/cryptocurrency/listings/latest',
      { start: 1, limit, convert: 'USD' },
      ZCmcListings,
      (raw) => {
        const parsed = ZCmcStatus.safeParse((raw as { status?: unknown } | undefined)?.status);
        if (!parsed.success) return;
        status = parsed.data;
        if (status.credit_count)
          overrides.metrics?.credits.inc({ provider: 'coinmarketcap' }, status.credit_count);
        // Errors arrive in status.error_code, even with HTTP 200.
        if (status.error_code !== 0) {
          const limited = RATE_LIMIT_CODES.has(status.error_code);
          throw new ProviderError(
            'coinmarketcap',
            limited ? 'rate_limited' : 'upstream',
            `error ${status.error_code}: ${status.error_message ?? 'no message'}`,
            limited ? { retryAfterMs: RATE_LIMIT_WINDOW_MS } : {},
          );
        }
      },
      call,
    );
    if (!body.data.length)
      throw new ProviderError('coinmarketcap', 'invalid_response', 'listings/latest returned no coins');
    return { body, credits: status?.credit_count };
  }

  return {
    name: 'coinmarketcap',

    async fetchMarkets(limit) {
      const { body, credits } = await listings(limit);
      return { coins: body.data.slice(0, limit).map(coinFromCmc), credits };
    },

    /** The top CMC_TICK_LIMIT listings (one credit), matched to `coins` by symbol. */
    async fetchPrices(coins, budget) {
      const wanted = new Set(coins.map((coin) => coin.symbol.toUpperCase()));
      const { body } = await listings(CMC_TICK_LIMIT, { wait: false, reserve: budget.reserve });
      const prices: TProviderPrice[] = [];
      for (const listing of body.data) {
        const symbol = listing.symbol.toUpperCase();
        const usd = listing.quote.USD;
        if (!wanted.delete(symbol) || usd.price === null || usd.price <= 0) continue;
        prices.push({
          symbol,
          price: usd.price,
          change_24h: usd.percent_change_24h,
          volume_24h: usd.volume_24h,
        });
      }
      return prices;
    },

    async fetchHistory() {
      // The free CoinMarketCap plans have no historical quotes; backfill always uses CoinGecko.
      throw new ProviderError(
        'coinmarketcap',
        'unsupported',
        'historical quotes are not available on this plan',
      );
    },
  };
}
