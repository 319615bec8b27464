import net from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { withContext } from '../../test/expect-context.ts';
import { seedBundledData } from '../../core/market/index.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { freePort, startProcess, waitForStatus } from '../../test/processes.ts';
import { startTcpProxy, type TTcpProxy } from '../../test/tcp-proxy.ts';

const config = testConfig();
let database: TTestDatabase;
let proxy: TTcpProxy;

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC'], history: 'month' });
  proxy = await startTcpProxy(Number(new URL(database.url).port || 5432));
});
afterAll(async () => {
  await proxy.close();
  await database.drop();
});

test('When the API process gets SIGTERM, then readiness fails, the in-flight request completes and it exits 0', async () => {
  const port = await freePort();
  const databaseUrl = new URL(database.url);
  databaseUrl.port = String(proxy.port);
  const api = startProcess('api/main.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: config.REDIS_URL,
    CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    LOG_LEVEL: 'info',
    // The listener stays open this long after the signal: the readiness probe below must land inside it.
    SHUTDOWN_DELAY_MS: '2000',
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForStatus(`${base}/readyz`);
    // Slow PostgreSQL down so that a request is still running when the signal arrives, and still when the
    // listener closes SHUTDOWN_DELAY_MS later.
    proxy.setLatency(4000);
    const inFlight = fetch(`${base}/api/v1/cryptocurrencies/BTC`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    api.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503); // readiness flips first, so the load balancer stops sending traffic
    // The shutdown flag, not the slowed database (its probe times out after 1 s: a 503 as well).
    expect(((await ready.json()) as { status: string }).status).toBe('shutting_down');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { symbol: string }).symbol).toBe('BTC');
    const exitCode = await api.exited;
    withContext(api.output(), () => expect(exitCode).toBe(0));
    expect(api.output()).toMatch(/shutdown complete/);
  } finally {
    proxy.setLatency(0);
    api.process.kill('SIGKILL');
  }
});

test('When the API is quiet, then access-log lines still show within a second, and none is lost at exit', async () => {
  const port = await freePort();
  const api = startProcess('api/main.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL: config.REDIS_URL,
    CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    LOG_LEVEL: 'info',
  });
  const base = `http://127.0.0.1:${port}`;
  // Lines are told apart by the request id each request sends (X-Request-Id is kept when sane).
  const linesFor = (tag: string) =>
    api
      .output()
      .split('\n')
      .filter((line) => line.includes('"request completed"') && line.includes(`"requestId":"${tag}`));
  const livez = (requestId: string) => fetch(`${base}/livez`, { headers: { 'X-Request-Id': requestId } });
  try {
    await waitForStatus(`${base}/readyz`);
    expect((await livez('quiet-1')).status).toBe(200);
    const deadline = Date.now() + 3000;
    while (linesFor('quiet-1').length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(linesFor('quiet-1').length).toBe(1); // a lone line is flushed without waiting for more
    for (let i = 0; i < 30; i += 1) await livez(`burst-${i}`);
    api.process.kill('SIGTERM');
    const exitCode = await api.exited;
    withContext(api.output(), () => expect(exitCode).toBe(0));
    expect(linesFor('burst-').length).toBe(30); // buffered lines are written before exit
  } finally {
    api.process.kill('SIGKILL');
  }
});

test('When a configuration value is invalid, then start-up stops with one message naming it', async () => {
  const api = startProcess('api/main.ts', { PORT: 'eighty', DATABASE_URL: 'not a url' });
  expect(await api.exited).toBe(78);
  expect(api.output()).toMatch(/Invalid configuration/);
  expect(api.output()).toMatch(/PORT/);
  expect(api.output()).toMatch(/DATABASE_URL/);
});

test('When PORT is already taken, then the API exits 78 with one line naming it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const api = startProcess('api/main.ts', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      REDIS_URL: config.REDIS_URL,
      CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
      LOG_LEVEL: 'silent',
    });
    expect(await api.exited).toBe(78);
    expect(api.output()).toContain(`PORT=${port}: 127.0.0.1:${port} is already in use by another process`);
  } finally {
    blocker.close();
  }
});
