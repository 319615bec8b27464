import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { seedBundledData } from '../../core/market/index.ts';
import { logIn, TEST_PASSWORD } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { startOtelCollector, type TSpan } from '../../test/otel-collector.ts';
import { freePort, ROOT, startProcess, waitForStatus, type TChild } from '../../test/processes.ts';
import { startProviderServer, type TProviderServer } from '../../test/provider-server.ts';
import { WebhookReceiver } from '../../test/webhook-receiver.ts';

// Issue #26: the API and the worker as real processes, started with the tracing preload and sending OTLP
// to a real OpenTelemetry Collector; the spans are read from what the collector forwards.

const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;
let provider: TProviderServer;
let database: TTestDatabase;
let collector: Awaited<ReturnType<typeof startOtelCollector>>;
let receiver: WebhookReceiver;
let api: TChild;
let worker: TChild;
let base = '';
let headers: Record<string, string> = {};
let env: Record<string, string> = {};
const nodeArgs = ['--import', path.join(ROOT, 'core/platform/tracing/register.ts')];

beforeAll(async () => {
  provider = await startProviderServer();
  const config = testConfig();
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH', 'USDT'], history: 'month' });
  collector = await startOtelCollector();
  receiver = await new WebhookReceiver().start();
  env = {
    DATABASE_URL: database.url,
    REDIS_URL: config.REDIS_URL,
    CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    // One key for both processes: the worker unseals the webhook secret the API sealed.
    SECRET_KEY: randomBytes(32).toString('hex'),
    MARKET_DATA_PROVIDER: 'coingecko',
    COINGECKO_BASE_URL: provider.coingeckoUrl,
    PROVIDER_MAX_RETRIES: '0',
    TICKER_ENABLED: 'false',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_TRACES_SAMPLER_ARG: '1',
  };
  const workerPort = await freePort();
  worker = startProcess('worker/main.ts', { ...env, WORKER_PORT: String(workerPort) }, [], { nodeArgs });
  const port = await freePort();
  api = startProcess(
    'api/main.ts',
    {
      ...env,
      PORT: String(port),
      BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com',
      BOOTSTRAP_ADMIN_PASSWORD: TEST_PASSWORD,
    },
    [],
    { nodeArgs },
  );
  base = `http://127.0.0.1:${port}`;
  await waitForStatus(`http://127.0.0.1:${workerPort}/readyz`).catch((error: Error) => {
    throw new Error(`${error.message}\n${worker.output()}`);
  });
  await waitForStatus(`${base}/readyz`).catch((error: Error) => {
    throw new Error(`${error.message}\n${api.output()}`);
  });
  ({ headers } = await logIn(base, 'ops@example.com'));
});

afterAll(async () => {
  for (const child of [api, worker]) {
    child?.process.kill('SIGKILL');
    await child?.exited;
  }
  await collector?.close();
  await receiver?.close();
  await database?.drop();
  await provider?.close();
});

