import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createCacheRedis } from '../../platform/redis/redis.ts';
import { withContext } from '../../../test/expect-context.ts';
import { createLogger } from '../../platform/logging/logger.ts';
import { createMetricsRegistry } from '../../platform/metrics/registry.ts';
import { testConfig } from '../../../test/config.ts';
import { startProviderServer, type TProviderServer } from '../../../test/provider-server.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { createCoinGeckoProvider } from './coingecko.provider.ts';
import { createCoinMarketCapProvider } from './coinmarketcap.provider.ts';
import { ProviderError } from './provider-error.ts';
import { createProviderMetrics } from './provider-metrics.ts';
import { createProviderChain } from '../provider-chain.ts';
import { createRedisCooldowns } from './provider-cooldown.ts';

let server: TProviderServer;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** A fake clock whose sleep only moves time forward, recording every wait the client asked for. */
function fakeTime() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const asOf = new Date('2026-01-01T00:00:00Z');
const MARKETS = '/api/v3/coins/markets';
const CHART = '/api/v3/coins/bitcoin/market_chart';
const CMC = '/v1/cryptocurrency/listings/latest';

function coingecko(overrides: Record<string, string> = {}, time = fakeTime(), breaker?: CircuitBreaker) {
  const config = testConfig({
    COINGECKO_BASE_URL: server.coingeckoUrl,
    PROVIDER_TIMEOUT_MS: '200',
    COINGECKO_CALLS_PER_MINUTE: '1000',
    ...overrides,
  });
  return createCoinGeckoProvider(config, {
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    ...(breaker ? { breaker } : {}),
  });
}

