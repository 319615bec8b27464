import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { withContext } from '../../test/expect-context.ts';
import { stringify } from 'yaml';
import { seedBundledData } from '../../core/market/index.ts';
import { logIn, TEST_PASSWORD } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { freePort, startProcess, waitForStatus, type TChild } from '../../test/processes.ts';
import { NAMESPACE, render, VALUE_SETS } from './render.ts';

type TRule = {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};

const manifests = render(VALUE_SETS.production);
const groups = manifests.find((m) => m.kind === 'PrometheusRule')!.spec.groups as {
  name: string;
  rules: TRule[];
}[];
const rules = groups.flatMap((group) => group.rules);
const kedaQuery = manifests.find((m) => m.kind === 'ScaledObject')!.spec.triggers[0].metadata.query as string;
const dashboard = JSON.parse(
  manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'))!.data[
    'trading-backend.json'
  ],
);
// What prometheus-adapter computes for the HPA's Pods metric http_requests_per_second (k8s/prometheus-adapter-values.yaml).
const HPA_QUERY = `sum(rate(http_requests_total{namespace="${NAMESPACE}",pod!=""}[1m])) by (pod)`;

const work = mkdtempSync(path.join(tmpdir(), 'prometheus-test-'));
const rulesFile = path.join(work, 'rules.yaml');
writeFileSync(rulesFile, stringify({ groups }));

/** Metric names a PromQL expression selects (names directly followed by a label matcher or a range). */
function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) names.add(match[1]!);
  for (const reserved of ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'])
    names.delete(reserved);
  return [...names];
}

const rule = (name: string) => rules.find((candidate) => candidate.alert === name)!;
const expected = (name: string, labels: Record<string, string> = {}) => ({
  exp_labels: { ...rule(name).labels, ...labels },
  exp_annotations: Object.fromEntries(
    Object.entries(rule(name).annotations).map(([key, value]) => [
      key,
      value.replace('{{ $labels.queue }}', labels.queue ?? ''),
    ]),
  ),
});

