import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { daysAgo, seedDailyPrices } from '../../../test/prices.ts';

// Dates, decimals and entries held to their bounds, and the per-user quotas (small here) held under
// concurrency: requests racing for the last slot never pass a quota.
const QUOTA = { portfolios: 3, transactions: 5, alerts: 2, webhooks: 2, keys: 2, targets: 3, limits: 2 };
let database: TTestDatabase;
let api: TTestApi;
let owner: TSignedIn;
beforeAll(async () => {
  const config = testConfig({
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000',
    PORTFOLIOS_PER_USER: String(QUOTA.portfolios),
    TRANSACTIONS_PER_PORTFOLIO: String(QUOTA.transactions),
    ALERTS_PER_USER: String(QUOTA.alerts),
    WEBHOOK_MAX_ENDPOINTS: String(QUOTA.webhooks),
    API_KEYS_PER_USER: String(QUOTA.keys),
    TARGETS_PER_PORTFOLIO: String(QUOTA.targets),
    LIMITS_PER_PORTFOLIO: String(QUOTA.limits),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    // The races below hold connections while they wait for the owner's lock; on a loaded machine the
    // default 1.5 s wait for a pooled connection would turn some into 503s, which is not what is tested.
    DATABASE_CONNECT_TIMEOUT_MS: '20000',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
  await seedDailyPrices(database.db, { BTC: (index) => String(100 + index), ETH: () => '50' }, 60);
  owner = await signIn(api, 'trader');
});

const at = (ago: number) => `${daysAgo(ago)}T12:00:00Z`;
const get = (path: string) => request(api.url, path, { headers: owner.headers });
const send = (method: 'POST' | 'PUT' | 'PATCH', path: string, body: unknown) =>
  sendJson(api.url, method, path, body, owner.headers);
async function portfolio(): Promise<string> {
  const created = await send('POST', '/api/v1/portfolios', { name: 'Main' });
  expect(created.status).toBe(201);
  return created.body.id;
}
const buy = (id: string, ago: number, quantity = '1', extra: Record<string, unknown> = {}) =>
  send('POST', `/api/v1/portfolios/${id}/transactions`, {
    type: 'buy',
    symbol: 'BTC',
    quantity,
    price: '100',
    timestamp: at(ago),
    ...extra,
  });
/** `count` identical requests at once: how many went through, and the statuses of the rest. */
async function race(count: number, once: (index: number) => Promise<{ status: number; body: any }>) {
  const answers = await Promise.all(Array.from({ length: count }, (_, index) => once(index)));
  return {
    created: answers.filter((answer) => answer.status === 201).length,
    refused: answers
      .filter((answer) => answer.status !== 201)
      .map((answer) => `${answer.status} ${answer.body.reason}`),
  };
}

describe('Quotas', () => {
  test('When ten portfolios are created at once with a quota of three, then exactly three exist and the rest are 409s naming the quota', async () => {
    const result = await race(10, (index) => send('POST', '/api/v1/portfolios', { name: `P${index}` }));
    expect(result.created).toBe(QUOTA.portfolios);
    expect(new Set(result.refused)).toEqual(new Set(['409 quota_exceeded']));
    expect((await get('/api/v1/portfolios')).body.data).toHaveLength(QUOTA.portfolios);
    const refused = await send('POST', '/api/v1/portfolios', { name: 'one more' });
    expect(refused.body).toMatchObject({ quota: 'portfolios_per_user', limit: QUOTA.portfolios });
  });

  test('When transactions are added past the portfolio’s quota, one by one, at once or by import, then it holds no more than the quota', async () => {
    const id = await portfolio();
    const result = await race(8, (index) => buy(id, 30 - index));
    expect(result.created).toBe(QUOTA.transactions);
    expect(new Set(result.refused)).toEqual(new Set(['409 quota_exceeded']));
    const other = await portfolio();
    const rows = Array.from({ length: 6 }, (_, index) => `${at(20 - index)},buy,BTC,1,100,0,,r${index},`);
    const imported = await request(api.url, `/api/v1/portfolios/${other}/transactions/import`, {
      method: 'POST',
      headers: { ...owner.headers, 'content-type': 'text/csv' },
      body: ['timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids', ...rows].join('\n'),
    });
    expect(imported.status).toBe(409);
    expect(imported.body).toMatchObject({ reason: 'quota_exceeded', quota: 'transactions_per_portfolio' });
    expect((await get(`/api/v1/portfolios/${other}/transactions`)).body.data).toEqual([]);
  });

  test('When alerts, webhook endpoints and API keys are created at once past their quotas, then no more than each quota exist', async () => {
    const alerts = await race(6, () =>
      send('POST', '/api/v1/alerts', { kind: 'price_above', symbol: 'BTC', threshold: '1000' }),
    );
    expect(alerts.created).toBe(QUOTA.alerts);
    const webhooks = await race(6, (index) =>
      send('POST', '/api/v1/webhooks', { url: `http://127.0.0.1:9/hook-${index}`, events: ['alert.fired'] }),
    );
    expect(webhooks.created).toBe(QUOTA.webhooks);
    const keys = await race(6, (index) =>
      send('POST', '/api/v1/api-keys', { name: `k${index}`, scopes: ['market:read'] }),
    );
    expect(keys.created).toBe(QUOTA.keys);
    for (const refused of [...alerts.refused, ...webhooks.refused, ...keys.refused])
      expect(refused).toBe('409 quota_exceeded');
  });

  test('When more targets or limits are sent than the portfolio takes, then it is a 422 naming the limit', async () => {
    const id = await portfolio();
    const targets = await send('PUT', `/api/v1/portfolios/${id}/targets`, {
      weights: { BTC: '0.25', ETH: '0.25', USD: '0.25', SOL: '0.25' },
    });
    expect(targets.status).toBe(422);
    expect(targets.body).toMatchObject({ reason: 'too_many_entries', limit: QUOTA.targets });
    const limits = await send('PUT', `/api/v1/portfolios/${id}/limits`, {
      limits: [
        { type: 'max_hhi', value: '0.5' },
        { type: 'max_drawdown', value: '0.5' },
        { type: 'max_var_95', value: '0.5' },
      ],
    });
    expect(limits.status).toBe(422);
    expect(limits.body).toMatchObject({ reason: 'too_many_limits', limit: QUOTA.limits });
  });
});

describe('Bounds', () => {
  test('When a transaction is dated before 2009-01-03 or after 2099, then it is a 400 naming the bound; before 2009-01-03 with an offset, a 422', async () => {
    const id = await portfolio();
    for (const timestamp of ['2009-01-02T23:59:59Z', '0001-01-02', '9999-12-31', '2100-01-01'])
      expect(`${timestamp} ${(await buy(id, 0, '1', { timestamp })).body.detail}`).toBe(
        `${timestamp} timestamp: must be an ISO 8601 calendar date or date-time between 2009-01-03 and 2099-12-31`,
      );
    const early = await buy(id, 0, '1', { timestamp: '2009-01-03T01:00:00+02:00' });
    expect(early.status).toBe(422);
    expect(early.body).toMatchObject({ reason: 'too_early' });
    expect((await buy(id, 0, '1', { timestamp: '2009-01-03T00:00:00Z' })).status).toBe(201);
  });

  test('When performance is asked for days after today, then the range stops at today; a range wholly in the future is a 422; dates past 2099 a 400', async () => {
    const id = await portfolio();
    await buy(id, 10);
    const clamped = await get(`/api/v1/portfolios/${id}/performance?from=${daysAgo(5)}&to=2099-12-31`);
    expect(clamped.status).toBe(200);
    expect(clamped.body).toMatchObject({ from: daysAgo(5), to: daysAgo(0), days: 6 });
    const future = await get(`/api/v1/portfolios/${id}/performance?from=2098-01-01`);
    expect(future.status).toBe(422);
    expect(future.body).toMatchObject({ reason: 'out_of_range' });
    const beyond = await get(`/api/v1/portfolios/${id}/performance?from=2026-06-01&to=9999-12-31`);
    expect(beyond.status).toBe(400);
    expect(beyond.body.detail).toContain('between 2009-01-03 and 2099-12-31');
  });

  test('When a transaction dated 2009-01-03 exists, then the default range walks from there, within the calendar, and answers', async () => {
    const id = await portfolio();
    expect((await buy(id, 0, '1', { timestamp: '2009-01-03T00:00:00Z' })).status).toBe(201);
    const all = await get(`/api/v1/portfolios/${id}/performance`);
    expect(all.status).toBe(200);
    expect(all.body.from).toBe('2009-01-03');
    expect(all.body.to).toBe(daysAgo(0));
  });

  test('When amounts have the most digits NUMERIC(38,18) holds, then they are stored and valued exactly; one digit more is a 400', async () => {
    const id = await portfolio();
    const largest = `${'9'.repeat(20)}.${'9'.repeat(18)}`;
    expect((await buy(id, 5, largest, { price: largest, fee: largest })).status).toBe(201);
    const holdings = await get(`/api/v1/portfolios/${id}/holdings`);
    expect(holdings.status).toBe(200);
    expect(holdings.body.holdings[0].quantity).toBe(largest);
    for (const quantity of [`1${'0'.repeat(20)}`, `0.${'0'.repeat(18)}1`, '0.000'])
      expect(`${quantity} ${(await buy(id, 5, quantity)).status}`).toBe(`${quantity} 400`);
  });

  test('When target weights name one symbol twice in different cases, then it is a 422, not a half-stored target', async () => {
    const id = await portfolio();
    const result = await send('PUT', `/api/v1/portfolios/${id}/targets`, {
      weights: { btc: '0.5', BTC: '0.5' },
    });
    expect(result.status).toBe(422);
    expect(result.body).toMatchObject({ reason: 'duplicate_symbol', symbols: ['BTC'] });
  });
});
