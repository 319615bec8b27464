import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { daysAgo, seedDailyPrices } from '../../../test/prices.ts';

const DAYS = 120;
// BTC closes 100, 101, … 220 (today); ETH 50, 50.5, … 110.
const btc = (index: number) => String(100 + index);
const eth = (index: number) => String(50 + index / 2);
const btcOn = (ago: number) => 100 + DAYS - ago;

let database: TTestDatabase;
let api: TTestApi;
let owner: TSignedIn;
beforeAll(async () => {
  const config = testConfig({
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000',
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
  await seedDailyPrices(database.db, { BTC: btc, ETH: eth }, DAYS);
  owner = await signIn(api, 'trader');
});

const at = (ago: number, time = '12:00:00') => `${daysAgo(ago)}T${time}Z`;
const get = (path: string, who: TSignedIn = owner) => request(api.url, path, { headers: who.headers });
async function portfolio(settings: Record<string, unknown> = {}, who: TSignedIn = owner): Promise<string> {
  const created = await sendJson(
    api.url,
    'POST',
    '/api/v1/portfolios',
    { name: 'Main', ...settings },
    who.headers,
  );
  expect(created.status).toBe(201);
  return created.body.id;
}
async function add(id: string, tx: Record<string, unknown>, who: TSignedIn = owner) {
  return sendJson(api.url, 'POST', `/api/v1/portfolios/${id}/transactions`, tx, who.headers);
}
const buy = (ago: number, quantity: string, price: string, symbol = 'BTC', fee = '0') => ({
  type: 'buy',
  symbol,
  quantity,
  price,
  fee,
  timestamp: at(ago),
});

describe('Portfolios', () => {
  test('When a portfolio is created, then it has the defaults, is listed for its owner, and can be renamed and deleted', async () => {
    const created = await sendJson(
      api.url,
      'POST',
      '/api/v1/portfolios',
      { name: 'Long term' },
      owner.headers,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Long term',
      owner_id: owner.userId,
      base_currency: 'USD',
      cost_basis_method: 'fifo',
      fees_in_cost_basis: true,
      cash_tracking: false,
      allow_negative: false,
    });
    const id = created.body.id;
    expect((await get('/api/v1/portfolios')).body.data.map((p: { id: string }) => p.id)).toEqual([id]);
    const renamed = await sendJson(
      api.url,
      'PATCH',
      `/api/v1/portfolios/${id}`,
      { name: 'Renamed' },
      owner.headers,
    );
    expect(renamed.body.name).toBe('Renamed');
    expect(Number(renamed.body.revision)).toBeGreaterThan(Number(created.body.revision));
    expect(
      (await sendJson(api.url, 'DELETE', `/api/v1/portfolios/${id}`, undefined, owner.headers)).status,
    ).toBe(204);
    expect((await get(`/api/v1/portfolios/${id}`)).status).toBe(404);
  });

  test('When portfolios are listed in pages, then every one appears once', async () => {
    const ids = [];
    for (let index = 0; index < 5; index++) ids.push(await portfolio({ name: `P${index}` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        `/api/v1/portfolios?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.body.data.map((p: { id: string }) => p.id));
      cursor = page.body.pagination.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  test('When another user asks for a portfolio, then it does not exist for them (404) on every route; an admin sees it; an analyst may not use portfolios', async () => {
    const id = await portfolio();
    await add(id, buy(10, '1', '110'));
    const stranger = await signIn(api, 'trader');
    const paths = [
      '',
      '/transactions',
      '/holdings',
      '/realized',
      '/performance',
      '/risk',
      '/drift',
      '/transactions/export',
    ];
    for (const path of paths)
      expect(`${path}: ${(await get(`/api/v1/portfolios/${id}${path}`, stranger)).status}`).toBe(
        `${path}: 404`,
      );
    expect((await add(id, buy(1, '1', '1'), stranger)).status).toBe(404);
    expect(
      (await sendJson(api.url, 'DELETE', `/api/v1/portfolios/${id}`, undefined, stranger.headers)).status,
    ).toBe(404);
    expect((await get('/api/v1/portfolios', stranger)).body.data).toEqual([]);
    const admin = await signIn(api, 'admin');
    expect((await get(`/api/v1/portfolios/${id}/holdings`, admin)).status).toBe(200);
    const analyst = await signIn(api, 'analyst');
    expect((await get(`/api/v1/portfolios/${id}`, analyst)).status).toBe(403);
    expect((await request(api.url, `/api/v1/portfolios/${id}`)).status).toBe(401);
  });

  test.each([
    ['an unknown method', { name: 'x', cost_basis_method: 'random' }],
    ['no name', {}],
    ['a name of 101 characters', { name: 'x'.repeat(101) }],
    ['an unknown field', { name: 'x', currency: 'EUR' }],
  ])('When the portfolio has %s, then it is a 400 problem', async (_name, body) => {
    const { status, headers } = await sendJson(api.url, 'POST', '/api/v1/portfolios', body, owner.headers);
    expect(status).toBe(400);
    expect(headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('Transactions', () => {
  test('When amounts are given as decimal strings, then they come back exactly, and JSON numbers are refused', async () => {
    const id = await portfolio();
    const created = await add(id, buy(5, '0.00012345', '123456.789012345678', 'BTC', '0.000000000000000001'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      quantity: '0.00012345',
      price: '123456.789012345678',
      fee: '0.000000000000000001',
    });
    const numbers = await add(id, { ...buy(5, '1', '1'), quantity: 0.1 });
    expect(numbers.status).toBe(400);
    expect(numbers.body.errors[0].name).toBe('quantity');
    for (const bad of ['1e5', '-1', '0', '1.1234567890123456789', '123456789012345678901']) {
      expect(`${bad}: ${(await add(id, buy(5, bad, '1'))).status}`).toBe(`${bad}: 400`);
    }
  });

  test('When a sell exceeds the holding, then it is a 422 naming the shortfall and nothing is written; with negatives allowed it goes through', async () => {
    const id = await portfolio();
    await add(id, buy(10, '1.5', '110'));
    const oversell = await add(id, {
      type: 'sell',
      symbol: 'BTC',
      quantity: '2',
      price: '115',
      timestamp: at(5),
    });
    expect(oversell.status).toBe(422);
    expect(oversell.body).toMatchObject({ reason: 'shortfall', shortfall: '0.5' });
    expect(oversell.body.detail).toContain('exceeds the 1.5 held by 0.5');
    expect((await get(`/api/v1/portfolios/${id}/transactions`)).body.data).toHaveLength(1);
    const short = await portfolio({ allow_negative: true });
    await add(short, buy(10, '1.5', '110'));
    expect(
      (await add(short, { type: 'sell', symbol: 'BTC', quantity: '2', price: '115', timestamp: at(5) }))
        .status,
    ).toBe(201);
    const holdings = await get(`/api/v1/portfolios/${short}/holdings`);
    expect(holdings.body.holdings[0]).toMatchObject({ symbol: 'BTC', quantity: '-0.5' });
  });

  test('When a transaction is refused for its content, then the problem says why: unknown coin, future time, missing price, cash symbol, cash without tracking', async () => {
    const id = await portfolio();
    const cases: [Record<string, unknown>, string][] = [
      [buy(1, '1', '1', 'NOPE'), 'unknown_symbol'],
      [{ ...buy(1, '1', '1'), timestamp: new Date(Date.now() + 86_400_000).toISOString() }, 'future'],
      [{ type: 'sell', symbol: 'BTC', quantity: '1', timestamp: at(1) }, 'price_required'],
      [{ type: 'deposit', symbol: 'BTC', quantity: '1', timestamp: at(1) }, 'cash_symbol'],
      [{ type: 'deposit', symbol: 'USD', quantity: '100', timestamp: at(1) }, 'cash_tracking_off'],
    ];
    for (const [tx, reason] of cases) {
      const { status, body } = await add(id, tx);
      expect(`${reason}: ${status} ${body.reason}`).toBe(`${reason}: 422 ${reason}`);
    }
  });

  test('When income arrives without a price, then it takes that day’s close and counts as income', async () => {
    const id = await portfolio();
    const income = await add(id, {
      type: 'income',
      symbol: 'ETH',
      quantity: '2',
      timestamp: at(20),
      notes: 'staking',
    });
    expect(income.status).toBe(201);
    expect(income.body.price).toBe(String(50 + (DAYS - 20) / 2));
    expect((await get(`/api/v1/portfolios/${id}/holdings`)).body.income).toBe(
      String(2 * (50 + (DAYS - 20) / 2)),
    );
  });

  test('When a past transaction is corrected or deleted, then the lots are recomputed as if entered fresh; a deletion that breaks the history is a 422', async () => {
    const id = await portfolio();
    const first = (await add(id, buy(30, '1', '100'))).body;
    await add(id, buy(20, '1', '200'));
    const sell = await add(id, {
      type: 'sell',
      symbol: 'BTC',
      quantity: '1',
      price: '300',
      timestamp: at(10),
    });
    expect((await get(`/api/v1/portfolios/${id}/realized`)).body.totals.gain).toBe('200');
    const fixed = await sendJson(
      api.url,
      'PATCH',
      `/api/v1/portfolios/${id}/transactions/${first.id}`,
      { price: '150' },
      owner.headers,
    );
    expect(fixed.status).toBe(200);
    expect((await get(`/api/v1/portfolios/${id}/realized`)).body.totals.gain).toBe('150');
    // The same history entered fresh gives the same answer.
    const fresh = await portfolio({ name: 'Fresh' });
    await add(fresh, buy(30, '1', '150'));
    await add(fresh, buy(20, '1', '200'));
    await add(fresh, { type: 'sell', symbol: 'BTC', quantity: '1', price: '300', timestamp: at(10) });
    const strip = (body: { disposals: Record<string, unknown>[] }) =>
      body.disposals.map(({ transaction_id: _t, lot_id: _l, ...rest }) => rest);
    expect(strip((await get(`/api/v1/portfolios/${id}/realized`)).body)).toEqual(
      strip((await get(`/api/v1/portfolios/${fresh}/realized`)).body),
    );
    const first2 = (await get(`/api/v1/portfolios/${id}/transactions?limit=1`)).body.data[0];
    const second = (await get(`/api/v1/portfolios/${id}/transactions`)).body.data[1];
    expect(
      (
        await sendJson(
          api.url,
          'DELETE',
          `/api/v1/portfolios/${id}/transactions/${second.id}`,
          undefined,
          owner.headers,
        )
      ).status,
    ).toBe(204);
    const breaking = await sendJson(
      api.url,
      'DELETE',
      `/api/v1/portfolios/${id}/transactions/${first2.id}`,
      undefined,
      owner.headers,
    );
    expect(breaking.status).toBe(422);
    expect(breaking.body.transaction_id).toBe(sell.body.id);
  });

  test('When transactions are filtered and paged, then only matches come, oldest first, each once', async () => {
    const id = await portfolio();
    for (let ago = 30; ago > 0; ago -= 3) await add(id, buy(ago, '0.1', '100', ago % 2 ? 'BTC' : 'ETH'));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        `/api/v1/portfolios/${id}/transactions?symbol=btc&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(
        ...page.body.data.map((tx: { symbol: string; timestamp: string }) => `${tx.symbol}@${tx.timestamp}`),
      );
      cursor = page.body.pagination.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(seen.every((entry) => entry.startsWith('BTC@'))).toBe(true);
    expect([...seen].sort()).toEqual(seen);
    const ranged = await get(`/api/v1/portfolios/${id}/transactions?from=${daysAgo(10)}&type=buy`);
    expect(ranged.body.data.length).toBe(3); // 9, 6 and 3 days ago
  });

  test('When the same external_id is sent twice, then the second is a 409', async () => {
    const id = await portfolio();
    expect((await add(id, { ...buy(3, '1', '1'), external_id: 'ext-1' })).status).toBe(201);
    expect((await add(id, { ...buy(2, '1', '1'), external_id: 'ext-1' })).status).toBe(409);
  });

  test('When a POST is retried with the same Idempotency-Key, then the first answer comes back and one transaction exists; another body with that key is a 422', async () => {
    const id = await portfolio();
    const headers = { ...owner.headers, 'Idempotency-Key': 'retry-1' };
    const first = await sendJson(
      api.url,
      'POST',
      `/api/v1/portfolios/${id}/transactions`,
      buy(3, '1', '100'),
      headers,
    );
    const again = await sendJson(
      api.url,
      'POST',
      `/api/v1/portfolios/${id}/transactions`,
      buy(3, '1', '100'),
      headers,
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await get(`/api/v1/portfolios/${id}/transactions`)).body.data).toHaveLength(1);
    const other = await sendJson(
      api.url,
      'POST',
      `/api/v1/portfolios/${id}/transactions`,
      buy(3, '2', '100'),
      headers,
    );
    expect(other.status).toBe(422);
    // A failed request frees its key: the corrected retry runs.
    const failing = { ...owner.headers, 'Idempotency-Key': 'retry-2' };
    expect(
      (
        await sendJson(
          api.url,
          'POST',
          `/api/v1/portfolios/${id}/transactions`,
          buy(3, '1', '1', 'NOPE'),
          failing,
        )
      ).status,
    ).toBe(422);
    expect(
      (await sendJson(api.url, 'POST', `/api/v1/portfolios/${id}/transactions`, buy(3, '1', '1'), failing))
        .status,
    ).toBe(201);
  });
});

describe('Holdings and realized P&L', () => {
  test('When coins are bought and partly sold (FIFO, fees in the basis), then holdings show quantity, cost, value, unrealized P&L, weights and open lots', async () => {
    const id = await portfolio();
    await add(id, buy(40, '1', '100', 'BTC', '1'));
    await add(id, buy(30, '1', '120', 'BTC', '1'));
    await add(id, buy(30, '10', '60', 'ETH'));
    await add(id, {
      type: 'sell',
      symbol: 'BTC',
      quantity: '1.5',
      price: '200',
      fee: '2',
      timestamp: at(10),
    });
    const { status, body } = await get(`/api/v1/portfolios/${id}/holdings`);
    expect(status).toBe(200);
    const [first, second] = body.holdings;
    // Today: BTC 220, ETH 110. Left: 0.5 BTC of the 121 lot (cost 60.5), 10 ETH (cost 600).
    expect(first).toMatchObject({
      symbol: 'ETH',
      quantity: '10',
      cost_basis: '600',
      price: '110',
      market_value: '1100',
      unrealized_pnl: '500',
    });
    expect(second).toMatchObject({
      symbol: 'BTC',
      quantity: '0.5',
      cost_basis: '60.5',
      average_cost: '121',
      market_value: '110',
      unrealized_pnl: '49.5',
    });
    expect(second.lots).toEqual([
      expect.objectContaining({ quantity: '0.5', cost_basis: '60.5', unit_cost: '121' }),
    ]);
    expect(first.weight + second.weight).toBeCloseTo(1, 12);
    expect(body.totals).toMatchObject({ market_value: '1210', cost_basis: '660.5', unrealized_pnl: '549.5' });
    const realized = (await get(`/api/v1/portfolios/${id}/realized`)).body;
    // Proceeds 298 (300 − 2) for lots 101 (1) and 121 × 0.5 = 60.5: gain 136.5.
    expect(realized.totals).toMatchObject({ proceeds: '298', cost: '161.5', gain: '136.5' });
    expect(realized.disposals.map((d: { holding_days: number }) => d.holding_days)).toEqual([30, 20]);
    expect(realized.totals.by_symbol.BTC.gain).toBe('136.5');
    expect((await get(`/api/v1/portfolios/${id}/realized?to=${daysAgo(11)}`)).body.disposals).toEqual([]);
  });

  test('When holdings are asked for at a past time, then they use the transactions up to then and that day’s closes', async () => {
    const id = await portfolio();
    await add(id, buy(40, '2', '100'));
    await add(id, { type: 'sell', symbol: 'BTC', quantity: '1', price: '150', timestamp: at(10) });
    const past = (await get(`/api/v1/portfolios/${id}/holdings?at=${daysAgo(20)}T23:59:00Z`)).body;
    expect(past.holdings[0]).toMatchObject({
      quantity: '2',
      price: String(btcOn(20)),
      market_value: String(2 * btcOn(20)),
    });
  });

  test('When the cost-basis method changes, then realized P&L is recomputed under the new one', async () => {
    const id = await portfolio();
    await add(id, buy(40, '1', '100'));
    await add(id, buy(30, '1', '300'));
    await add(id, buy(20, '1', '200'));
    await add(id, { type: 'sell', symbol: 'BTC', quantity: '1', price: '250', timestamp: at(10) });
    const gain = async () => (await get(`/api/v1/portfolios/${id}/realized`)).body.totals.gain;
    expect(await gain()).toBe('150');
    for (const [method, expected] of [
      ['lifo', '50'],
      ['hifo', '-50'],
      ['average', '50'],
    ] as const) {
      expect(
        (
          await sendJson(
            api.url,
            'PATCH',
            `/api/v1/portfolios/${id}`,
            { cost_basis_method: method },
            owner.headers,
          )
        ).status,
      ).toBe(200);
      expect(`${method}: ${await gain()}`).toBe(`${method}: ${expected}`);
    }
  });

  test('When cash is tracked, then deposits fund buys, cash shows in holdings, and a buy beyond the cash is a 422', async () => {
    const id = await portfolio({ cash_tracking: true });
    await add(id, { type: 'deposit', symbol: 'USD', quantity: '1000', timestamp: at(40) });
    await add(id, buy(30, '5', '110', 'BTC', '5'));
    const holdings = (await get(`/api/v1/portfolios/${id}/holdings`)).body;
    expect(holdings.cash).toBe('445');
    expect(holdings.totals.value).toBe(String(445 + 5 * 220));
    const tooMuch = await add(id, buy(20, '10', '120'));
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.reason).toBe('negative_cash');
  });
});

describe('Performance', () => {
  test('When one coin is bought at a close and held, then TWR is its price change, equal to the BTC benchmark, MWR agrees, and the series has a day per day', async () => {
    const id = await portfolio();
    await add(id, buy(60, '2', String(btcOn(60))));
    const { status, body } = await get(`/api/v1/portfolios/${id}/performance`);
    expect(status).toBe(200);
    const expected = btcOn(0) / btcOn(60) - 1;
    expect(body.twr).toBeCloseTo(expected, 12);
    expect(body.benchmark).toEqual({ symbol: 'BTC', twr: expect.any(Number) });
    expect(body.benchmark.twr).toBeCloseTo(btcOn(0) / btcOn(61) - 1, 12);
    expect(body.value_end).toBe(String(2 * btcOn(0)));
    expect(body.net_flows).toBe(String(2 * btcOn(60)));
    expect(body.series).toHaveLength(61);
    expect(body.series.at(-1).twr_cumulative).toBeCloseTo(expected, 12);
    expect(body.twr_annualized).toBeNull();
    expect(body.mwr).toBeCloseTo(expected, 6);
    expect(body.mwr_annualized).toBeNull();
  });

  test('When everything is sold, then TWR keeps the gain made (no −100 %), and a 7-day range after that is 0', async () => {
    const id = await portfolio();
    await add(id, buy(60, '1', String(btcOn(60))));
    await add(id, {
      type: 'sell',
      symbol: 'BTC',
      quantity: '1',
      price: String(btcOn(30)),
      timestamp: at(30, '23:30:00'),
    });
    const all = (await get(`/api/v1/portfolios/${id}/performance?range=all`)).body;
    expect(all.twr).toBeCloseTo(btcOn(30) / btcOn(60) - 1, 10);
    expect(all.value_end).toBe('0');
    const week = (await get(`/api/v1/portfolios/${id}/performance?range=7d`)).body;
    expect(week.days).toBe(7);
    expect(week.twr).toBe(0);
    expect(week.mwr).toBeNull();
    expect(week.mwr_reason).toBe('too_few_flows');
  });

  test('When a range is given by dates or a benchmark by symbol, then they are used; unknown benchmarks are a 404, a reversed range a 400', async () => {
    const id = await portfolio();
    await add(id, buy(60, '1', String(btcOn(60))));
    await add(id, buy(60, '10', String(50 + (DAYS - 60) / 2), 'ETH'));
    const body = (
      await get(`/api/v1/portfolios/${id}/performance?from=${daysAgo(20)}&to=${daysAgo(10)}&benchmark=eth`)
    ).body;
    expect(body.from).toBe(daysAgo(20));
    expect(body.to).toBe(daysAgo(10));
    expect(body.benchmark.symbol).toBe('ETH');
    expect(body.excess_return).toBeCloseTo(body.twr - body.benchmark.twr, 12);
    expect((await get(`/api/v1/portfolios/${id}/performance?benchmark=NOPE`)).status).toBe(404);
    expect(
      (await get(`/api/v1/portfolios/${id}/performance?from=${daysAgo(1)}&to=${daysAgo(5)}`)).status,
    ).toBe(400);
    expect((await get(`/api/v1/portfolios/${id}/performance?range=2y`)).status).toBe(400);
    const empty = await portfolio({ name: 'Empty' });
    expect((await get(`/api/v1/portfolios/${empty}/performance`)).status).toBe(422);
  });
});

describe('Risk, targets and drift', () => {
  test('When a portfolio has 60 days of returns, then its risk report has the coin metrics, concentration and correlations; too little history is a 422', async () => {
    const id = await portfolio();
    await add(id, buy(90, '1', String(btcOn(90))));
    await add(id, buy(90, '2', String(50 + (DAYS - 90) / 2), 'ETH'));
    const { status, body } = await get(`/api/v1/portfolios/${id}/risk?window=60`);
    expect(status).toBe(200);
    expect(body.observations).toBe(60);
    expect(body.metrics.volatility_annualized).toBeGreaterThan(0);
    expect(body.metrics.max_drawdown).toBe(0); // prices only rise here
    expect(body.concentration.holdings).toBe(2);
    expect(body.concentration.hhi).toBeCloseTo((220 / 440) ** 2 + (220 / 440) ** 2, 10);
    expect(body.concentration.effective_n).toBeCloseTo(2, 10);
    expect(body.correlations.symbols).toEqual(['BTC', 'ETH']);
    expect(body.correlations.matrix[0][0]).toBe(1);
    const young = await portfolio({ name: 'Young' });
    await add(young, buy(10, '1', String(btcOn(10))));
    const short = await get(`/api/v1/portfolios/${young}/risk?window=60`);
    expect(short.status).toBe(422);
  });

  test('When targets are set, then drift gives each weight and the trades that restore them; weights that do not add up to 1 are a 422', async () => {
    const id = await portfolio();
    await add(id, buy(10, '1', '200'));
    await add(id, buy(10, '2', '100', 'ETH'));
    // Now: 1 BTC × 220 = 220, 2 ETH × 110 = 220.
    expect(
      (
        await sendJson(
          api.url,
          'PUT',
          `/api/v1/portfolios/${id}/targets`,
          { weights: { BTC: '0.7', ETH: '0.2' } },
          owner.headers,
        )
      ).status,
    ).toBe(422);
    const saved = await sendJson(
      api.url,
      'PUT',
      `/api/v1/portfolios/${id}/targets`,
      { weights: { BTC: '0.75', ETH: '0.25' } },
      owner.headers,
    );
    expect(saved.status).toBe(200);
    const drift = (await get(`/api/v1/portfolios/${id}/drift`)).body;
    expect(drift.total_value).toBe('440');
    const rows = Object.fromEntries(drift.rows.map((row: { symbol: string }) => [row.symbol, row]));
    expect(rows.BTC).toMatchObject({
      current_weight: 0.5,
      target_weight: 0.75,
      trade_value: '110',
      trade_quantity: '0.5',
    });
    expect(rows.ETH).toMatchObject({ trade_value: '-110', trade_quantity: '-1' });
    expect(rows.BTC.drift).toBeCloseTo(-0.25, 12);
    expect(
      (
        await sendJson(
          api.url,
          'PUT',
          `/api/v1/portfolios/${id}/targets`,
          { weights: { NOPE: '1' } },
          owner.headers,
        )
      ).status,
    ).toBe(422);
  });
});

describe('Import and export', () => {
  const generic = (rows: string[]) =>
    ['timestamp,type,symbol,quantity,price,fee,notes,external_id', ...rows].join('\n');
  const importCsv = (
    id: string,
    csv: string,
    query = 'format=generic',
    headers: Record<string, string> = {},
  ) =>
    request(api.url, `/api/v1/portfolios/${id}/transactions/import?${query}`, {
      method: 'POST',
      headers: { ...owner.headers, 'content-type': 'text/csv', ...headers },
      body: csv,
    });

  test('When a CSV is dry-run, then every row is previewed with its errors and nothing is written; the real run of a bad file writes nothing', async () => {
    const id = await portfolio();
    const csv = generic([
      `${at(20)},buy,BTC,1,100,0,first,`,
      `${at(15)},buy,BTC,abc,100,0,,`,
      `${at(10)},swap,BTC,1,100,0,,`,
    ]);
    const dry = await importCsv(id, csv, 'format=generic&dry_run=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dry_run: true, rows: 3, new: 1, errors: 2, imported: 0 });
    expect(
      dry.body.preview.map((row: { row: number; status: string }) => `${row.row}:${row.status}`),
    ).toEqual(['2:new', '3:error', '4:error']);
    expect(dry.body.preview[1].errors[0]).toContain('quantity');
    const real = await importCsv(id, csv);
    expect(real.status).toBe(422);
    expect(real.body.rows.map((row: { row: number }) => row.row)).toEqual([3, 4]);
    expect((await get(`/api/v1/portfolios/${id}/transactions`)).body.data).toEqual([]);
  });

  test('When a file is imported twice, then the second import adds nothing; an oversell in the file refuses the whole file', async () => {
    const id = await portfolio();
    const csv = generic([
      `${at(20)},buy,BTC,1,100,0,,a`,
      `${at(10)},sell,BTC,0.5,150,1,,b`,
      `${at(5)},income,ETH,1,,0,staking,`,
    ]);
    const first = await importCsv(id, csv);
    expect(first.body).toMatchObject({ imported: 3, skipped: 0 });
    const second = await importCsv(id, csv);
    expect(second.body).toMatchObject({ imported: 0, skipped: 3 });
    expect((await get(`/api/v1/portfolios/${id}/transactions`)).body.data).toHaveLength(3);
    const oversell = await importCsv(
      id,
      generic([`${at(3)},sell,BTC,5,150,0,,c`, `${at(2)},buy,ETH,1,100,0,,d`]),
    );
    expect(oversell.status).toBe(422);
    expect(oversell.body.reason).toBe('shortfall');
    expect((await get(`/api/v1/portfolios/${id}/transactions`)).body.data).toHaveLength(3);
  });

  test('When a portfolio is exported and the CSV imported into another, then both hold the same', async () => {
    const id = await portfolio();
    await add(id, buy(30, '1.23456789', '100.5', 'BTC', '0.25'));
    await add(id, {
      type: 'sell',
      symbol: 'BTC',
      quantity: '0.5',
      price: '180',
      timestamp: at(10),
      notes: '=HYPERLINK("x")',
    });
    await add(id, { type: 'income', symbol: 'ETH', quantity: '3', timestamp: at(5) });
    const exported = await fetch(`${api.url}/api/v1/portfolios/${id}/transactions/export`, {
      headers: owner.headers,
    });
    expect(exported.headers.get('content-type')).toContain('text/csv');
    const csv = await exported.text();
    expect(csv).toContain(`'=HYPERLINK`);
    const copy = await portfolio({ name: 'Copy' });
    expect((await importCsv(copy, csv)).body.imported).toBe(3);
    const strip = (body: { holdings: { lots: unknown[] }[] }) =>
      body.holdings.map(({ lots: _lots, ...rest }) => rest);
    expect(strip((await get(`/api/v1/portfolios/${copy}/holdings`)).body)).toEqual(
      strip((await get(`/api/v1/portfolios/${id}/holdings`)).body),
    );
  });

  test('When exchange exports are imported (Coinbase, Kraken trades, Binance trade history), then their rows become transactions', async () => {
    const coinbase = [
      'You can use this transaction report to inform your likely tax obligations.',
      '',
      'ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes',
      `cb-1,${daysAgo(20)} 10:00:00 UTC,Buy,BTC,0.5,USD,$120.00,$60.00,$61.00,$1.00,Bought 0.5 BTC`,
      `cb-2,${daysAgo(15)} 10:00:00 UTC,Staking Income,ETH,0.1,USD,$57.50,$5.75,$5.75,$0.00,`,
      `cb-3,${daysAgo(10)} 10:00:00 UTC,Sell,BTC,0.2,USD,$130.00,$26.00,$25.50,$0.50,`,
    ].join('\n');
    const kraken = [
      '"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin","misc","ledgers"',
      `"T1","O1","XXBTZUSD","${daysAgo(20)} 10:00:00.1234","buy","limit","120.0","60.0","0.12","0.5","0.0","",""`,
      `"T2","O2","XETHZUSD","${daysAgo(12)} 09:00:00","buy","market","56","112","0.2","2","0.0","",""`,
    ].join('\n');
    const binance = [
      'Date(UTC),Pair,Side,Price,Executed,Amount,Fee',
      `${daysAgo(20)} 10:00:00,BTCUSDT,BUY,120,0.5BTC,60USDT,0.0005BTC`,
      `${daysAgo(12)} 10:00:00,ETHUSDT,BUY,56,2ETH,112USDT,0.1USDT`,
      `${daysAgo(11)} 10:00:00,ETHUSDT,SELL,57,1ETH,57USDT,0.001BNB`,
    ].join('\n');
    for (const [format, csv, expected] of [
      ['coinbase', coinbase, 3],
      ['kraken', kraken, 2],
    ] as const) {
      const id = await portfolio({ name: format });
      const result = await importCsv(id, csv, `format=${format}`);
      expect(
        `${format}: ${result.status} ${result.body.imported} ${JSON.stringify(result.body.detail ?? '')}`,
      ).toBe(`${format}: 200 ${expected} ""`);
    }
    const coinbaseHoldings = (
      await get(`/api/v1/portfolios/${(await get('/api/v1/portfolios')).body.data[0].id}/holdings`)
    ).body;
    expect(coinbaseHoldings.holdings.find((h: { symbol: string }) => h.symbol === 'BTC').quantity).toBe(
      '0.3',
    );
    const id = await portfolio({ name: 'binance' });
    const dry = await importCsv(id, binance, 'format=binance&dry_run=true');
    expect(dry.body.preview.map((row: { status: string }) => row.status)).toEqual(['new', 'new', 'error']);
    expect(dry.body.preview[0].transaction).toMatchObject({ symbol: 'BTC', quantity: '0.5', fee: '0.06' });
    expect(dry.body.preview[2].errors[0]).toContain('BNB');
  });

  test.each([
    ['a missing column', 'timestamp,type,symbol\n2024-01-01,buy,BTC', 'format=generic', 422],
    ['an unclosed quote', 'timestamp,type,symbol,quantity\n"2024-01-01,buy,BTC,1', 'format=generic', 422],
    ['an unknown format', 'a,b\n1,2', 'format=robinhood', 400],
  ])('When the CSV has %s, then it is a %i problem', async (_name, csv, query, expected) => {
    const id = await portfolio();
    const { status, headers } = await importCsv(id, csv, query);
    expect(status).toBe(expected);
    expect(headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('Caching', () => {
  test('When holdings are read twice, then the second is a cache HIT; a write of the portfolio retires it for every reader, and readers never share entries', async () => {
    const id = await portfolio();
    await add(id, buy(10, '1', '200'));
    const admin = await signIn(api, 'admin');
    expect((await get(`/api/v1/portfolios/${id}/holdings`)).headers.get('x-cache')).toBe('MISS');
    const hit = await get(`/api/v1/portfolios/${id}/holdings`);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('cache-control')).toBe('private, no-cache');
    expect((await get(`/api/v1/portfolios/${id}/holdings`, admin)).headers.get('x-cache')).toBe('MISS');
    expect((await get(`/api/v1/portfolios/${id}/holdings`, admin)).headers.get('x-cache')).toBe('HIT');
    await add(id, buy(5, '1', '210'));
    const owners = await get(`/api/v1/portfolios/${id}/holdings`);
    const admins = await get(`/api/v1/portfolios/${id}/holdings`, admin);
    expect(owners.headers.get('x-cache')).toBe('MISS');
    expect(admins.headers.get('x-cache')).toBe('MISS');
    expect(owners.body.holdings[0].quantity).toBe('2');
    expect(admins.body.holdings[0].quantity).toBe('2');
    // A stranger gets a 404, never the cached answer.
    const stranger = await signIn(api, 'trader');
    expect((await get(`/api/v1/portfolios/${id}/holdings`, stranger)).status).toBe(404);
  });
});
