import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { invalidateMarketCache } from '../../../core/market/index.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { daysAgo, seedDailyPrices } from '../../../test/prices.ts';

const DAYS = 120;
const config = testConfig({ RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000' });
let database: TTestDatabase;
let api: TTestApi;
let owner: TSignedIn;
beforeAll(async () => {
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
  // BTC rises steadily (100 → 220); XRP swings between 1.2 and 1 every day (a large one-day VaR).
  await seedDailyPrices(
    database.db,
    { BTC: (index) => String(100 + index), XRP: (index) => (index % 2 ? '1' : '1.2') },
    DAYS,
  );
  // Written as a sync writes prices: with a new market data version (the API keeps prices per version).
  await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX);
  owner = await signIn(api, 'trader');
});

const base = (id: string) => `/api/v1/portfolios/${id}`;
const get = (path: string, who: TSignedIn = owner) => request(api.url, path, { headers: who.headers });
const send = (method: 'POST' | 'PUT', path: string, body: unknown, who: TSignedIn = owner) =>
  sendJson(api.url, method, path, body, who.headers);

/** A portfolio with 10 BTC bought 100 days ago at 120 and, with cash tracking, 10,000 USD deposited first. */
async function portfolio(settings: Record<string, unknown> = {}): Promise<string> {
  const created = await send('POST', '/api/v1/portfolios', { name: 'Main', ...settings });
  expect(created.status).toBe(201);
  const id = created.body.id;
  if (settings.cash_tracking) {
    const deposit = {
      type: 'deposit',
      symbol: 'USD',
      quantity: '10000',
      timestamp: `${daysAgo(101)}T12:00:00Z`,
    };
    expect((await send('POST', `${base(id)}/transactions`, deposit)).status).toBe(201);
  }
  const buy = {
    type: 'buy',
    symbol: 'BTC',
    quantity: '10',
    price: '120',
    timestamp: `${daysAgo(100)}T12:00:00Z`,
  };
  expect((await send('POST', `${base(id)}/transactions`, buy)).status).toBe(201);
  return id;
}

describe('Limits', () => {
  test('When limits are put, then they are stored in order with symbols upper-cased, read back, and an empty list removes them', async () => {
    const id = await portfolio();
    const limits = [
      { type: 'max_position_weight', symbol: 'btc', value: '0.5' },
      { type: 'max_var_95', value: '0.05', hard: false },
    ];
    const put = await send('PUT', `${base(id)}/limits`, { limits });
    expect(put.status).toBe(200);
    expect(put.body.limits).toEqual([
      { id: expect.any(String), type: 'max_position_weight', symbol: 'BTC', value: '0.5', hard: true },
      { id: expect.any(String), type: 'max_var_95', symbol: null, value: '0.05', hard: false },
    ]);
    expect((await get(`${base(id)}/limits`)).body.limits).toEqual(put.body.limits);
    expect((await send('PUT', `${base(id)}/limits`, { limits: [] })).body.limits).toEqual([]);
  });

  test.each([
    [{ type: 'max_hhi', symbol: 'BTC', value: '0.3' }, 'symbol_not_allowed'],
    [{ type: 'max_position_weight', value: '1.5' }, 'not_a_fraction'],
    [{ type: 'min_cash_weight', value: '0.1' }, 'needs_cash_tracking'],
    [{ type: 'max_position_value', symbol: 'NOPE', value: '1000' }, 'unknown_symbol'],
  ])('When a limit is %j, then it is a 422 (%s) and nothing is stored', async (limit, reason) => {
    const id = await portfolio();
    const answer = await send('PUT', `${base(id)}/limits`, {
      limits: [{ type: 'max_hhi', value: '0.9' }, limit],
    });
    expect(answer.status).toBe(422);
    expect(answer.body.reason).toBe(reason);
    expect((await get(`${base(id)}/limits`)).body.limits).toEqual([]);
  });

  test.each([
    [{ limits: [{ type: 'max_leverage', value: '2' }] }],
    [{ limits: [{ type: 'max_hhi', value: '-0.1' }] }],
    [{ limits: [{ type: 'max_hhi', value: 0.5 }] }],
    [{ limits: Array.from({ length: 51 }, () => ({ type: 'max_hhi', value: '0.5' })) }],
    [{}],
  ])('When the body is %j, then it is a 400 problem', async (body) => {
    const id = await portfolio();
    expect((await send('PUT', `${base(id)}/limits`, body)).status).toBe(400);
  });

  test('When a trade pushes a limit beyond its threshold, then the status turns breached (hard) or warning (soft), with the cached status retired by the write', async () => {
    const id = await portfolio({ cash_tracking: true });
    await send('PUT', `${base(id)}/limits`, {
      limits: [
        { type: 'max_position_value', symbol: 'BTC', value: '2500' },
        { type: 'min_cash_weight', value: '0.2', hard: false },
      ],
    });
    // 10 BTC at 220 = 2,200 and 8,800 cash.
    const before = await get(`${base(id)}/limits/status`);
    expect(before.body.state).toBe('ok');
    expect(before.body.limits.map((limit: { current: string }) => limit.current)).toEqual(['2200', '0.8']);
    expect((await get(`${base(id)}/limits/status`)).headers.get('x-cache')).toBe('HIT');

    const buy = {
      type: 'buy',
      symbol: 'BTC',
      quantity: '30',
      price: '220',
      timestamp: new Date().toISOString(),
    };
    expect((await send('POST', `${base(id)}/transactions`, buy)).status).toBe(201);
    const after = await get(`${base(id)}/limits/status`);
    expect(after.headers.get('x-cache')).toBe('MISS');
    // 40 BTC at 220 = 8,800 and 2,200 cash of 11,000.
    expect(
      after.body.limits.map(({ current, headroom, state }: Record<string, string>) => ({
        current,
        headroom,
        state,
      })),
    ).toEqual([
      { current: '8800', headroom: '-6300', state: 'breached' },
      { current: '0.2', headroom: '0', state: 'ok' },
    ]);
    expect(after.body.state).toBe('breached');
  });

  test('When another user asks for limits, their status or a pre-trade check, then the portfolio does not exist for them', async () => {
    const id = await portfolio();
    const stranger = await signIn(api, 'trader');
    expect((await get(`${base(id)}/limits`, stranger)).status).toBe(404);
    expect((await get(`${base(id)}/limits/status`, stranger)).status).toBe(404);
    expect((await send('PUT', `${base(id)}/limits`, { limits: [] }, stranger)).status).toBe(404);
    const order = { symbol: 'BTC', side: 'buy', quantity: '1' };
    expect((await send('POST', `${base(id)}/pre-trade-check`, order, stranger)).status).toBe(404);
  });
});

describe('Pre-trade check', () => {
  test('When an order breaks the balance and hard limits, then it is denied with every failing code, and nothing changes', async () => {
    const id = await portfolio({ cash_tracking: true });
    await send('PUT', `${base(id)}/limits`, {
      limits: [
        { type: 'max_position_weight', value: '0.3' },
        { type: 'max_var_95', value: '0.05' },
        { type: 'min_cash_weight', value: '0.5' },
      ],
    });
    const transactions = (await get(`${base(id)}/transactions`)).body.data;

    // 9,000 XRP at 1.2 (its current price): cash 8,800 → -2,000; XRP would be 10,800 of 11,000.
    const xrp = await send('POST', `${base(id)}/pre-trade-check`, {
      symbol: 'xrp',
      side: 'buy',
      quantity: '9000',
    });
    expect(xrp.status).toBe(200);
    expect(xrp.body).toMatchObject({
      allowed: false,
      decision: 'deny',
      order: { symbol: 'XRP', price: '1.2' },
    });
    const failed = xrp.body.checks
      .filter((check: { passed: boolean }) => !check.passed)
      .map((check: { code: string }) => check.code);
    expect(failed).toEqual([
      'INSUFFICIENT_CASH',
      'POSITION_WEIGHT_EXCEEDS_MAX',
      'VAR_EXCEEDS_MAX',
      'CASH_BELOW_MIN',
    ]);
    const varCheck = xrp.body.checks.find((check: { code: string }) => check.code === 'VAR_EXCEEDS_MAX');
    expect(Number(varCheck.current)).toBeLessThan(0); // BTC only rose: no loss at the 5th percentile
    expect(Number(varCheck.after)).toBeGreaterThan(0.05);
    expect(xrp.body.holdings_after.cash).toBe('-2000');

    const oversell = await send('POST', `${base(id)}/pre-trade-check`, {
      symbol: 'BTC',
      side: 'sell',
      quantity: '11',
    });
    expect(oversell.body.checks[0]).toMatchObject({
      code: 'INSUFFICIENT_QUANTITY',
      current: '10',
      after: '-1',
      passed: false,
    });

    expect((await get(`${base(id)}/transactions`)).body.data).toEqual(transactions);
  });

  test('When the same check is asked again, then the kept closes give the same answer; after new prices and their version bump, the VaR follows them', async () => {
    const id = await portfolio();
    await send('PUT', `${base(id)}/limits`, { limits: [{ type: 'max_var_95', value: '0.05' }] });
    const order = { symbol: 'BTC', side: 'buy', quantity: '1' };
    const first = await send('POST', `${base(id)}/pre-trade-check`, order);
    expect(first.status).toBe(200);
    expect((await send('POST', `${base(id)}/pre-trade-check`, order)).body).toEqual(first.body);
    const varOf = (body: { checks: { code: string; current: string }[] }) =>
      Number(body.checks.find((check) => check.code === 'VAR_EXCEEDS_MAX')!.current);
    expect(varOf(first.body)).toBeLessThan(0); // BTC only rose

    // BTC now halves and recovers every other day, written as a sync writes prices and bumps the version.
    await database.db.query(
      `UPDATE price_history SET price = CASE WHEN extract(day FROM "timestamp")::int % 2 = 0 THEN price / 2 ELSE price END
       WHERE cryptocurrency_id = (SELECT id FROM cryptocurrencies WHERE symbol = 'BTC')`,
    );
    await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX);
    const after = await send('POST', `${base(id)}/pre-trade-check`, order);
    expect(varOf(after.body)).toBeGreaterThan(0.3);
    expect((await send('POST', `${base(id)}/pre-trade-check`, order)).body).toEqual(after.body);
  });

  test('When the limits or the current price change between two checks, then the second check sees them (kept per portfolio revision and market data version)', async () => {
    const id = await portfolio();
    await send('PUT', `${base(id)}/limits`, { limits: [{ type: 'max_position_weight', value: '1' }] });
    const order = { symbol: 'BTC', side: 'buy', quantity: '1' };
    const first = await send('POST', `${base(id)}/pre-trade-check`, order);
    expect(first.body.checks.map((check: { code: string }) => check.code)).toEqual([
      'POSITION_WEIGHT_EXCEEDS_MAX',
    ]);
    expect(first.body.holdings_after.coins[0]).toMatchObject({ price: '220', market_value: '2420' });

    await send('PUT', `${base(id)}/limits`, {
      limits: [{ type: 'max_position_value', symbol: 'BTC', value: '1000' }],
    });
    await database.db.query(`UPDATE cryptocurrencies SET current_price = 300 WHERE symbol = 'BTC'`);
    await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX);
    const second = await send('POST', `${base(id)}/pre-trade-check`, order);
    expect(second.body.checks).toEqual([
      expect.objectContaining({
        code: 'POSITION_VALUE_EXCEEDS_MAX',
        current: '3000',
        after: '3300',
        passed: false,
      }),
    ]);
    expect(second.body.holdings_after.coins[0]).toMatchObject({ price: '300', market_value: '3300' });
  });

  test('When an order stays within every limit, then it is allowed, priced as given', async () => {
    const id = await portfolio({ cash_tracking: true });
    await send('PUT', `${base(id)}/limits`, {
      limits: [{ type: 'max_position_value', symbol: 'BTC', value: '5000' }],
    });
    const answer = await send('POST', `${base(id)}/pre-trade-check`, {
      symbol: 'BTC',
      side: 'buy',
      quantity: '1',
      price: '210',
      fee: '1.5',
    });
    expect(answer.body).toMatchObject({ allowed: true, decision: 'allow' });
    expect(answer.body.holdings_after).toEqual({
      coins: [{ symbol: 'BTC', quantity: '11', price: '220', market_value: '2420' }],
      cash: '8588.5',
    });
  });

  test('When the drawdown limit is set on a portfolio that only rose, then its value is 0 and buys pass', async () => {
    const id = await portfolio();
    await send('PUT', `${base(id)}/limits`, { limits: [{ type: 'max_drawdown', value: '0.1' }] });
    const status = await get(`${base(id)}/limits/status`);
    expect(status.body.limits[0]).toMatchObject({ current: '0', state: 'ok' });
    const answer = await send('POST', `${base(id)}/pre-trade-check`, {
      symbol: 'BTC',
      side: 'buy',
      quantity: '1',
    });
    expect(answer.body.allowed).toBe(true);
  });

  test('When the coin is unknown or the order is malformed, then it is a 404 or a 400 problem', async () => {
    const id = await portfolio();
    expect(
      (await send('POST', `${base(id)}/pre-trade-check`, { symbol: 'NOPE', side: 'buy', quantity: '1' }))
        .status,
    ).toBe(404);
    for (const order of [
      { symbol: 'BTC', side: 'short', quantity: '1' },
      { symbol: 'BTC', side: 'buy', quantity: '0' },
      { symbol: 'BTC', side: 'buy', quantity: '1e3' },
      { symbol: 'BTC', side: 'buy' },
      { symbol: 'BTC', side: 'buy', quantity: '1', leverage: 3 },
    ]) {
      expect((await send('POST', `${base(id)}/pre-trade-check`, order)).status).toBe(400);
    }
  });
});
