import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { seedBundledData } from '../../../core/market/index.ts';
import {
  createRiskRepository,
  createRiskService,
  type TRiskCache,
  type TRiskRepository,
} from '../../../core/risk/index.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { withContext } from '../../../test/expect-context.ts';
import { RECORDED_MARKET } from '../../../test/market.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { awayFromWindowEnd } from '../../../test/rate-window.ts';

// Work per request on the risk routes: the smallest window, requests that must not write, rankings from
// one query, costs against the caller's budget, and a deadline.
const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000' });
const SYMBOLS = ['BTC', 'ETH', 'SOL', 'APE', 'DOGE'];
let database: TTestDatabase;
let api: TTestApi;
const get = (path: string) => request(api.url, path);

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: SYMBOLS, ...RECORDED_MARKET });
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

/** The repository with a count of its calls, by method. */
function counted(db: DataSource): { repository: TRiskRepository; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const real = createRiskRepository(db);
  const repository = Object.fromEntries(
    Object.entries(real).map(([name, method]) => [
      name,
      (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return (method as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as TRiskRepository;
  return { repository, calls };
}
const total = (calls: Map<string, number>) => [...calls.values()].reduce((sum, n) => sum + n, 0);

function memoryCache(): TRiskCache & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    version: async () => 'v1',
    get: async (key) => entries.get(key) ?? null,
    set: async (key, value) => {
      entries.set(key, value);
    },
  };
}

describe('the smallest window', () => {
  test('When the documented minimum window (30) is asked, then the report answers 200 with 30 daily returns', async () => {
    const { status, body } = await get('/api/v1/risk/BTC?window=30&to=2022-09-26');
    expect(status).toBe(200);
    expect(body.window_days).toBe(30);
    expect(body.observations).toBe(30);
    expect(body.from).toBe('2022-08-27'); // 31 closes: the first is where the first return starts
    expect(body.to).toBe('2022-09-26');
    const matrix = await get('/api/v1/risk/correlations?symbols=BTC,ETH&window=30&to=2022-09-26');
    expect(matrix.status).toBe(200);
    expect(matrix.body.observations).toBe(30);
  });
});

describe('reads never write the precomputed reports', () => {
  test('When reports and rankings are read for other days, windows or coins, then the stored default rows stay as the job wrote them', async () => {
    const service = createRiskService({ risk: createRiskRepository(database.db) });
    await service.precompute({ symbols: ['BTC', 'ETH'] }, new Date('2022-09-26T12:00:00Z'));
    const snapshot = () =>
      database.db.query(
        `SELECT c.symbol, r.window_end::text, r.observations, r.computed_at, r.metrics
         FROM risk_metrics r JOIN cryptocurrencies c ON c.id = r.cryptocurrency_id ORDER BY c.symbol`,
      );
    const before = await snapshot();
    expect(before.map((row: { symbol: string }) => row.symbol)).toStrictEqual(['BTC', 'ETH']);
    for (const path of [
      '/api/v1/risk/ETH?to=2021-06-30', // the default window for another day
      '/api/v1/risk/BTC?to=2020-01-01',
      '/api/v1/risk/SOL?to=2022-09-26', // a default report nobody precomputed
      '/api/v1/risk/rankings?to=2021-06-30',
      '/api/v1/risk/rankings?to=2022-09-26&sort_by=var_95',
      '/api/v1/risk/ETH?to=2022-09-26', // the stored one itself: a lookup
    ]) {
      const { status } = await get(path);
      withContext(path, () => expect(status).toBe(200));
    }
    await Promise.all(
      ['/api/v1/risk/ETH?to=2021-06-30', '/api/v1/risk/rankings?to=2021-06-30'].map((path) => get(path)),
    );
    expect(await snapshot()).toStrictEqual(before);
  });
});

describe('rankings', () => {
  test('When a day is ranked, then every coin’s closes come from one query, once per day and version, whatever the sort and limit', async () => {
    const { repository, calls } = counted(database.db);
    const cache = memoryCache();
    const service = createRiskService({ risk: repository, cache });
    const day = new Date('2021-06-30T00:00:00Z');
    const first = await service.rankings('risk_score', 'desc', 20, day);
    expect(first.data.map((row) => row.symbol).sort()).toStrictEqual(['BTC', 'DOGE', 'ETH', 'SOL']); // APE: too young
    // The coin list and the closes of all of them: two queries, not a few per coin.
    expect(Object.fromEntries(calls)).toStrictEqual({ allCoins: 1, dailyClosesOf: 1 });
    calls.clear();
    const other = await service.rankings('volatility_annualized', 'asc', 2, day);
    expect(other.data.length).toBe(2);
    expect(total(calls)).toBe(0); // the day's figures came from the cache store
    expect(cache.entries.size).toBe(1);
  });

  test('When many requests for one day arrive at once, then its figures are computed once', async () => {
    const { repository, calls } = counted(database.db);
    const service = createRiskService({ risk: repository, cache: memoryCache() });
    const day = new Date('2021-03-31T00:00:00Z');
    const results = await Promise.all(
      (['risk_score', 'var_95', 'max_drawdown', 'sharpe_ratio', 'volatility_annualized'] as const).map(
        (field) => service.rankings(field, 'desc', 3, day),
      ),
    );
    expect(results.every((result) => result.data.length === 3)).toBe(true);
    expect(calls.get('dailyClosesOf')).toBe(1);
  });

  test('When a coin is ranked, then its value is exactly the one in its own report', async () => {
    const ranking = await get('/api/v1/risk/rankings?to=2022-06-30&sort_by=max_drawdown&limit=250');
    expect(ranking.status).toBe(200);
    for (const row of ranking.body.data as { symbol: string; value: number; risk_score: number }[]) {
      const report = await get(`/api/v1/risk/${row.symbol}?to=2022-06-30`);
      withContext(row.symbol, () => {
        expect(row.value).toBe(report.body.metrics.max_drawdown);
        expect(row.risk_score).toBe(report.body.risk_score);
      });
    }
  });
});

describe('cost and deadline', () => {
  test('When reports and rankings are asked, then each spends its cost of the caller’s per-minute budget, and one that does not fit is a 429 naming it', async () => {
    const limited = await startTestApi(testConfig({ RATE_LIMIT_PER_MINUTE: '30' }), database.db);
    await awayFromWindowEnd();
    try {
      const remaining = async (path: string) => {
        const response = await request(limited.url, path);
        return [response.status, Number(response.headers.get('ratelimit-remaining'))];
      };
      expect(await remaining('/api/v1/risk/rankings?to=2022-09-26')).toStrictEqual([200, 20]);
      expect(await remaining('/api/v1/risk/BTC?to=2022-09-26')).toStrictEqual([200, 15]);
      expect(await remaining('/api/v1/risk/correlations?symbols=BTC,ETH&to=2022-09-26')).toStrictEqual([
        200, 10,
      ]);
      expect(await remaining('/api/v1/cryptocurrencies/BTC')).toStrictEqual([200, 9]);
      const refused = await request(limited.url, '/api/v1/risk/rankings?to=2022-09-25');
      expect(refused.status).toBe(429);
      expect(refused.body.detail).toMatch(/this request costs 10/);
      expect(refused.headers.get('retry-after')).toBeTruthy();
    } finally {
      await limited.close();
    }
  });

  test('When a ranking outlives its time budget, then it answers a 503 problem at its deadline, its query is cancelled, and /health answers meanwhile', async () => {
    const bounded = await startTestApi(
      testConfig({ RATE_LIMIT_PER_MINUTE: '100000', REQUEST_DEADLINE_MS: '800' }),
      database.db,
    );
    // A writer holding price_history makes every read of it wait: the work cannot finish in time.
    const runner = database.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query('LOCK TABLE price_history IN ACCESS EXCLUSIVE MODE');
    const waiters = async (): Promise<number> =>
      (
        await runner.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'price_history'::regclass AND NOT granted`,
        )
      )[0].n;
    try {
      const started = Date.now();
      const pending = request(bounded.url, '/api/v1/risk/rankings?to=2020-06-30', {
        signal: AbortSignal.timeout(10_000),
      });
      const health = await request(bounded.url, '/health', { signal: AbortSignal.timeout(5000) });
      expect(health.status).toBe(200);
      const response = await pending;
      expect(response.status).toBe(503);
      expect(response.body.type).toBe('urn:trading-backend:problem:deadline_exceeded');
      expect(response.headers.get('retry-after')).toBeTruthy();
      // The budget is 800 ms; the bound leaves room for a loaded machine, far below the 5 s statement timeout.
      expect(Date.now() - started).toBeLessThan(4000);
      // The query gave up with the request: nothing of it still waits for the table.
      const until = Date.now() + 3000;
      while ((await waiters()) > 0 && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await waiters()).toBe(0);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    try {
      // Once the data is readable again the same request answers.
      expect((await request(bounded.url, '/api/v1/risk/rankings?to=2020-06-30')).status).toBe(200);
    } finally {
      await bounded.close();
    }
  });
});
