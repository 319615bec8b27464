import type { Logger } from 'pino';
import type { TConfig } from '../platform/config/env.ts';
import type { TCallBudget } from './providers/call-budget.ts';
import { CircuitBreaker } from './providers/circuit-breaker.ts';
import { createCoinGeckoProvider } from './providers/coingecko.provider.ts';
import { createCoinMarketCapProvider } from './providers/coinmarketcap.provider.ts';
import type { TProviderHttpOptions } from './providers/http-client.ts';
import { createMemoryCooldowns, type TProviderCooldowns } from './providers/provider-cooldown.ts';
import { ProviderError, RATE_LIMIT_WINDOW_MS } from './providers/provider-error.ts';
import type { TProviderMetrics } from './providers/provider-metrics.ts';
import type {
  TMarketDataProvider,
  TMarketsResult,
  TPricedCoin,
  TProviderName,
  TProviderPrice,
} from './providers/provider.types.ts';
import { createReplayProvider, type TTimelineSource } from './bundled/replay.provider.ts';

export type TProviderChain = ReturnType<typeof createProviderChain>;

/** A provider the chain did not use for a call, and why (with the cooldown's end for a rate limit). */
export type TSkippedProvider = { provider: TProviderName; reason: string; until?: string };

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
  /** Rate-limit cooldowns, shared by every worker through Redis (process memory by default). */
  cooldowns?: TProviderCooldowns;
  /** Each provider's calls-per-minute budget, shared by every worker through Redis (process memory by default). */
  budgets?: (provider: TProviderName, perMinute: number) => TCallBudget;
}) {
  const { config, logger, metrics } = deps;
  const cooldowns = deps.cooldowns ?? createMemoryCooldowns();
  const http = { metrics, ...deps.http };
  const onChange = (provider: string) => (state: string) => {
    metrics?.circuit.set({ provider }, state === 'open' ? 1 : 0);
    logger.warn({ provider, state }, 'provider circuit breaker changed state');
  };
  const breaker = (provider: string) => http.breaker ?? new CircuitBreaker({ onChange: onChange(provider) });
  const budget = (provider: TProviderName) =>
    deps.budgets ? { budget: (perMinute: number) => deps.budgets!(provider, perMinute) } : {};
  const coingecko = createCoinGeckoProvider(config, {
    ...http,
    breaker: breaker('coingecko'),
    ...budget('coingecko'),
  });
  const providers: Record<TProviderName, TMarketDataProvider> = {
    coingecko,
    coinmarketcap: createCoinMarketCapProvider(config, {
      ...http,
      breaker: breaker('coinmarketcap'),
      ...budget('coinmarketcap'),
    }),
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

  async function cooldownAfter(provider: TMarketDataProvider, error: ProviderError) {
    const ms = error.retryAfterMs ?? RATE_LIMIT_WINDOW_MS;
    const cooldown = await cooldowns.start(provider.name, ms, error.message);
    metrics?.cooldowns.inc({ provider: provider.name });
    logger.warn(
      { provider: provider.name, until: new Date(cooldown.until) },
      'provider rate limited; cooling down',
    );
    return cooldown;
  }

  /** Tries one provider unless it is cooling down; otherwise records in `skipped` why it was not used. */
  async function attempt<T>(
    provider: TMarketDataProvider,
    call: () => Promise<T>,
    skipped: TSkippedProvider[],
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    const cooling = await cooldowns.current(provider.name);
    if (cooling) {
      skipped.push({
        provider: provider.name,
        reason: `cooling down after a rate limit (${cooling.reason}) until ${new Date(cooling.until).toISOString()}`,
        until: new Date(cooling.until).toISOString(),
      });
      return { ok: false };
    }
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'rate_limited') {
        const cooldown = await cooldownAfter(provider, error);
        skipped.push({
          provider: provider.name,
          reason: `${error.message}; cooling down until ${new Date(cooldown.until).toISOString()}`,
          until: new Date(cooldown.until).toISOString(),
        });
        return { ok: false };
      }
      skipped.push({
        provider: provider.name,
        reason: error instanceof Error ? error.message : String(error),
      });
      // The live ticker's calls never wait for the budget: a spent minute is expected, not a failure.
      if (error instanceof ProviderError && error.kind === 'budget_spent') return { ok: false };
      logger.warn({ err: error, provider: provider.name }, 'provider failed; trying the next one');
      return { ok: false };
    }
  }

  /** No provider could answer: fail at once, retrying no sooner than the first cooldown ends. */
  function unavailable(skipped: TSkippedProvider[]): ProviderError {
    const ends = skipped.filter((entry) => entry.until).map((entry) => Date.parse(entry.until!));
    return new ProviderError(
      'providers',
      ends.length ? 'rate_limited' : 'unavailable',
      `no provider could answer: ${skipped.map((entry) => `${entry.provider} (${entry.reason})`).join('; ')}`,
      ends.length ? { retryAfterMs: Math.max(0, Math.min(...ends) - Date.now()) } : {},
    );
  }

  return {
    get: (name: TProviderName) => providers[name],

    /** The live providers a call goes through, in fallback order (empty offline: the replay ticks itself). */
    liveOrder: (): TProviderName[] =>
      order()
        .filter((provider) => provider.fetchPrices)
        .map((provider) => provider.name),

    /**
     * Current prices for the live ticker, from the first provider in the syncs' fallback order that
     * answers: the same cooldowns after a rate limit, the same call budgets (each provider's HTTP client
     * is shared with the syncs; the worker's budgets are shared by every replica through Redis), but no
     * call waits for the budget: a provider whose minute has no more than its `reserve` of calls left
     * (kept for syncs) is skipped like one cooling down. `only`: the providers ticks may use (those whose
     * budget affords the cadence). When none can answer, the error says why for each.
     */
    async fetchPrices(
      coins: readonly TPricedCoin[],
      reserve: Partial<Record<TProviderName, number>>,
      only?: readonly TProviderName[],
    ): Promise<{ prices: TProviderPrice[]; provider: TProviderName; skipped: TSkippedProvider[] }> {
      const skipped: TSkippedProvider[] = [];
      for (const provider of order()) {
        if (!provider.fetchPrices || (only && !only.includes(provider.name))) continue;
        const fetchPrices = provider.fetchPrices.bind(provider);
        const kept = { reserve: reserve[provider.name] ?? 1 };
        const result = await attempt(provider, () => fetchPrices(coins, kept), skipped);
        if (result.ok) return { prices: result.value, provider: provider.name, skipped };
      }
      throw unavailable(skipped);
    },

    /**
     * History comes from CoinGecko (CoinMarketCap's free plans have none), or the replay offline; a
     * provider cooling down after a rate limit fails at once with the time to retry.
     */
    historyProvider(preferred?: TProviderName): TMarketDataProvider {
      const name = preferred ?? config.MARKET_DATA_PROVIDER;
      const provider = providers[name === 'coinmarketcap' ? 'coingecko' : name];
      return {
        ...provider,
        async fetchHistory(coin, days, asOf) {
          const cooling = await cooldowns.current(provider.name);
          if (cooling) {
            throw new ProviderError(
              provider.name,
              'rate_limited',
              `cooling down after a rate limit (${cooling.reason}) until ${new Date(cooling.until).toISOString()}`,
              { retryAfterMs: Math.max(0, cooling.until - Date.now()) },
            );
          }
          try {
            return await provider.fetchHistory(coin, days, asOf);
          } catch (error) {
            if (error instanceof ProviderError && error.kind === 'rate_limited')
              await cooldownAfter(provider, error);
            throw error;
          }
        },
      };
    },

    /**
     * Markets from the first provider that answers, in fallback order. A provider cooling down after a
     * rate limit is skipped without a call; the result says which provider answered and why the ones
     * before it were skipped. When none can answer, the error says why for each.
     */
    async fetchMarkets(
      limit: number,
      asOf: Date,
      preferred?: TProviderName,
    ): Promise<
      TMarketsResult & { provider: TProviderName; fallback_from?: TProviderName; skipped: TSkippedProvider[] }
    > {
      const skipped: TSkippedProvider[] = [];
      for (const provider of order(preferred)) {
        const result = await attempt(provider, () => provider.fetchMarkets(limit, asOf), skipped);
        if (!result.ok) continue;
        return {
          ...result.value,
          provider: provider.name,
          ...(skipped.length ? { fallback_from: skipped[0]!.provider } : {}),
          skipped,
        };
      }
      throw unavailable(skipped);
    },
  };
}