describe('CoinGecko adapter', () => {
  test('When /coins/markets answers with the recorded response, then every coin is mapped with its real values', async () => {
    const { coins } = await coingecko({ COINGECKO_API_KEY: 'demo-key' }).fetchMarkets(100, asOf);
    expect(coins.length).toBe(100);
    const btc = coins.find((coin) => coin.symbol === 'BTC')!;
    expect(btc.current_price).toBe(21109);
    expect(btc.coingecko_id).toBe('bitcoin');
    expect(btc.ath_date).toBe('2021-11-10T14:24:11.849Z');
    const doge = coins.find((coin) => coin.symbol === 'DOGE')!;
    expect(doge.fully_diluted_valuation).toBe(null); // real nulls stay null
    const [request] = server.requests(MARKETS);
    expect(request!.headers['x-cg-demo-api-key']).toBe('demo-key');
    expect(request!.query.get('vs_currency')).toBe('usd');
    expect(request!.query.get('price_change_percentage')).toBe('1h,24h,7d,30d');
    expect(request!.query.get('per_page')).toBe('100');
    expect(request!.query.get('page')).toBe('1');
  });

  test('When a pro key is configured, then the pro header is sent', async () => {
    await coingecko({ COINGECKO_API_KEY: 'pro-key', COINGECKO_API_PLAN: 'pro' }).fetchMarkets(5, asOf);
    expect(server.requests(MARKETS)[0]!.headers['x-cg-pro-api-key']).toBe('pro-key');
  });

  test('When the first page is empty, then the sync fails with a clear error instead of writing nothing', async () => {
    server.script(MARKETS, { body: [] });
    await expect(coingecko().fetchMarkets(50, asOf)).rejects.toThrow(
      /coingecko: \/coins\/markets returned no coins/,
    );
  });

  test('When CoinGecko answers 429 with Retry-After, then the call fails at once as rate limited, carrying the wait', async () => {
    const time = fakeTime();
    server.script(MARKETS, {
      status: 429,
      body: { status: { error_code: 429 } },
      headers: { 'retry-after': '7' },
    });
    const failure = await coingecko({}, time)
      .fetchMarkets(10, asOf)
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 7000 });
    expect(time.sleeps).toStrictEqual([]); // not waited out inside the job: the chain cools the provider down
    expect(server.requests(MARKETS).length).toBe(1);
  });

  test('When the 429 is plain text without Retry-After ("error code: 1015"), then the wait is one budget window', async () => {
    const time = fakeTime();
    server.script(MARKETS, { status: 429, text: 'error code: 1015' });
    await expect(coingecko({}, time).fetchMarkets(10, asOf)).rejects.toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 60_000,
      message: 'coingecko: HTTP 429 error code: 1015',
    });
    expect(time.sleeps).toStrictEqual([]);
  });

  test('When more calls are needed than the per-minute budget, then the client waits instead of being throttled', async () => {
    const time = fakeTime();
    const provider = coingecko({ COINGECKO_CALLS_PER_MINUTE: '2' }, time);
    for (let i = 0; i < 3; i += 1) await provider.fetchMarkets(5, asOf);
    expect(time.sleeps.length).toBe(1);
    expect(time.sleeps[0]).toBe(60_000);
  });

  test('When CoinGecko fails with 500s, then it retries with jittered exponential backoff', async () => {
    const time = fakeTime();
    server.script(
      MARKETS,
      { status: 500, body: { error: 'boom' } },
      { status: 502, text: '<html>bad gateway</html>' },
    );
    await coingecko({}, time).fetchMarkets(5, asOf);
    expect(time.sleeps).toStrictEqual([375, 750]);
  });

  test('When CoinGecko keeps failing, then the error names the provider and the status', async () => {
    server.script(MARKETS, ...Array.from({ length: 4 }, () => ({ status: 503, body: {} })));
    const failure = await coingecko({ PROVIDER_MAX_RETRIES: '3' })
      .fetchMarkets(5, asOf)
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ provider: 'coingecko', status: 503 });
    expect(server.requests(MARKETS).length).toBe(4);
  });

  test('When an answer takes longer than the timeout, then it is abandoned and retried', async () => {
    server.script(MARKETS, { delayMs: 1000, body: [] });
    const { coins } = await coingecko({ PROVIDER_TIMEOUT_MS: '100' }).fetchMarkets(3, asOf);
    expect(coins.length).toBe(3);
  });

  test('When the body is malformed JSON, then the error says so and nothing is retried', async () => {
    server.script(MARKETS, { status: 200, text: '[{"id": "bitcoin", ' });
    await expect(coingecko().fetchMarkets(5, asOf)).rejects.toThrow(
      /coingecko: \/api\/v3\/coins\/markets answered 200 with a body that is not JSON/,
    );
    expect(server.requests(MARKETS).length).toBe(1);
  });

  test('When a coin lacks a required field, then the error names the provider and the field', async () => {
    server.script(MARKETS, { body: [{ id: 'bitcoin', symbol: 'btc', name: 'Bitcoin' }] });
    await expect(coingecko().fetchMarkets(5, asOf)).rejects.toThrow(
      /coingecko: \/api\/v3\/coins\/markets returned invalid data: 0\.current_price/,
    );
  });

  test('When market_chart returns millisecond points at irregular offsets, then they are snapped to hourly buckets', async () => {
    const points = await coingecko().fetchHistory({ symbol: 'BTC', coingecko_id: 'bitcoin' }, 60, asOf);
    withContext(String(points.length), () =>
      expect(points.length > 1400 && points.length <= 1445).toBeTruthy(),
    );
    for (const [index, point] of points.entries()) {
      expect(point.timestamp.getTime() % 3_600_000).toBe(0); // aligned to the hour
      if (index) expect(point.timestamp > points[index - 1]!.timestamp).toBeTruthy(); // one point per bucket, ascending
    }
    // The recording ends with 20:03:56 and a live 20:11:18 point: the 20:00 bucket keeps the 20:03 one.
    const last = points[points.length - 1]!;
    expect(last.timestamp.toISOString()).toBe('2023-01-19T20:00:00.000Z');
    expect(last.market_cap).not.toBe(null);
  });

  test('When no pro key is set, then history requests are clamped to 365 days', async () => {
    await coingecko().fetchHistory({ symbol: 'BTC', coingecko_id: 'bitcoin' }, 1000, asOf);
    expect(server.requests(CHART)[0]!.query.get('days')).toBe('365');
  });

  test('When a pro key turns out limited (error 10012), then the request is repeated inside 365 days', async () => {
    server.script(CHART, {
      status: 401,
      body: {
        error: {
          status: { error_code: 10012, error_message: 'Your request exceeds the allowed time range.' },
        },
      },
    });
    const points = await coingecko({ COINGECKO_API_KEY: 'k', COINGECKO_API_PLAN: 'pro' }).fetchHistory(
      { symbol: 'BTC', coingecko_id: 'bitcoin' },
      1000,
      asOf,
    );
    expect(points.length).toBeGreaterThan(0);
    expect(server.requests(CHART).map((request) => request.query.get('days'))).toStrictEqual(['1000', '365']);
  });
});

