import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { withContext } from '../../test/expect-context.ts';
import { createQueueRedis } from '../../core/platform/redis/redis.ts';
import { createJobQueues as createQueues, type TJobQueues as TQueues } from '../../core/features.ts';
import { seedBundledData } from '../../core/market/index.ts';
import { logIn, TEST_PASSWORD } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';
import { freePort, startProcess, waitForStatus, type TChild } from '../../test/processes.ts';
import { startProviderServer, type TProviderServer } from '../../test/provider-server.ts';
import { awayFromWindowEnd } from '../../test/rate-window.ts';
import { waitForJob } from '../../test/worker-harness.ts';

const MARKETS = '/api/v3/coins/markets';
let server: TProviderServer;
let database: TTestDatabase;
let config: ReturnType<typeof testConfig>;
let queues: TQueues;
let connection: ReturnType<typeof createQueueRedis>;
const children: TChild[] = [];

beforeAll(async () => {
  server = await startProviderServer();
  config = testConfig();
  database = await createTestDatabase(config);
  connection = createQueueRedis(config.REDIS_URL);
  queues = createQueues(connection, config.QUEUE_PREFIX);
});
afterAll(async () => {
  for (const queue of Object.values(queues.queues))
    await queue.obliterate({ force: true }).catch(() => undefined);
  await queues.close();
  connection.disconnect();
  await database.drop();
  await server.close();
});
beforeEach(async () => {
  server.reset();
  await database.truncate();
});
afterEach(async () => {
  // Each test owns its processes: a worker left running would take the next test's jobs.
  for (const child of children.splice(0)) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: config.REDIS_URL,
    CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    MARKET_DATA_PROVIDER: 'coingecko',
    COINGECKO_BASE_URL: server.coingeckoUrl,
    PROVIDER_MAX_RETRIES: '0',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    ...extra,
  };
}

async function startWorker(extra: Record<string, string> = {}): Promise<TChild> {
  const port = await freePort();
  const worker = startProcess('worker/main.ts', env({ WORKER_PORT: String(port), ...extra }));
  children.push(worker);
  await waitForStatus(`http://127.0.0.1:${port}/readyz`);
  return worker;
}

