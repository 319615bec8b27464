import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { withContext } from '../../../test/expect-context.ts';
import { invalidateMarketCache, seedBundledData, upsertHistory } from '../../../core/market/index.ts';
import { createRiskRepository, createRiskService } from '../../../core/risk/index.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { testConfig } from '../../../test/config.ts';
import { RECORDED_MARKET } from '../../../test/market.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';

// The worked example of docs/risk-methodology.md: 365 daily returns (366 closes) of bundled CoinGecko data
// ending 2022-09-26. Expected numbers from scripts/risk-reference.py (numpy / empyrical definitions).
const WORKED: Record<'BTC' | 'ETH', Record<string, number | string | null>> = {
  BTC: {
    volatility_daily: 0.034844937661371894,
    volatility_annualized: 0.6657115992891262,
    return_total: -0.5611107868914769,
    return_annualized: -0.5611107868914769,
    max_drawdown: -0.7258140559899138,
    var_95: 0.059906128717223825,
    cvar_95: 0.08334374488830282,
    parametric_var_95: 0.05895870959361976,
    var_99: 0.09738406625682289,
    cvar_99: 0.11805057576101291,
    parametric_var_99: 0.08270533415003238,
    sharpe_ratio: -0.9013196379512193,
    sortino_ratio: -1.216266240544133,
    calmar_ratio: -0.7730778734040862,
    beta: 1,
    correlation_to_benchmark: 1,
    alpha_annualized: 0,
    liquidity_ratio: 0.04093910632682605,
    max_drawdown_peak_date: '2021-11-09',
    max_drawdown_trough_date: '2022-09-22',
    max_drawdown_recovery_date: null,
  },
  ETH: {
    volatility_daily: 0.0447506458987664,
    volatility_annualized: 0.8549598894393958,
    return_total: -0.5608795733508201,
    return_annualized: -0.5608795733508201,
    max_drawdown: -0.7933018460301267,
    var_95: 0.0740229494793455,
    cvar_95: 0.10225257340468855,
    parametric_var_95: 0.0748541841195856,
    var_99: 0.11708794396717365,
    cvar_99: 0.14437885143665657,
    parametric_var_99: 0.10535149185312834,
    sharpe_ratio: -0.5319097431218682,
    sortino_ratio: -0.7290286649581692,
    calmar_ratio: -0.7070191203481958,
    beta: 1.1082791973311774,
    correlation_to_benchmark: 0.8629578136092263,
    alpha_annualized: 0.23388347585479208,
    liquidity_ratio: 0.053988771402273136,
    max_drawdown_peak_date: '2021-11-09',
    max_drawdown_trough_date: '2022-06-19',
    max_drawdown_recovery_date: null,
  },
};

const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000' });
let database: TTestDatabase;
let api: TTestApi;
const get = (path: string) => request(api.url, path);

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH', 'SOL', 'APE', 'DOGE'], ...RECORDED_MARKET });
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