describe('alert rules with promtool', () => {
  test('When the rendered PrometheusRule groups are checked, then promtool accepts them', () => {
    const result = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    withContext(result.stdout + result.stderr, () => expect(result.status).toBe(0));
    expect(result.stdout).toMatch(/SUCCESS: 8 rules found/);
  });

  test('When series cross each threshold, then exactly the expected alerts fire (promtool test rules)', () => {
    const ns = `namespace="${NAMESPACE}"`;
    const tests = {
      rule_files: [rulesFile],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            {
              series: `http_requests_total{${ns},route="/api/v1/cryptocurrencies/",method="GET",status="500"}`,
              values: '0+30x40',
            },
            {
              series: `http_requests_total{${ns},route="/api/v1/cryptocurrencies/",method="GET",status="200"}`,
              values: '0+70x40',
            },
          ],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'TradingBackendApiHighErrorRatio', exp_alerts: [] },
            {
              eval_time: '20m',
              alertname: 'TradingBackendApiHighErrorRatio',
              exp_alerts: [expected('TradingBackendApiHighErrorRatio')],
            },
          ],
        },
        {
          interval: '1m',
          input_series: [
            {
              series: `http_request_duration_seconds_bucket{${ns},route="/api/v1/cryptocurrencies/",method="GET",status="200",le="0.5"}`,
              values: '0+1x40',
            },
            {
              series: `http_request_duration_seconds_bucket{${ns},route="/api/v1/cryptocurrencies/",method="GET",status="200",le="1"}`,
              values: '0+100x40',
            },
            {
              series: `http_request_duration_seconds_bucket{${ns},route="/api/v1/cryptocurrencies/",method="GET",status="200",le="+Inf"}`,
              values: '0+100x40',
            },
            {
              series: `http_request_duration_seconds_bucket{${ns},route="/livez",method="GET",status="200",le="+Inf"}`,
              values: '0+1000x40',
            },
          ],
          alert_rule_test: [
            {
              eval_time: '20m',
              alertname: 'TradingBackendApiHighLatencyP95',
              exp_alerts: [expected('TradingBackendApiHighLatencyP95')],
            },
          ],
        },
        {
          interval: '1m',
          input_series: [
            // A sync at t=0 and none after: stale once 1800 s have passed (+5m for).
            { series: `market_data_last_sync_timestamp_seconds{${ns},pod="worker-0"}`, values: '0x60' },
            { series: `bullmq_queue_jobs{${ns},queue="sync-markets",state="waiting"}`, values: '0+10x60' },
            { series: `bullmq_queue_jobs{${ns},queue="sync-markets",state="prioritized"}`, values: '0x60' },
            {
              series: `worker_jobs_total{${ns},queue="backfill-history",job="backfill-history",status="failed"}`,
              values: '0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1',
            },
            // Dead letters: none for 10 minutes, then one, then flat: an alert while it grew, none after.
            { series: `bullmq_queue_jobs{${ns},queue="dead-letter",state="waiting"}`, values: '0x10 1x50' },
            { series: `redis_memory_used_bytes{${ns},pod="worker-0"}`, values: '230000000x30' },
            { series: `redis_memory_max_bytes{${ns},pod="worker-0"}`, values: '256000000x30' },
          ],
          alert_rule_test: [
            { eval_time: '20m', alertname: 'TradingBackendMarketDataStale', exp_alerts: [] },
            {
              eval_time: '40m',
              alertname: 'TradingBackendMarketDataStale',
              exp_alerts: [expected('TradingBackendMarketDataStale')],
            },
            {
              eval_time: '40m',
              alertname: 'TradingBackendQueueBacklogGrowing',
              exp_alerts: [expected('TradingBackendQueueBacklogGrowing')],
            },
            {
              eval_time: '12m',
              alertname: 'TradingBackendJobsFailing',
              exp_alerts: [expected('TradingBackendJobsFailing', { queue: 'backfill-history' })],
            },
            {
              eval_time: '25m',
              alertname: 'TradingBackendRedisMemoryNearLimit',
              exp_alerts: [expected('TradingBackendRedisMemoryNearLimit')],
            },
            { eval_time: '20m', alertname: 'TradingBackendWorkerAbsent', exp_alerts: [] },
            {
              eval_time: '12m',
              alertname: 'TradingBackendDeadLetterGrowing',
              exp_alerts: [expected('TradingBackendDeadLetterGrowing')],
            },
            { eval_time: '40m', alertname: 'TradingBackendDeadLetterGrowing', exp_alerts: [] },
          ],
        },
        {
          interval: '1m',
          input_series: [
            { series: `http_requests_total{${ns},route="/",method="GET",status="200"}`, values: '0+1x30' },
          ],
          alert_rule_test: [
            {
              eval_time: '15m',
              alertname: 'TradingBackendWorkerAbsent',
              exp_alerts: [expected('TradingBackendWorkerAbsent', { namespace: NAMESPACE })],
            },
          ],
        },
      ],
    };
    const testFile = path.join(work, 'alerts.test.yaml');
    writeFileSync(testFile, stringify(tests));
    const result = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8' });
    withContext(result.stdout + result.stderr, () => expect(result.status).toBe(0));
  });
});

