import { z } from 'zod';
import type { TConfig } from '../config/env.ts';
import type { TCoinUpsert } from '../market/market.writer.ts';
import { createProviderHttpClient, type TProviderHttpOptions } from './http-client.ts';
import { ProviderError } from './provider-error.ts';
import type { TMarketDataProvider } from './provider.types.ts';

const num = z.number().nullable().optional().default(null);

const ZStatus = z.object({
  error_code: z.number(),
  error_message: z.string().nullable().optional(),
  credit_count: z.number().optional(),
});

const ZListing = z.object({
  id: z.number().int(),
  name: z.string().min(1),
  symbol: z.string().min(1).max(20),
  slug: z.string().min(1),
  cmc_rank: z.number().int().nullable().optional().default(null),
  circulating_supply: num,
  total_supply: num,
  max_supply: num,
  last_updated: z.string().nullable().optional().default(null),
  quote: z.object({
    USD: z.object({
      price: z.number().nullable(),
      volume_24h: num,
      percent_change_1h: num,
      percent_change_24h: num,
      percent_change_7d: num,
      percent_change_30d: num,
      market_cap: num,
      fully_diluted_market_cap: num,
      last_updated: z.string().nullable().optional().default(null),
    }),
  }),
});

export const ZCmcListings = z.object({ status: ZStatus, data: z.array(ZListing) });

// CoinMarketCap codes that mean "slow down" rather than "this request is wrong".
const RATE_LIMIT_CODES = new Set([1008, 1009, 1010, 1011]);

function coinFromCmc(listing: z.infer<typeof ZListing>): TCoinUpsert {
  const usd = listing.quote.USD;
  return {
    symbol: listing.symbol.toUpperCase(),
    name: listing.name,
    slug: listing.slug,
    cmc_id: listing.id,
    market_cap_rank: listing.cmc_rank,
    current_price: usd.price,
    market_cap: usd.market_cap,
    fully_diluted_valuation: usd.fully_diluted_market_cap,
    total_volume: usd.volume_24h,
    price_change_percentage_1h: usd.percent_change_1h,
    price_change_percentage_24h: usd.percent_change_24h,
    price_change_percentage_7d: usd.percent_change_7d,
    price_change_percentage_30d: usd.percent_change_30d,
    price_change_24h:
      usd.price !== null && usd.percent_change_24h !== null
        ? usd.price - usd.price / (1 + usd.percent_change_24h / 100)
        : null,
    circulating_supply: listing.circulating_supply,
    total_supply: listing.total_supply,
    max_supply: listing.max_supply,
    last_updated: usd.last_updated ?? listing.last_updated,
  };
}

type TCmcConfig = Pick<
  TConfig,
  'COINMARKETCAP_API_KEY' | 'COINMARKETCAP_BASE_URL' | 'PROVIDER_TIMEOUT_MS' | 'PROVIDER_MAX_RETRIES'
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
    ...overrides,
  });

  return {
    name: 'coinmarketcap',

    async fetchMarkets(limit) {
      let status: z.infer<typeof ZStatus> | undefined;
      const body = await http.getJson(
        '/v1/cryptocurrency/listings/latest',
        { start: 1, limit, convert: 'USD' },
        ZCmcListings,
        (raw) => {
          const parsed = ZStatus.safeParse((raw as { status?: unknown } | undefined)?.status);
          if (!parsed.success) return;
          status = parsed.data;
          if (status.credit_count)
            overrides.metrics?.credits.inc({ provider: 'coinmarketcap' }, status.credit_count);
          // Errors arrive in status.error_code, even with HTTP 200.
          if (status.error_code !== 0) {
            throw new ProviderError(
              'coinmarketcap',
              RATE_LIMIT_CODES.has(status.error_code) ? 'rate_limited' : 'upstream',
              `error ${status.error_code}: ${status.error_message ?? 'no message'}`,
              { retryable: RATE_LIMIT_CODES.has(status.error_code) },
            );
          }
        },
      );
      if (!body.data.length)
        throw new ProviderError('coinmarketcap', 'invalid_response', 'listings/latest returned no coins');
      return { coins: body.data.slice(0, limit).map(coinFromCmc), credits: status?.credit_count };
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