describe('CoinMarketCap adapter', () => {
  const cmc = (time = fakeTime(), registry = createMetricsRegistry()) =>
    createCoinMarketCapProvider(
      testConfig({ COINMARKETCAP_BASE_URL: server.coinmarketcapUrl, COINMARKETCAP_API_KEY: 'cmc-key' }),
      { now: time.now, sleep: time.sleep, random: () => 0.5, metrics: createProviderMetrics(registry) },
    );

  test('When listings/latest answers with the recorded response, then coins are mapped and credits recorded', async () => {
    const registry = createMetricsRegistry();
    const { coins, credits } = await cmc(fakeTime(), registry).fetchMarkets(100, asOf);
    expect(coins.length).toBe(100);
    const btc = coins.find((coin) => coin.symbol === 'BTC')!;
    expect(btc.cmc_id).toBe(1);
    expect(btc.market_cap_rank).toBe(1);
    expect(btc.max_supply).toBe(21000000);
    expect(typeof btc.current_price).toBe('number');
    expect(credits).toBe(1);
    expect(server.requests(CMC)[0]!.headers['x-cmc_pro_api_key']).toBe('cmc-key');
    expect(await registry.metrics()).toMatch(/provider_credits_used_total\{provider="coinmarketcap"\} 1/);
  });

  test('When status.error_code is set on an HTTP 200, then it is an error naming the code', async () => {
    server.script(CMC, {
      status: 200,
      body: { status: { error_code: 1002, error_message: 'API key missing.', credit_count: 0 }, data: [] },
    });
    await expect(cmc().fetchMarkets(10, asOf)).rejects.toThrow(
      /coinmarketcap: error 1002: API key missing\./,
    );
  });

  test('When CoinMarketCap signals a rate limit in its status (1008), then the call fails as rate limited for a minute', async () => {
    const time = fakeTime();
    server.script(CMC, {
      status: 200,
      body: { status: { error_code: 1008, error_message: 'minute rate limit', credit_count: 0 }, data: [] },
    });
    await expect(cmc(time).fetchMarkets(10, asOf)).rejects.toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 60_000,
    });
    expect(time.sleeps.length).toBe(0);
    expect(server.requests(CMC).length).toBe(1);
  });
});

describe('Fallback and circuit breaker', () => {
  test('When CoinGecko fails, then the markets come from CoinMarketCap and the result says so', async () => {
    server.script(MARKETS, ...Array.from({ length: 2 }, () => ({ status: 500, body: {} })));
    const config = testConfig({
      MARKET_DATA_PROVIDER: 'coingecko',
      COINGECKO_BASE_URL: server.coingeckoUrl,
      COINMARKETCAP_BASE_URL: server.coinmarketcapUrl,
      PROVIDER_MAX_RETRIES: '1',
    });
    const time = fakeTime();
    const chain = createProviderChain({
      config,
      logger: createLogger({ level: 'silent', name: 't' }),
      http: { now: time.now, sleep: time.sleep },
    });
    const result = await chain.fetchMarkets(20, asOf);
    expect(result.provider).toBe('coinmarketcap');
    expect(result.fallback_from).toBe('coingecko');
    expect(result.coins.length).toBe(20);
  });

  test('When calls keep failing, then the circuit opens, short-circuits calls, and closes after a good trial', async () => {
    const time = fakeTime();
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 30_000, now: time.now });
    const provider = coingecko({ PROVIDER_MAX_RETRIES: '0' }, time, breaker);
    server.script(MARKETS, { status: 500, body: {} }, { status: 500, body: {} });
    await expect(provider.fetchMarkets(5, asOf)).rejects.toThrow();
    await expect(provider.fetchMarkets(5, asOf)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    await expect(provider.fetchMarkets(5, asOf)).rejects.toThrow(/circuit breaker is open/);
    expect(server.requests(MARKETS).length).toBe(2); // an open circuit sends nothing upstream
    time.advance(30_000);
    expect(breaker.state).toBe('half_open');
    const { coins } = await provider.fetchMarkets(5, asOf);
    expect(coins.length).toBe(5);
    expect(breaker.state).toBe('closed');
  });
});