async function post(pathname: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${pathname}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The spans of one trace, by id. */
function indexed(spans: TSpan[]): Map<string, TSpan> {
  return new Map(spans.map((span) => [span.spanId, span]));
}

/** True when `ancestor` is on the way from `span` up to its trace's root. */
function descends(byId: Map<string, TSpan>, span: TSpan, ancestor: TSpan): boolean {
  for (let at: TSpan | undefined = span; at; at = byId.get(at.parentSpanId))
    if (at.parentSpanId === ancestor.spanId) return true;
  return false;
}

const serverSpan = (spans: TSpan[], method: string, route: string) =>
  spans.find(
    (span) =>
      span.kind === SERVER &&
      span.attributes['http.route'] === route &&
      (span.attributes['http.request.method'] ?? span.attributes['http.method']) === method,
  );

/** Log lines (pino JSON) of a process's output. */
const logLines = (child: TChild): Record<string, unknown>[] =>
  child
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test('When a sync is triggered over HTTP, then one trace follows it through the flow (sync, risk, alerts) into the webhook delivery, with linked parents, database and Redis spans, and the trace id in the log lines', async () => {
  const hook = await post('/api/v1/webhooks', {
    url: `http://127.0.0.1:${receiver.port}/hook`,
    events: ['alert.fired'],
  });
  expect(hook.status).toBe(201);
  const alert = await post('/api/v1/alerts', { kind: 'price_above', symbol: 'BTC', threshold: '1' });
  expect(alert.status).toBe(201);
  const accepted = await post('/api/v1/cryptocurrencies/sync?limit=3&provider=coingecko');
  expect(accepted.status).toBe(202);
  await receiver.waitFor('/hook', 1, 30_000);

  const route = '/api/v1/cryptocurrencies/sync';
  const consumer = (spans: TSpan[], traceId: string, queue: string) =>
    spans.find(
      (span) => span.traceId === traceId && span.kind === CONSUMER && span.name === `${queue} process`,
    );
  // Each process exports its ended spans every second, and a parent ends after its children: a parent
  // (the root in the API, say) can arrive a batch after them. A span whose parent never arrives still
  // fails here, by the timeout.
  const spans = await collector.waitFor((all) => {
    const root = serverSpan(all, 'POST', route);
    if (!root) return false;
    const trace = all.filter((span) => span.traceId === root.traceId);
    const ids = new Set(trace.map((span) => span.spanId));
    return (
      ['sync-markets', 'compute-risk', 'evaluate-alerts', 'deliver-webhook'].every((queue) =>
        consumer(trace, root.traceId, queue),
      ) && trace.every((span) => span === root || ids.has(span.parentSpanId))
    );
  }, 30_000);
  const root = serverSpan(spans, 'POST', route)!;
  const trace = spans.filter((span) => span.traceId === root.traceId);
  const byId = indexed(trace);
  expect(spans.length).toBeGreaterThan(0);
  expect(root.service).toBe('trading-backend-api');
  expect(root.parentSpanId).toBe('');
  expect(root.name).toBe(`POST ${route}`);
  // Every other span's parent is in the same trace: one tree.
  for (const span of trace) if (span !== root) expect(byId.has(span.parentSpanId)).toBe(true);

  const publish = trace.find((span) => span.kind === PRODUCER && span.name === 'sync-markets publish')!;
  expect(publish.service).toBe('trading-backend-api');
  expect(descends(byId, publish, root)).toBe(true);
  for (const queue of ['sync-markets', 'compute-risk', 'evaluate-alerts']) {
    const step = consumer(trace, root.traceId, queue)!;
    expect({ queue, service: step.service, parent: step.parentSpanId }).toEqual({
      queue,
      service: 'trading-backend-worker',
      parent: publish.spanId,
    });
  }
  const alerts = consumer(trace, root.traceId, 'evaluate-alerts')!;
  const deliveryPublish = trace.find(
    (span) => span.kind === PRODUCER && span.name === 'deliver-webhook publish',
  )!;
  expect(descends(byId, deliveryPublish, alerts)).toBe(true);
  const delivery = consumer(trace, root.traceId, 'deliver-webhook')!;
  expect(delivery.parentSpanId).toBe(deliveryPublish.spanId);

  // The instrumentations: PostgreSQL queries and Redis commands inside the jobs, and the webhook's POST.
  const sync = consumer(trace, root.traceId, 'sync-markets')!;
  const isDb = (span: TSpan, system: string) =>
    (span.attributes['db.system'] ?? span.attributes['db.system.name']) === system;
  expect(trace.some((span) => isDb(span, 'postgresql') && descends(byId, span, sync))).toBe(true);
  expect(trace.some((span) => isDb(span, 'redis') && descends(byId, span, root))).toBe(true);
  expect(trace.some((span) => isDb(span, 'postgresql') && descends(byId, span, delivery))).toBe(true);

  // The log lines carry the trace: the API's access line, the worker's job lines.
  const apiLine = logLines(api).find(
    (line) => line.trace_id === root.traceId && line.msg === 'request completed',
  );
  expect(apiLine).toMatchObject({ span_id: root.spanId, url: expect.stringContaining('/sync') });
  const jobLine = logLines(worker).find(
    (line) => line.trace_id === root.traceId && line.msg === 'job started',
  );
  expect(jobLine).toMatchObject({ span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
});

test('When a portfolio is written, then its alert evaluation continues the request trace; a problem answer logs its request_id with the trace id; /metrics shows the trace on its exemplars', async () => {
  const created = await post('/api/v1/portfolios', { name: 'traced', cost_basis_method: 'fifo' });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const today = new Date().toISOString().slice(0, 10);
  const written = await post(`/api/v1/portfolios/${id}/transactions`, {
    type: 'buy',
    symbol: 'BTC',
    quantity: '0.5',
    price: '100',
    timestamp: `${today}T00:00:00Z`,
  });
  expect(written.status).toBe(201);
  const route = '/api/v1/portfolios/:id/transactions';
  const spans = await collector.waitFor((all) => {
    const root = serverSpan(all, 'POST', route);
    return Boolean(
      root &&
      all.some(
        (span) =>
          span.traceId === root.traceId && span.kind === CONSUMER && span.name === 'evaluate-alerts process',
      ),
    );
  }, 30_000);
  const root = serverSpan(spans, 'POST', route)!;
  const trace = spans.filter((span) => span.traceId === root.traceId);
  const byId = indexed(trace);
  const publish = trace.find((span) => span.kind === PRODUCER && span.name === 'evaluate-alerts publish')!;
  expect(descends(byId, publish, root)).toBe(true);
  const evaluation = trace.find((span) => span.kind === CONSUMER && span.name === 'evaluate-alerts process')!;
  expect(evaluation).toMatchObject({ service: 'trading-backend-worker', parentSpanId: publish.spanId });

  // A problem+json answer: its request_id's log line carries the trace and span of that request.
  const missing = await fetch(`${base}/api/v1/cryptocurrencies/NOSUCHCOIN`);
  expect(missing.status).toBe(404);
  const { request_id } = (await missing.json()) as { request_id: string };
  const notFound = await collector.waitFor((all) =>
    all.some(
      (span) => span.kind === SERVER && span.attributes['http.route'] === '/api/v1/cryptocurrencies/:symbol',
    ),
  );
  const problemSpan = notFound.find(
    (span) => span.kind === SERVER && span.attributes['http.route'] === '/api/v1/cryptocurrencies/:symbol',
  )!;
  const line = logLines(api).find((entry) => entry.requestId === request_id);
  expect(line).toMatchObject({ trace_id: problemSpan.traceId, span_id: problemSpan.spanId, status: 404 });

  // Exemplars: OpenMetrics when asked for, with a request's trace id on the duration histogram.
  const openMetrics = await fetch(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text' } });
  expect(openMetrics.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
  const text = await openMetrics.text();
  const exemplar = /^http_request_duration_seconds_bucket\{.*\} \d+ # \{trace_id="([0-9a-f]{32})"\}/m.exec(
    text,
  );
  expect(exemplar).not.toBeNull();
  expect(text.trimEnd().endsWith('# EOF')).toBe(true);
  // The plain text format is unchanged afterwards (counters keep their _total).
  const plain = await (await fetch(`${base}/metrics`)).text();
  expect(plain).toMatch(/^http_requests_total\{/m);
  expect(plain).not.toMatch(/ # \{trace_id=/);
});

test('When a CronJob trigger enqueues a sync, then its producer span (service trading-backend-trigger) is exported before it exits and parents the jobs', async () => {
  const trigger = startProcess('worker/trigger.ts', env, ['sync', '--limit', '2'], { nodeArgs });
  expect(await trigger.exited).toBe(0);
  // Exported by the time the process exits: nothing to wait for but the collector's own batch.
  const exported = await collector.waitFor((all) =>
    all.some((span) => span.service === 'trading-backend-trigger'),
  );
  const publish = exported.find(
    (span) => span.service === 'trading-backend-trigger' && span.name === 'sync-markets publish',
  )!;
  expect(publish).toMatchObject({ kind: PRODUCER, parentSpanId: '' });
  const spans = await collector.waitFor((all) =>
    all.some((span) => span.name === 'evaluate-alerts process' && span.parentSpanId === publish.spanId),
  );
  const steps = spans.filter((span) => span.kind === CONSUMER && span.parentSpanId === publish.spanId);
  expect(steps.map((span) => span.name).sort()).toEqual([
    'compute-risk process',
    'evaluate-alerts process',
    'sync-markets process',
  ]);
});
