import type { Logger } from 'pino';
import type { TConfig } from '../config/env.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { createCoinGeckoProvider } from './coingecko.provider.ts';
import { createCoinMarketCapProvider } from './coinmarketcap.provider.ts';
import type { TProviderHttpOptions } from './http-client.ts';
import { ProviderError } from './provider-error.ts';
import type { TProviderMetrics } from './provider-metrics.ts';
import type { TMarketDataProvider, TMarketsResult, TProviderName } from './provider.types.ts';
import { createReplayProvider, type TTimelineSource } from './replay.provider.ts';

export type TProviderChain = ReturnType<typeof createProviderChain>;

/**
 * The providers this deployment can use, and the fallback order: the requested (or configured)
 * provider first, then CoinMarketCap when the primary is CoinGecko and a CMC key or URL is set.
 */
export function createProviderChain(deps: {
  config: TConfig;
  logger: Logger;
  metrics?: TProviderMetrics;
  http?: Partial<TProviderHttpOptions>;
  /** The offline market's timeline (stored in the database) for the replay provider. */
  timeline?: TTimelineSource;
}) {
  const { config, logger, metrics } = deps;
  const http = { metrics, ...deps.http };
  const onChange = (provider: string) => (state: string) => {
    metrics?.circuit.set({ provider }, state === 'open' ? 1 : 0);
    logger.warn({ provider, state }, 'provider circuit breaker changed state');
  };
  const breaker = (provider: string) => http.breaker ?? new CircuitBreaker({ onChange: onChange(provider) });
  const coingecko = createCoinGeckoProvider(config, { ...http, breaker: breaker('coingecko') });
  const providers: Record<TProviderName, TMarketDataProvider> = {
    coingecko,
    coinmarketcap: createCoinMarketCapProvider(config, { ...http, breaker: breaker('coinmarketcap') }),
    replay: createReplayProvider({ metrics, timeline: deps.timeline ?? (async () => null) }),
  };
  const cmcConfigured =
    Boolean(config.COINMARKETCAP_API_KEY) ||
    config.COINMARKETCAP_BASE_URL !== 'https://pro-api.coinmarketcap.com';

  function order(preferred?: TProviderName): TMarketDataProvider[] {
    const primary = preferred ?? config.MARKET_DATA_PROVIDER;
    const chain = [providers[primary]];
    if (primary === 'coingecko' && cmcConfigured) chain.push(providers.coinmarketcap);
    return chain;
  }

  return {
    get: (name: TProviderName) => providers[name],

    /** History comes from CoinGecko (CoinMarketCap's free plans have none), or the replay offline. */
    historyProvider(preferred?: TProviderName): TMarketDataProvider {
      const name = preferred ?? config.MARKET_DATA_PROVIDER;
      return providers[name === 'coinmarketcap' ? 'coingecko' : name];
    },

    /** Markets from the first provider that answers; the error of the last one otherwise. */
    async fetchMarkets(
      limit: number,
      asOf: Date,
      preferred?: TProviderName,
    ): Promise<TMarketsResult & { provider: TProviderName; fallback_from?: TProviderName }> {
      let lastError: unknown;
      let failed: TProviderName | undefined;
      for (const provider of order(preferred)) {
        try {
          const result = await provider.fetchMarkets(limit, asOf);
          return { ...result, provider: provider.name, ...(failed ? { fallback_from: failed } : {}) };
        } catch (error) {
          lastError = error;
          failed ??= provider.name;
          logger.warn({ err: error, provider: provider.name }, 'provider failed; trying the next one');
        }
      }
      throw lastError instanceof ProviderError
        ? lastError
        : new ProviderError('providers', 'upstream', String(lastError));
    },
  };
}