describe('Rate limits and shared cooldowns', () => {
  const redis = createCacheRedis(testConfig().REDIS_URL);
  beforeAll(async () => {
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterAll(() => redis.disconnect());
  const chainFor = (prefix: string, extra: Record<string, string> = {}) =>
    createProviderChain({
      config: testConfig({
        MARKET_DATA_PROVIDER: 'coingecko',
        COINGECKO_BASE_URL: server.coingeckoUrl,
        COINMARKETCAP_BASE_URL: server.coinmarketcapUrl,
        ...extra,
      }),
      logger: createLogger({ level: 'silent', name: 't' }),
      cooldowns: createRedisCooldowns(redis, prefix),
    });

  test('When CoinGecko answers a plain 429, then CoinMarketCap answers at once and the result says why CoinGecko was skipped', async () => {
    const prefix = `test:cooldown-${randomUUID()}:`;
    server.script(MARKETS, { status: 429, text: 'error code: 1015' });
    const started = Date.now();
    const result = await chainFor(prefix).fetchMarkets(10, asOf);
    expect(Date.now() - started).toBeLessThan(5000); // no waiting out of the rate limit
    expect(result.provider).toBe('coinmarketcap');
    expect(result.coins.length).toBe(10);
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0]!.provider).toBe('coingecko');
    expect(result.skipped[0]!.reason).toMatch(/^coingecko: HTTP 429 error code: 1015; cooling down until /);
    const until = Date.parse(result.skipped[0]!.until!);
    expect(until - started).toBeGreaterThanOrEqual(59_000);
    expect(until - started).toBeLessThanOrEqual(61_000 + (Date.now() - started));
    expect(await redis.pttl(`${prefix}provider:cooldown:coingecko`)).toBeGreaterThan(55_000);
  });

  test('When another worker syncs during the cooldown, then it skips CoinGecko without calling it', async () => {
    const prefix = `test:cooldown-${randomUUID()}:`;
    server.script(MARKETS, { status: 429, text: 'error code: 1015' });
    await chainFor(prefix).fetchMarkets(5, asOf);
    const calls = server.requests(MARKETS).length;
    const other = await chainFor(prefix).fetchMarkets(5, asOf); // another process, same Redis
    expect(server.requests(MARKETS).length).toBe(calls);
    expect(other.provider).toBe('coinmarketcap');
    expect(other.skipped[0]!.reason).toMatch(/^cooling down after a rate limit \(coingecko: HTTP 429/);
  });

  test('When no provider can answer, then the sync fails at once with each reason and the time to retry', async () => {
    const prefix = `test:cooldown-${randomUUID()}:`;
    server.script(MARKETS, { status: 429, text: 'error code: 1015', headers: { 'retry-after': '20' } });
    server.script(CMC, {
      status: 200,
      body: { status: { error_code: 1008, error_message: 'minute rate limit', credit_count: 0 }, data: [] },
    });
    const started = Date.now();
    const failure = await chainFor(prefix)
      .fetchMarkets(5, asOf)
      .then(
        () => null,
        (error: unknown) => error as ProviderError,
      );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure!.kind).toBe('rate_limited');
    expect(failure!.message).toMatch(
      /no provider could answer: coingecko \(coingecko: HTTP 429.*coinmarketcap \(coinmarketcap: error 1008/,
    );
    // The retry waits for the first cooldown to end: CoinGecko's 20 s Retry-After.
    expect(failure!.retryAfterMs).toBeGreaterThan(18_000);
    expect(failure!.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  test('When two workers are rate-limited at once, then the later end of the cooldowns is kept', async () => {
    const prefix = `test:cooldown-${randomUUID()}:`;
    const cooldowns = createRedisCooldowns(redis, prefix);
    const long = await cooldowns.start('coingecko', 60_000, 'first');
    const short = await cooldowns.start('coingecko', 5_000, 'second');
    expect(short).toStrictEqual(long);
    expect((await cooldowns.current('coingecko'))!.reason).toBe('first');
  });
});
