import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { daysAgo, seedDailyPrices } from '../../../test/prices.ts';
import { startTestWorkers, waitForJob, type TTestWorkers } from '../../../test/worker-harness.ts';

const DAYS = 60;
let database: TTestDatabase;
let api: TTestApi;
let workers: TTestWorkers;
let owner: TSignedIn;
let receiver: Server;
let hooks: { path: string; body: string }[] = [];
beforeAll(async () => {
  const config = testConfig({
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000,analyst=100000',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
  workers = await startTestWorkers(config, database.db);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await workers.close();
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
  hooks = [];
  // BTC: 100 rising by 1 a day to 160 today; ETH flat at 50.
  await seedDailyPrices(database.db, { BTC: (index) => String(100 + index), ETH: () => '50' }, DAYS);
  owner = await signIn(api, 'trader');
});

const hookUrl = (path: string) => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${path}`;
const send = (method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown, who = owner) =>
  sendJson(api.url, method, path, body, who.headers);
const get = (path: string, who = owner) => request(api.url, path, { headers: who.headers });
async function alert(body: Record<string, unknown>) {
  const created = await send('POST', '/api/v1/alerts', { cooldown_seconds: 0, ...body });
  expect(created.status).toBe(201);
  return created.body as { id: string };
}
/** What a sync does to a coin: a new current price and a history point now. */
async function syncPrice(symbol: string, price: string) {
  await database.db.query(`UPDATE cryptocurrencies SET current_price = $2 WHERE symbol = $1`, [
    symbol,
    price,
  ]);
  await database.db.query(
    `INSERT INTO price_history (cryptocurrency_id, "timestamp", price)
     SELECT id, now(), $2 FROM cryptocurrencies WHERE symbol = $1 ON CONFLICT DO NOTHING`,
    [symbol, price],
  );
}
/** Runs the evaluation a sync triggers, in the real worker. */
async function evaluateAfterSync(symbols: string[]) {
  const { job_id: jobId } = await workers.queues.enqueue('evaluate-alerts', { symbols });
  const { state, job } = await waitForJob(workers.queues, jobId);
  expect(state).toBe('completed');
  return job.returnvalue as { evaluated: number; fired: string[] };
}
async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Alerts', () => {
  test('When a price stays above the threshold across three syncs, then the alert fires exactly once, with one event and one webhook', async () => {
    await send('POST', '/api/v1/webhooks', { url: hookUrl('/alerts'), events: ['alert.fired'] });
    const { id } = await alert({ kind: 'price_above', symbol: 'btc', threshold: '170' });
    expect((await evaluateAfterSync(['BTC'])).fired).toEqual([]); // 160: below
    for (const price of ['171', '175', '180']) {
      await syncPrice('BTC', price);
      await evaluateAfterSync(['BTC']);
    }
    const events = await get(`/api/v1/alerts/${id}/events`);
    expect(events.body.data).toHaveLength(1);
    expect(events.body.data[0].event).toMatchObject({
      kind: 'price_above',
      symbol: 'BTC',
      value: '171',
      threshold: '170',
    });
    expect((await get(`/api/v1/alerts/${id}`)).body).toMatchObject({ state: 'triggered', last_value: '180' });
    const delivered = await waitFor(async () => (hooks.length ? hooks : undefined), 'the webhook');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks).toHaveLength(1);
    expect(JSON.parse(delivered[0]!.body)).toMatchObject({
      type: 'alert.fired',
      data: { alert_id: id, value: '171' },
    });

    // Back below, then above again: a second crossing fires again.
    await syncPrice('BTC', '150');
    await evaluateAfterSync(['BTC']);
    await syncPrice('BTC', '190');
    expect((await evaluateAfterSync(['BTC'])).fired).toEqual([id]);
  });

  test('When compute-risk finishes after a sync, then it chains the alert evaluation for its coins', async () => {
    const { id } = await alert({ kind: 'price_below', symbol: 'ETH', threshold: '60' });
    const risk = await workers.queues.enqueue('compute-risk', { symbols: ['ETH'] });
    const { job } = await waitForJob(workers.queues, risk.job_id);
    const chained = await waitForJob(workers.queues, job.returnvalue.evaluate_alerts_job);
    expect(chained.job.returnvalue.fired).toEqual([id]);
  });

  test('When a trade pushes a portfolio over a limit, then its limit_breach alert fires and a limit.breached webhook goes out', async () => {
    await send('POST', '/api/v1/webhooks', { url: hookUrl('/limits'), events: ['limit.breached'] });
    const portfolio = (await send('POST', '/api/v1/portfolios', { name: 'Main' })).body.id;
    await send('PUT', `/api/v1/portfolios/${portfolio}/limits`, {
      limits: [{ type: 'max_position_value', symbol: 'BTC', value: '1000' }],
    });
    const { id } = await alert({ kind: 'limit_breach', portfolio_id: portfolio });
    const trade = {
      type: 'buy',
      symbol: 'BTC',
      quantity: '10',
      price: '150',
      timestamp: `${daysAgo(1)}T12:00:00Z`,
    };
    expect((await send('POST', `/api/v1/portfolios/${portfolio}/transactions`, trade)).status).toBe(201);
    const events = await waitFor(async () => {
      const answer = await get(`/api/v1/alerts/${id}/events`);
      return answer.body.data.length ? answer.body.data : undefined;
    }, 'the limit breach event');
    expect(events[0].event).toMatchObject({
      kind: 'limit_breach',
      portfolio_id: portfolio,
      value: 'breached',
    });
    const [hook] = await waitFor(
      async () => (hooks.length ? hooks : undefined),
      'the limit.breached webhook',
    );
    expect(JSON.parse(hook!.body)).toMatchObject({ type: 'limit.breached', data: { alert_id: id } });
  });

  test('When pct_change and risk_metric alerts are evaluated, then they watch the change over the window and the metric', async () => {
    // BTC 160 now against 158, the last point 24 hours ago (the day before yesterday's 23:00 close): +1.27 %.
    // Its daily returns all rise, so there is no VaR loss.
    const rise = await alert({ kind: 'pct_change', symbol: 'BTC', threshold: '0.005', window_hours: 24 });
    const fall = await alert({ kind: 'pct_change', symbol: 'BTC', threshold: '-0.005' });
    const calm = await alert({
      kind: 'risk_metric',
      symbol: 'BTC',
      metric: 'var_95',
      direction: 'below',
      threshold: '0',
    });
    const { fired } = await api.services.alerts.evaluateMarket(['BTC']);
    expect(fired.sort()).toEqual([rise.id, calm.id].sort());
    expect(Number((await get(`/api/v1/alerts/${rise.id}`)).body.last_value)).toBeCloseTo(160 / 158 - 1, 12);
    expect((await get(`/api/v1/alerts/${fall.id}`)).body.state).toBe('armed');
  });

  test.each([
    [{ kind: 'price_above', threshold: '1' }, 'symbol_required'],
    [{ kind: 'limit_breach' }, 'portfolio_required'],
    [{ kind: 'risk_metric', symbol: 'BTC', threshold: '1' }, 'metric_required'],
    [{ kind: 'price_above', symbol: 'BTC', metric: 'var_95', threshold: '1' }, 'metric_not_allowed'],
    [{ kind: 'price_below', symbol: 'BTC' }, 'threshold_required'],
    [{ kind: 'price_above', symbol: 'BTC', threshold: '1', window_hours: 4 }, 'window_not_allowed'],
  ])('When the alert is %j, then it is a 422 (%s)', async (body, reason) => {
    const answer = await send('POST', '/api/v1/alerts', body);
    expect(answer.status).toBe(422);
    expect(answer.body.reason).toBe(reason);
  });

  test('When the coin or the portfolio is not the caller’s to watch, then it is a 404; another user cannot see the alert', async () => {
    expect(
      (await send('POST', '/api/v1/alerts', { kind: 'price_above', symbol: 'NOPE', threshold: '1' })).status,
    ).toBe(404);
    const stranger = await signIn(api, 'trader');
    const theirs = (await send('POST', '/api/v1/portfolios', { name: 'Theirs' }, stranger)).body.id;
    expect(
      (await send('POST', '/api/v1/alerts', { kind: 'limit_breach', portfolio_id: theirs })).status,
    ).toBe(404);
    const { id } = await alert({ kind: 'price_above', symbol: 'BTC', threshold: '1' });
    expect((await get(`/api/v1/alerts/${id}`, stranger)).status).toBe(404);
    expect((await send('PATCH', `/api/v1/alerts/${id}`, { enabled: false }, stranger)).status).toBe(404);
    expect((await send('DELETE', `/api/v1/alerts/${id}`, undefined, stranger)).status).toBe(404);
    expect((await get('/api/v1/alerts', stranger)).body.data).toEqual([]);
  });

  test('When an alert is disabled, then it is not evaluated; a new threshold re-arms it', async () => {
    const { id } = await alert({ kind: 'price_above', symbol: 'BTC', threshold: '100' });
    expect((await api.services.alerts.evaluateMarket(['BTC'])).fired).toEqual([id]);
    const patched = await send('PATCH', `/api/v1/alerts/${id}`, { threshold: '120' });
    expect(patched.body).toMatchObject({ state: 'armed', threshold: '120' });
    await send('PATCH', `/api/v1/alerts/${id}`, { enabled: false });
    expect((await api.services.alerts.evaluateMarket(['BTC'])).fired).toEqual([]);
    await send('PATCH', `/api/v1/alerts/${id}`, { enabled: true });
    expect((await api.services.alerts.evaluateMarket(['BTC'])).fired).toEqual([id]);
    expect((await send('DELETE', `/api/v1/alerts/${id}`)).status).toBe(204);
    expect((await get(`/api/v1/alerts/${id}`)).status).toBe(404);
  });
});

describe('Alerts act for their owner only while the owner may', () => {
  const eventsOf = async (alertId: string) =>
    (
      (await database.db.query(`SELECT count(*)::int AS count FROM alert_events WHERE alert_id = $1`, [
        alertId,
      ])) as { count: number }[]
    )[0]!.count;
  const deliveries = async () =>
    (
      (await database.db.query(`SELECT count(*)::int AS count FROM webhook_deliveries`)) as {
        count: number;
      }[]
    )[0]!.count;
  const setAccount = (userId: string, change: { status?: string; role?: string }) =>
    database.db.query(
      `UPDATE users SET status = COALESCE($2, status), role = COALESCE($3, role) WHERE id = $1`,
      [userId, change.status ?? null, change.role ?? null],
    );

  test('When the owner is suspended, then their alert neither fires, nor stores an event, nor stages a webhook; reactivated, it fires', async () => {
    await send('POST', '/api/v1/webhooks', { url: hookUrl('/suspended'), events: ['alert.fired'] });
    const { id } = await alert({ kind: 'price_above', symbol: 'BTC', threshold: '100' });
    await setAccount(owner.userId, { status: 'suspended' });
    const held = await api.services.alerts.evaluateMarket(['BTC']);
    expect(held).toMatchObject({ fired: [], skipped: [id] });
    expect(await eventsOf(id)).toBe(0);
    expect(await deliveries()).toBe(0);
    await setAccount(owner.userId, { status: 'active' });
    expect((await api.services.alerts.evaluateMarket(['BTC'])).fired).toEqual([id]);
    expect(await eventsOf(id)).toBe(1);
  });

  test('When the owner’s role no longer holds alerts:manage, then their alert is not evaluated', async () => {
    const { id } = await alert({ kind: 'price_above', symbol: 'BTC', threshold: '100' });
    await setAccount(owner.userId, { role: 'service' });
    expect(await api.services.alerts.evaluateMarket(['BTC'])).toMatchObject({ fired: [], skipped: [id] });
    expect(await eventsOf(id)).toBe(0);
  });

  test('When an admin watching a trader’s portfolio loses portfolios:admin, then that alert stops sending the portfolio’s state; restored, it fires', async () => {
    const admin = await signIn(api, 'admin');
    const portfolio = (await send('POST', '/api/v1/portfolios', { name: 'Watched' })).body.id;
    await send('PUT', `/api/v1/portfolios/${portfolio}/limits`, {
      limits: [{ type: 'max_position_value', symbol: 'BTC', value: '1000' }],
    });
    const watched = await send(
      'POST',
      '/api/v1/alerts',
      { kind: 'limit_breach', portfolio_id: portfolio, cooldown_seconds: 0 },
      admin,
    );
    expect(watched.status).toBe(201);
    await send('POST', '/api/v1/webhooks', { url: hookUrl('/watcher'), events: ['limit.breached'] }, admin);
    await setAccount(admin.userId, { role: 'trader' });
    const trade = {
      type: 'buy',
      symbol: 'BTC',
      quantity: '10',
      price: '150',
      timestamp: `${daysAgo(1)}T12:00:00Z`,
    };
    expect((await send('POST', `/api/v1/portfolios/${portfolio}/transactions`, trade)).status).toBe(201);
    const held = await api.services.alerts.evaluatePortfolio(portfolio);
    expect(held.skipped).toEqual([watched.body.id]);
    expect(await eventsOf(watched.body.id)).toBe(0);
    await setAccount(admin.userId, { role: 'admin' });
    // The trade's own evaluation (in the worker) may fire it first; either way it has fired once now.
    await api.services.alerts.evaluatePortfolio(portfolio);
    expect(await eventsOf(watched.body.id)).toBe(1);
  });
});

/** An SSE client: collects events until `count` arrived, then disconnects. */
function streamEvents(headers: Record<string, string>, count: number, onOpen: () => Promise<void>) {
  return new Promise<{ id: string; data: { alert_id: string } }[]>((resolve, reject) => {
    const events: { id: string; data: { alert_id: string } }[] = [];
    const req = httpRequest(`${api.url}/api/v1/alerts/stream`, { headers }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => reject(new Error(`stream answered ${res.statusCode}: ${chunk}`)));
        return;
      }
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (id && data) events.push({ id, data: JSON.parse(data) });
          if (events.length >= count) {
            req.destroy();
            resolve(events);
          }
        }
      });
      void onOpen().catch(reject);
    });
    req.on('error', (error) => (events.length >= count ? undefined : reject(error)));
    req.setTimeout(15_000, () => req.destroy(new Error(`only ${events.length} of ${count} events arrived`)));
    req.end();
  });
}

describe('Alert stream (SSE)', () => {
  test('When a client reconnects with Last-Event-ID, then it gets the events it missed, in order, then live ones', async () => {
    const { id } = await alert({ kind: 'price_above', symbol: 'BTC', threshold: '165' });
    const crossing = async (price: string) => {
      await syncPrice('BTC', '150');
      await api.services.alerts.evaluateMarket(['BTC']);
      await syncPrice('BTC', price);
      await api.services.alerts.evaluateMarket(['BTC']);
    };
    const [first] = await streamEvents(owner.headers, 1, () => crossing('170'));
    expect(first!.data.alert_id).toBe(id);

    await crossing('171'); // missed while disconnected
    await crossing('172');
    const resumed = await streamEvents({ ...owner.headers, 'Last-Event-ID': first!.id }, 3, () =>
      crossing('173'),
    );
    expect(
      resumed.map((event) => (event.data as unknown as { event: { value: string } }).event.value),
    ).toEqual(['171', '172', '173']);
    expect(resumed.map((event) => BigInt(event.id))).toEqual(
      [...resumed.map((event) => BigInt(event.id))].sort((a, b) => (a < b ? -1 : 1)),
    );
  });

  test('When Last-Event-ID is malformed or the caller has no alerts permission, then it is a problem, not a stream', async () => {
    const bad = await request(api.url, '/api/v1/alerts/stream', {
      headers: { ...owner.headers, 'Last-Event-ID': 'abc' },
    });
    expect(bad.status).toBe(400);
    expect((await request(api.url, '/api/v1/alerts/stream')).status).toBe(401);
    expect(
      (await request(api.url, '/api/v1/alerts/stream?last_event_id=x', { headers: owner.headers })).status,
    ).toBe(400);
  });
});
