import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createLogger } from '../logging/logger.ts';
import { createMetricsRegistry } from '../metrics/registry.ts';
import { testConfig } from '../../test/config.ts';
import { startProviderServer, type TProviderServer } from '../../test/provider-server.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { createCoinGeckoProvider } from './coingecko.provider.ts';
import { createCoinMarketCapProvider } from './coinmarketcap.provider.ts';
import { ProviderError } from './provider-error.ts';
import { createProviderMetrics } from './provider-metrics.ts';
import { createProviderChain } from './provider-chain.ts';

let server: TProviderServer;
before(async () => {
  server = await startProviderServer();
});
after(() => server.close());
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
    assert.equal(coins.length, 100);
    const btc = coins.find((coin) => coin.symbol === 'BTC')!;
    assert.equal(btc.current_price, 21109);
    assert.equal(btc.coingecko_id, 'bitcoin');
    assert.equal(btc.ath_date, '2021-11-10T14:24:11.849Z');
    const doge = coins.find((coin) => coin.symbol === 'DOGE')!;
    assert.equal(doge.fully_diluted_valuation, null, 'real nulls stay null');
    const [request] = server.requests(MARKETS);
    assert.equal(request!.headers['x-cg-demo-api-key'], 'demo-key');
    assert.equal(request!.query.get('vs_currency'), 'usd');
    assert.equal(request!.query.get('price_change_percentage'), '1h,24h,7d,30d');
    assert.equal(request!.query.get('per_page'), '100');
    assert.equal(request!.query.get('page'), '1');
  });

  test('When a pro key is configured, then the pro header is sent', async () => {
    await coingecko({ COINGECKO_API_KEY: 'pro-key', COINGECKO_API_PLAN: 'pro' }).fetchMarkets(5, asOf);
    assert.equal(server.requests(MARKETS)[0]!.headers['x-cg-pro-api-key'], 'pro-key');
  });

  test('When the first page is empty, then the sync fails with a clear error instead of writing nothing', async () => {
    server.script(MARKETS, { body: [] });
    await assert.rejects(coingecko().fetchMarkets(50, asOf), /coingecko: \/coins\/markets returned no coins/);
  });

  test('When CoinGecko answers 429 with Retry-After, then the client waits that long and retries', async () => {
    const time = fakeTime();
    server.script(MARKETS, {
      status: 429,
      body: { status: { error_code: 429 } },
      headers: { 'retry-after': '7' },
    });
    const { coins } = await coingecko({}, time).fetchMarkets(10, asOf);
    assert.equal(coins.length, 10);
    assert.deepEqual(time.sleeps, [7000]);
    assert.equal(server.requests(MARKETS).length, 2);
  });

  test('When the 429 is plain text without Retry-After ("error code: 1015"), then the client waits out a budget window', async () => {
    const time = fakeTime();
    server.script(MARKETS, { status: 429, text: 'error code: 1015' });
    await coingecko({}, time).fetchMarkets(10, asOf);
    assert.deepEqual(time.sleeps, [60_000]);
  });

  test('When more calls are needed than the per-minute budget, then the client waits instead of being throttled', async () => {
    const time = fakeTime();
    const provider = coingecko({ COINGECKO_CALLS_PER_MINUTE: '2' }, time);
    for (let i = 0; i < 3; i += 1) await provider.fetchMarkets(5, asOf);
    assert.equal(time.sleeps.length, 1);
    assert.equal(time.sleeps[0], 60_000);
  });

  test('When CoinGecko fails with 500s, then it retries with jittered exponential backoff', async () => {
    const time = fakeTime();
    server.script(
      MARKETS,
      { status: 500, body: { error: 'boom' } },
      { status: 502, text: '<html>bad gateway</html>' },
    );
    await coingecko({}, time).fetchMarkets(5, asOf);
    assert.deepEqual(time.sleeps, [375, 750]);
  });

  test('When CoinGecko keeps failing, then the error names the provider and the status', async () => {
    server.script(MARKETS, ...Array.from({ length: 4 }, () => ({ status: 503, body: {} })));
    await assert.rejects(coingecko({ PROVIDER_MAX_RETRIES: '3' }).fetchMarkets(5, asOf), (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.provider, 'coingecko');
      assert.equal(error.status, 503);
      return true;
    });
    assert.equal(server.requests(MARKETS).length, 4);
  });

  test('When an answer takes longer than the timeout, then it is abandoned and retried', async () => {
    server.script(MARKETS, { delayMs: 1000, body: [] });
    const { coins } = await coingecko({ PROVIDER_TIMEOUT_MS: '100' }).fetchMarkets(3, asOf);
    assert.equal(coins.length, 3);
  });

  test('When the body is malformed JSON, then the error says so and nothing is retried', async () => {
    server.script(MARKETS, { status: 200, text: '[{"id": "bitcoin", ' });
    await assert.rejects(
      coingecko().fetchMarkets(5, asOf),
      /coingecko: \/api\/v3\/coins\/markets answered 200 with a body that is not JSON/,
    );
    assert.equal(server.requests(MARKETS).length, 1);
  });

  test('When a coin lacks a required field, then the error names the provider and the field', async () => {
    server.script(MARKETS, { body: [{ id: 'bitcoin', symbol: 'btc', name: 'Bitcoin' }] });
    await assert.rejects(
      coingecko().fetchMarkets(5, asOf),
      /coingecko: \/api\/v3\/coins\/markets returned invalid data: 0\.current_price/,
    );
  });

  test('When market_chart returns millisecond points at irregular offsets, then they are snapped to hourly buckets', async () => {
    const points = await coingecko().fetchHistory({ symbol: 'BTC', coingecko_id: 'bitcoin' }, 60, asOf);
    assert.ok(points.length > 1400 && points.length <= 1445, String(points.length));
    for (const [index, point] of points.entries()) {
      assert.equal(point.timestamp.getTime() % 3_600_000, 0, 'aligned to the hour');
      if (index) assert.ok(point.timestamp > points[index - 1]!.timestamp, 'one point per bucket, ascending');
    }
    // The recording ends with 20:03:56 and a live 20:11:18 point: the 20:00 bucket keeps the 20:03 one.
    const last = points[points.length - 1]!;
    assert.equal(last.timestamp.toISOString(), '2023-01-19T20:00:00.000Z');
    assert.notEqual(last.market_cap, null);
  });

  test('When no pro key is set, then history requests are clamped to 365 days', async () => {
    await coingecko().fetchHistory({ symbol: 'BTC', coingecko_id: 'bitcoin' }, 1000, asOf);
    assert.equal(server.requests(CHART)[0]!.query.get('days'), '365');
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
    assert.ok(points.length > 0);
    assert.deepEqual(
      server.requests(CHART).map((request) => request.query.get('days')),
      ['1000', '365'],
    );
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
    assert.equal(coins.length, 100);
    const btc = coins.find((coin) => coin.symbol === 'BTC')!;
    assert.equal(btc.cmc_id, 1);
    assert.equal(btc.market_cap_rank, 1);
    assert.equal(btc.max_supply, 21000000);
    assert.equal(typeof btc.current_price, 'number');
    assert.equal(credits, 1);
    assert.equal(server.requests(CMC)[0]!.headers['x-cmc_pro_api_key'], 'cmc-key');
    assert.match(await registry.metrics(), /provider_credits_used_total\{provider="coinmarketcap"\} 1/);
  });

  test('When status.error_code is set on an HTTP 200, then it is an error naming the code', async () => {
    server.script(CMC, {
      status: 200,
      body: { status: { error_code: 1002, error_message: 'API key missing.', credit_count: 0 }, data: [] },
    });
    await assert.rejects(cmc().fetchMarkets(10, asOf), /coinmarketcap: error 1002: API key missing\./);
  });

  test('When CoinMarketCap signals a rate limit in its status (1008), then the call is retried', async () => {
    const time = fakeTime();
    server.script(CMC, {
      status: 200,
      body: { status: { error_code: 1008, error_message: 'minute rate limit', credit_count: 0 }, data: [] },
    });
    const { coins } = await cmc(time).fetchMarkets(10, asOf);
    assert.equal(coins.length, 10);
    assert.equal(time.sleeps.length, 1);
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
    assert.equal(result.provider, 'coinmarketcap');
    assert.equal(result.fallback_from, 'coingecko');
    assert.equal(result.coins.length, 20);
  });

  test('When calls keep failing, then the circuit opens, short-circuits calls, and closes after a good trial', async () => {
    const time = fakeTime();
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 30_000, now: time.now });
    const provider = coingecko({ PROVIDER_MAX_RETRIES: '0' }, time, breaker);
    server.script(MARKETS, { status: 500, body: {} }, { status: 500, body: {} });
    await assert.rejects(provider.fetchMarkets(5, asOf));
    await assert.rejects(provider.fetchMarkets(5, asOf));
    assert.equal(breaker.state, 'open');
    await assert.rejects(provider.fetchMarkets(5, asOf), /circuit breaker is open/);
    assert.equal(server.requests(MARKETS).length, 2, 'an open circuit sends nothing upstream');
    time.advance(30_000);
    assert.equal(breaker.state, 'half_open');
    const { coins } = await provider.fetchMarkets(5, asOf);
    assert.equal(coins.length, 5);
    assert.equal(breaker.state, 'closed');
  });
});