describe('a real Prometheus scraping the running API and worker', () => {
  let database: TTestDatabase;
  let prometheus: ChildProcess;
  let promUrl: string;
  const children: TChild[] = [];
  const endpoints: { api: string; worker: string } = { api: '', worker: '' };

  beforeAll(async () => {
    const config = testConfig();
    database = await createTestDatabase(config);
    await seedBundledData(database.db, { symbols: ['BTC', 'ETH'], history: 'month' });
    const [apiPort, workerPort, promPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: config.REDIS_URL,
      CACHE_REDIS_URL: config.CACHE_REDIS_URL ?? config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      MARKET_DATA_PROVIDER: 'replay',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    children.push(
      startProcess('api/main.ts', {
        ...env,
        PORT: String(apiPort),
        SYNC_RATE_LIMIT_PER_MINUTE: '1',
        BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com',
        BOOTSTRAP_ADMIN_PASSWORD: TEST_PASSWORD,
      }),
    );
    children.push(startProcess('worker/main.ts', { ...env, WORKER_PORT: String(workerPort) }));
    endpoints.api = `http://127.0.0.1:${apiPort}`;
    endpoints.worker = `http://127.0.0.1:${workerPort}`;
    await waitForStatus(`${endpoints.api}/readyz`);
    await waitForStatus(`${endpoints.worker}/readyz`);

    const target = (job: string, port: number, pod: string) => ({
      job_name: job,
      static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { namespace: NAMESPACE, pod } }],
    });
    const configFile = path.join(work, 'prometheus.yml');
    writeFileSync(
      configFile,
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [rulesFile],
        scrape_configs: [target('api', apiPort, 'api-0'), target('worker', workerPort, 'worker-0')],
      }),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(work, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    promUrl = `http://127.0.0.1:${promPort}`;
    await waitForStatus(`${promUrl}/-/ready`, 200, 30_000);

    const { headers } = await logIn(endpoints.api, 'ops@example.com');
    // A little real traffic: reads, a miss, a 404, a 400, a 429 and one sync job through the worker.
    for (let i = 0; i < 20; i += 1)
      await fetch(`${endpoints.api}/api/v1/cryptocurrencies/?limit=${1 + (i % 3)}`);
    await fetch(`${endpoints.api}/api/v1/cryptocurrencies/NOPE`);
    await fetch(`${endpoints.api}/api/v1/cryptocurrencies/?limit=-1`);
    const accepted = (await (
      await fetch(`${endpoints.api}/api/v1/cryptocurrencies/sync?limit=5`, { method: 'POST', headers })
    ).json()) as {
      status_url: string;
    };
    await fetch(`${endpoints.api}/api/v1/cryptocurrencies/sync?limit=5`, { method: 'POST', headers }); // 429: one per minute here
    for (let i = 0; i < 100; i += 1) {
      const status = (await (await fetch(`${endpoints.api}${accepted.status_url}`, { headers })).json()) as {
        state: string;
      };
      if (status.state === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Let Prometheus take a few scrapes so that rate() has two samples.
    for (let i = 0; i < 60; i += 1) {
      const found = await query(`count(rate(http_requests_total{namespace="${NAMESPACE}"}[1m]) > 0)`);
      if (found.length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    for (const child of children) {
      child.process.kill('SIGTERM');
      await child.exited;
    }
    await database.drop();
  });

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: any[] } };
    withContext(`${expr}: ${body.error}`, () => expect(body.status).toBe('success'));
    return body.data.result;
  }

  async function assertExported(names: string[], context: string): Promise<void> {
    for (const name of names) {
      const series = await query(`count({__name__="${name}",namespace="${NAMESPACE}"})`);
      withContext(`${context}: ${name} is exported by the API or worker`, () =>
        expect(series.length && Number(series[0]!.value[1]) > 0).toBeTruthy(),
      );
    }
  }

  test('When /metrics of the running API and worker are linted, then promtool check metrics passes', async () => {
    for (const url of [endpoints.api, endpoints.worker]) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      withContext(`${url}: ${result.stdout}${result.stderr}`, () => expect(result.status).toBe(0));
    }
  });

  test('When the HPA metric is computed as prometheus-adapter does, then the API pod has a request rate', async () => {
    const result = await query(HPA_QUERY);
    const api = result.find((sample) => sample.metric.pod === 'api-0');
    withContext(JSON.stringify(result), () => expect(api).toBeTruthy());
    expect(Number(api?.value[1])).toBeGreaterThan(0);
  });

  test('When the KEDA trigger query runs, then it returns the queue backlog', async () => {
    const result = await query(kedaQuery);
    expect(result.length).toBe(1);
    expect(Number.isFinite(Number(result[0]!.value[1]))).toBeTruthy();
  });

  test('When every alert expression runs, then it evaluates and each metric it reads is exported', async () => {
    for (const alert of rules) {
      await query(alert.expr);
      await assertExported(metricNames(alert.expr), alert.alert);
    }
    // Healthy system: the absence alert must not be true.
    expect((await query(rule('TradingBackendWorkerAbsent').expr)).length).toBe(0);
  });

  test('When every dashboard panel query runs, then it evaluates on exported metrics', async () => {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll('$namespace', NAMESPACE).replaceAll('$__rate_interval', '1m');
        await query(expr);
        await assertExported(metricNames(expr), panel.title);
      }
    }
  });

  test('When the rule groups are loaded by Prometheus, then they are healthy', async () => {
    const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { health: string; name: string }[] }[] };
    };
    const loaded = body.data.groups.flatMap((group) => group.rules);
    expect(loaded.length).toBe(8);
    for (const loadedRule of loaded)
      withContext(loadedRule.name, () => expect(loadedRule.health).not.toBe('err'));
  });
});