async function waitForState(jobId: string, wanted: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const found = await queues.find(jobId);
    if (found && (await found.job.getState()) === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} never became ${wanted}`);
}

test('When a worker is killed (SIGKILL) mid-job, then another worker takes the job over and completes it', async () => {
  const fastStall = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };
  server.script(MARKETS, { delayMs: 8000, body: [] });
  const first = await startWorker(fastStall);
  const { job_id } = await queues.enqueue('sync-markets', { limit: 5 });
  await waitForState(job_id, 'active');
  first.process.kill('SIGKILL');
  await first.exited;
  await startWorker(fastStall);
  const { state, job } = await waitForJob(queues, job_id, 30_000);
  withContext(job.failedReason, () => expect(state).toBe('completed'));
  expect(job.returnvalue.coins_upserted).toBe(5);
  const [{ n }] = await database.db.query('SELECT count(*)::int AS n FROM cryptocurrencies');
  expect(n).toBe(5);
});

test('When a worker is killed (SIGKILL) mid-flow, then another worker completes the sync and every step after it', async () => {
  const fastStall = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };
  server.script(MARKETS, { delayMs: 8000 });
  const first = await startWorker(fastStall);
  // Another limit than the test before: the same one in the same window would be that test's job.
  const enqueued = await queues.enqueue('sync-markets', { limit: 4 });
  await waitForState(enqueued.job_id, 'active');
  first.process.kill('SIGKILL');
  await first.exited;
  await startWorker(fastStall);
  const root = await waitForJob(queues, enqueued.flow_id!, 40_000);
  withContext(root.job.failedReason, () => expect(root.state).toBe('completed'));
  const steps = await queues.flowOf(enqueued.job_id);
  const states = await Promise.all(steps!.map(async (step) => (await queues.find(step.id))!.job.getState()));
  expect(states).toEqual(['completed', 'completed', 'completed']);
  const [{ n }] = await database.db.query('SELECT count(*)::int AS n FROM cryptocurrencies');
  expect(n).toBe(4);
});

test('When a worker gets SIGTERM mid-job, then it finishes the job and exits 0', async () => {
  server.script(MARKETS, { delayMs: 1500 });
  const worker = await startWorker();
  const { job_id } = await queues.enqueue('sync-markets', { limit: 3 });
  await waitForState(job_id, 'active');
  worker.process.kill('SIGTERM');
  const exitCode = await worker.exited;
  withContext(worker.output(), () => expect(exitCode).toBe(0));
  const found = await queues.find(job_id);
  expect(await found!.job.getState()).toBe('completed');
  expect(worker.output()).toMatch(/shutdown complete/);
});

test('When the trigger CLI runs, then it enqueues one job and exits; bad input exits non-zero', async () => {
  const trigger = startProcess('worker/trigger.ts', env(), ['sync', '--limit', '7']);
  const exitCode = await trigger.exited;
  withContext(trigger.output(), () => expect(exitCode).toBe(0));
  const { job_id, name } = JSON.parse(trigger.output().trim().split('\n').pop()!);
  expect(name).toBe('sync-markets');
  const found = await queues.find(job_id);
  expect(found!.job.data.limit).toBe(7);
  await found!.job.remove();

  const invalid = startProcess('worker/trigger.ts', env(), ['sync', '--limit', '0']);
  expect(await invalid.exited).toBe(1);
  expect(invalid.output()).toMatch(/could not enqueue sync-markets/);
  const unknown = startProcess('worker/trigger.ts', env(), ['explode']);
  expect(await unknown.exited).toBe(2);
});

test('When POST /sync is called on the real API, then the worker completes the job and the listing shows the new data', async () => {
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH', 'USDT'], history: 'month' });
  // No live ticks here: a tick from the provider would move the price this test reads before the sync.
  await startWorker({ TICKER_ENABLED: 'false' });
  const port = await freePort();
  const api = startProcess(
    'api/main.ts',
    env({
      PORT: String(port),
      SYNC_RATE_LIMIT_PER_MINUTE: '3',
      BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com',
      BOOTSTRAP_ADMIN_PASSWORD: TEST_PASSWORD,
    }),
  );
  children.push(api);
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/readyz`);
  const { headers } = await logIn(base, 'ops@example.com'); // the bootstrap admin may trigger and follow syncs

  const before = await request(base, '/api/v1/cryptocurrencies/?symbol_filter=BTC');
  const [newest] = await database.db.query(
    `SELECT h.price FROM price_history h JOIN cryptocurrencies c ON c.id = h.cryptocurrency_id
     WHERE c.symbol = 'BTC' ORDER BY h."timestamp" DESC LIMIT 1`,
  );
  expect(before.body.data[0].current_price).toBe(Number(newest.price)); // the seeded market's newest close
  expect((await request(base, '/api/v1/cryptocurrencies/?symbol_filter=BTC')).headers.get('x-cache')).toBe(
    'HIT',
  );

  const recorded = (await (
    await fetch(`${server.coingeckoUrl}/coins/markets?per_page=3&page=1`)
  ).json()) as Record<string, unknown>[];
  server.script(MARKETS, { body: [{ ...recorded[0], current_price: 12345.67 }, ...recorded.slice(1)] });
  // From here to the 429, the job's run and the status polls included (up to 10 s), the POSTs must share
  // one window of the sync route's budget and one of the job's deduplication (5-minute windows, whose
  // ends are also minute ends).
  await awayFromWindowEnd(10_000);
  const accepted = await request(base, '/api/v1/cryptocurrencies/sync?limit=3&provider=coingecko', {
    method: 'POST',
    headers,
  });
  expect(accepted.status).toBe(202);
  expect(accepted.headers.get('location')).toBe(accepted.body.status_url);
  expect(accepted.headers.get('ratelimit-limit')).toBe('3');

  let status = await request(base, accepted.body.status_url, { headers });
  for (let i = 0; i < 200 && !['completed', 'failed'].includes(status.body.state); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await request(base, accepted.body.status_url, { headers });
  }
  withContext(status.body.failed_reason, () => expect(status.body.state).toBe('completed'));
  expect(status.body.result.coins_upserted).toBe(3);
  expect(status.body.result.provider).toBe('coingecko');
  expect(status.body.attempts_made).toBe(1);

  const after = await request(base, '/api/v1/cryptocurrencies/?symbol_filter=BTC');
  expect(after.headers.get('x-cache')).toBe('MISS'); // the sync invalidated the cache
  expect(after.body.data[0].current_price).toBe(12345.67);

  const again = await request(base, '/api/v1/cryptocurrencies/sync?limit=3&provider=coingecko', {
    method: 'POST',
    headers,
  });
  expect(again.body.job_id).toBe(accepted.body.job_id); // same window, same job
  expect(again.body.deduplicated).toBe(true);
  const post = (query: string) =>
    request(base, `/api/v1/cryptocurrencies/sync?${query}`, { method: 'POST', headers });
  expect((await post('limit=abc')).status).toBe(400);
  const limited = await post('provider=nasdaq');
  expect(limited.status).toBe(429); // the sync route allows 3 per minute here
  expect((await request(base, '/api/v1/jobs/no-such-job', { headers })).status).toBe(404);
  expect((await request(base, accepted.body.status_url)).status).toBe(401); // no credentials, no job status
});

test('When WORKER_PORT is already taken, then the worker exits 78 with one line naming it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const worker = startProcess('worker/main.ts', env({ WORKER_PORT: String(port) }));
    expect(await worker.exited).toBe(78);
    expect(worker.output()).toContain(
      `WORKER_PORT=${port}: 127.0.0.1:${port} is already in use by another process; set WORKER_PORT to a free port.`,
    );
    expect(worker.output()).not.toMatch(/\n\s+at /); // no stack trace
  } finally {
    blocker.close();
  }
});