describe('GET /api/v1/risk/{symbol}', () => {
  for (const symbol of ['BTC', 'ETH'] as const) {
    test(`When ${symbol} is measured over the worked-example year, then every metric equals the reference`, async () => {
      const { status, body } = await get(`/api/v1/risk/${symbol.toLowerCase()}?to=2022-09-26`);
      expect(status).toBe(200);
      expect(body.symbol).toBe(symbol);
      expect(body.benchmark).toBe('BTC');
      expect(body.window_days).toBe(365);
      expect(body.from).toBe('2021-09-26');
      expect(body.to).toBe('2022-09-26');
      expect(body.observations).toBe(365);
      expect(body.annualization_factor).toBe(365);
      expect(body.data_last_timestamp).toBe('2022-09-26T00:00:00.000Z');
      for (const [key, expected] of Object.entries(WORKED[symbol])) {
        const actual = body.metrics[key];
        if (typeof expected === 'number') {
          withContext(`${key}: ${actual} != ${expected}`, () =>
            expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected))),
          );
        } else {
          withContext(key, () => expect(actual).toBe(expected));
        }
      }
      expect(body.risk_score >= 0 && body.risk_score <= 100).toBeTruthy();
      expect(['low', 'medium', 'high', 'very_high'].includes(body.risk_level)).toBeTruthy();
    });
  }

  test('When the default window is precomputed, then reads are lookups until newer prices arrive', async () => {
    const service = createRiskService({ risk: createRiskRepository(database.db) });
    const result = await service.precompute({ symbols: ['ETH', 'BTC'] }, new Date('2022-09-26T12:00:00Z'));
    expect(result.computed).toBe(2);
    const [stored] = await database.db.query(
      `SELECT computed_at FROM risk_metrics r JOIN cryptocurrencies c ON c.id = r.cryptocurrency_id WHERE c.symbol = 'ETH'`,
    );
    // The job runs after a sync, whose new version retires the answers cached before it.
    await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX);
    const first = await get('/api/v1/risk/ETH?to=2022-09-26&window=365&benchmark=BTC');
    expect(first.body.computed_at).toBe(stored.computed_at.toISOString()); // served from risk_metrics

    // A newer point for the same day changes the close: the stored row is stale and must not be served.
    const [{ id }] = await database.db.query(`SELECT id FROM cryptocurrencies WHERE symbol = 'ETH'`);
    await upsertHistory(database.db, [
      {
        cryptocurrency_id: id,
        timestamp: new Date('2022-09-26T18:00:00Z'),
        price: 1000,
        market_cap: null,
        total_volume: null,
      },
    ]);
    await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX); // what a sync does after writing
    const second = await get('/api/v1/risk/ETH?to=2022-09-26');
    expect(second.body.computed_at).not.toBe(first.body.computed_at);
    expect(second.body.data_last_timestamp).toBe('2022-09-26T18:00:00.000Z');
    expect(second.body.metrics.return_total).not.toBe(first.body.metrics.return_total);
    await database.db.query(
      `DELETE FROM price_history WHERE cryptocurrency_id = $1 AND "timestamp" = '2022-09-26T18:00:00Z'`,
      [id],
    );
    await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX);
  });

  test('When a non-default window, benchmark or risk-free rate is asked, then it is computed on demand', async () => {
    const { status, body } = await get(
      '/api/v1/risk/ETH?to=2022-09-26&window=1825&benchmark=doge&risk_free_rate=0.04',
    );
    expect(status).toBe(200);
    expect(body.window_days).toBe(1825);
    expect(body.benchmark).toBe('DOGE');
    expect(body.from).toBe('2017-09-27');
    expect(body.observations).toBe(1825);
  });

  test('When the window holds fewer than 30 returns, then the answer is a 422 problem naming the count', async () => {
    const { status, headers, body } = await get('/api/v1/risk/APE?to=2022-04-01&window=30');
    expect(status).toBe(422);
    expect(headers.get('content-type')!).toMatch(/application\/problem\+json/);
    expect(body.type).toBe('urn:trading-backend:problem:insufficient_history');
    expect(body.detail).toMatch(/insufficient history: APE has 15 daily returns/);
    expect(body.observations).toBe(15);
  });

  const bad: [string, string][] = [
    ['window=10', 'window'],
    ['window=2000', 'window'],
    ['risk_free_rate=abc', 'risk_free_rate'],
    ['risk_free_rate=5', 'risk_free_rate'],
    ['to=2022-02-30', 'to'],
    ['benchmark=%24%24', 'benchmark'],
    ['unknown=1', 'unknown'],
  ];
  for (const [query, parameter] of bad) {
    test(`When the risk query is "${query}", then a 400 problem names ${parameter}`, async () => {
      const { status, body } = await get(`/api/v1/risk/BTC?${query}`);
      expect(status).toBe(400);
      withContext(JSON.stringify(body.errors), () =>
        expect(body.errors.some((error: { name: string }) => error.name === parameter)).toBeTruthy(),
      );
    });
  }

  test('When the symbol or the benchmark is unknown, then the answer is a 404 problem saying which', async () => {
    expect((await get('/api/v1/risk/NOPE')).body.detail).toMatch(/No cryptocurrency with symbol "NOPE"/);
    const benchmark = await get('/api/v1/risk/BTC?benchmark=NOPE&to=2022-09-26');
    expect(benchmark.status).toBe(404);
    expect(benchmark.body.detail).toMatch(/Unknown benchmark "NOPE"/);
  });
});

describe('GET /api/v1/risk/correlations and /rankings', () => {
  test('When two symbols are correlated, then the matrix is symmetric with a unit diagonal and matches the report', async () => {
    const { status, body } = await get(
      '/api/v1/risk/correlations?symbols=btc,ETH,sol&window=90&to=2022-09-26',
    );
    expect(status).toBe(200);
    expect(body.symbols).toStrictEqual(['BTC', 'ETH', 'SOL']);
    expect(body.observations).toBe(90);
    for (let i = 0; i < 3; i += 1) {
      expect(body.matrix[i][i]).toBe(1);
      for (let j = 0; j < 3; j += 1) expect(body.matrix[i][j]).toBe(body.matrix[j][i]);
    }
    const eth = await get('/api/v1/risk/ETH?window=90&to=2022-09-26');
    expect(Math.abs(body.matrix[1][0] - eth.body.metrics.correlation_to_benchmark)).toBeLessThan(1e-12);
  });

  test('When a symbol is unknown or too short, then the problem names it (404 / 422)', async () => {
    const unknown = await get('/api/v1/risk/correlations?symbols=BTC,NOPE');
    expect(unknown.status).toBe(404); // a well-formed symbol of no stored coin, as on /risk/{symbol}
    expect(unknown.body.detail).toMatch(/NOPE/);
    expect(unknown.body.unknown_symbols).toStrictEqual(['NOPE']);
    const short = await get('/api/v1/risk/correlations?symbols=BTC,APE&to=2022-04-01&window=60');
    expect(short.status).toBe(422);
    expect(short.body.symbols).toStrictEqual(['APE']);
    expect((await get('/api/v1/risk/correlations?symbols=BTC')).status).toBe(400);
    expect((await get('/api/v1/risk/correlations')).status).toBe(400);
  });

  test('When coins are ranked by volatility, then those with enough history come sorted', async () => {
    const { status, body } = await get('/api/v1/risk/rankings?sort_by=volatility_annualized&to=2022-09-26');
    expect(status).toBe(200);
    const symbols = body.data.map((row: { symbol: string }) => row.symbol);
    expect(symbols.includes('BTC') && symbols.includes('ETH') && symbols.includes('SOL')).toBeTruthy();
    expect(symbols.indexOf('ETH') < symbols.indexOf('BTC')).toBeTruthy(); // ETH was more volatile than BTC that year
    const values = body.data.map((row: { value: number }) => row.value);
    expect(values).toStrictEqual([...values].sort((a, b) => b - a));
    const ascending = await get('/api/v1/risk/rankings?sort_by=max_drawdown&order=asc&limit=2&to=2022-09-26');
    expect(ascending.body.data.length).toBe(2);
    expect(ascending.body.data[0].value <= ascending.body.data[1].value).toBeTruthy();
    expect((await get('/api/v1/risk/rankings?sort_by=beta')).status).toBe(400);
  });
});
