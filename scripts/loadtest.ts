// npm run loadtest -- <smoke|load|stress|spike|soak> [--scale 0.25] [--base-url http://localhost:8000]
// API_KEY=tbk_… (with jobs:trigger) authenticates the endpoints that need it.
// Drives the scenarios of load-tests/scenarios.json (the file the k6 scripts read) with autocannon
// against a running system, and checks the same thresholds. Exits 1 when a threshold fails.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { TScenarioConfig, TStage } from '../load-tests/scenarios.types.ts';

type TSamples = { latencies: number[]; failed: number; total: number };

const config = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '..', 'load-tests', 'scenarios.json'), 'utf8'),
) as TScenarioConfig;
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { scale: { type: 'string', default: '1' }, 'base-url': { type: 'string' } },
});
const name = positionals[0] ?? 'smoke';
const scale = Number(values.scale);
const baseUrl = (values['base-url'] ?? process.env.BASE_URL ?? 'http://localhost:8000').replace(/\/$/, '');
const apiKey = process.env.API_KEY;
const headersFor = (endpoint: { auth?: boolean }): Record<string, string> =>
  endpoint.auth && apiKey ? { authorization: `Bearer ${apiKey}` } : {};
if (!apiKey && config.endpoints.some((endpoint) => endpoint.auth)) {
  process.stderr.write('API_KEY is not set: endpoints that need credentials (sync) will answer 401\n');
}
const scenario = config.scenarios[name];
if (!scenario) {
  process.stderr.write(
    `unknown scenario "${name}"; choose one of ${Object.keys(config.scenarios).join(', ')}\n`,
  );
  process.exit(2);
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
const limitFor = (table: Record<string, number>, tag: string) => table[tag] ?? table.default!;

async function smoke(): Promise<Map<string, TSamples>> {
  const results = new Map<string, TSamples>();
  let checksFailed = 0;
  for (const endpoint of [...config.endpoints, ...config.smokeOnly]) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}${endpoint.path}`, {
      method: endpoint.method,
      headers: headersFor(endpoint),
    });
    const elapsed = performance.now() - started;
    const text = await response.text();
    const statusOk = endpoint.expect.includes(response.status);
    let shapeOk = true;
    if (endpoint.body && response.status < 300)
      shapeOk = (JSON.parse(text) as Record<string, unknown>)[endpoint.body] !== undefined;
    if (!statusOk || !shapeOk) {
      checksFailed += 1;
      process.stdout.write(
        `  ✗ ${endpoint.tag}: ${response.status} ${shapeOk ? '' : `(no "${endpoint.body}" in body)`}\n`,
      );
    }
    results.set(endpoint.tag, { latencies: [elapsed], failed: statusOk ? 0 : 1, total: 1 });
  }
  if (checksFailed) process.exitCode = 1;
  return results;
}

/** One autocannon instance per endpoint, at its share of the stage's arrival rate, all in parallel. */
async function stage(rate: number, seconds: number, results: Map<string, TSamples>): Promise<void> {
  const weights = config.endpoints.reduce((sum, endpoint) => sum + (endpoint.weight ?? 0), 0);
  await Promise.all(
    config.endpoints.map(
      (endpoint) =>
        new Promise<void>((resolve, reject) => {
          const share = (rate * (endpoint.weight ?? 0)) / weights;
          if (share <= 0 || seconds <= 0) return resolve();
          const samples = results.get(endpoint.tag) ?? { latencies: [], failed: 0, total: 0 };
          results.set(endpoint.tag, samples);
          const instance = autocannon(
            {
              url: `${baseUrl}${endpoint.path}`,
              method: endpoint.method,
              headers: headersFor(endpoint),
              connections: Math.max(1, Math.min(50, Math.ceil(share / 10))),
              overallRate: Math.max(1, Math.round(share)),
              duration: seconds,
              timeout: 10,
            },
            (error, result) => {
              if (error) return reject(error);
              samples.failed += result.errors + result.timeouts;
              samples.total += result.errors + result.timeouts;
              resolve();
            },
          );
          instance.on('response', (_client, status, _bytes, responseTime) => {
            samples.total += 1;
            samples.latencies.push(responseTime);
            if (!endpoint.expect.includes(status)) samples.failed += 1;
          });
        }),
    ),
  );
}

async function arrival(stages: TStage[]): Promise<Map<string, TSamples>> {
  const results = new Map<string, TSamples>();
  let previous = 0;
  for (const { duration, target } of stages) {
    // Ramps are approximated by steps of at most 10 s at the mean rate of each step.
    const seconds = Math.max(1, Math.round(duration * scale));
    const steps = Math.max(1, Math.ceil(seconds / 10));
    for (let step = 0; step < steps; step += 1) {
      const from = previous + ((target - previous) * step) / steps;
      const to = previous + ((target - previous) * (step + 1)) / steps;
      await stage((from + to) / 2, Math.round(seconds / steps), results);
    }
    previous = target;
  }
  return results;
}

const started = performance.now();
process.stdout.write(`${name} against ${baseUrl}${scale !== 1 ? ` (durations × ${scale})` : ''}\n`);
const results = scenario.kind === 'iterations' ? await smoke() : await arrival(scenario.stages);
const seconds = (performance.now() - started) / 1000;

let failures = 0;
let requests = 0;
const rows: string[] = [];
for (const [tag, samples] of results) {
  const sorted = [...samples.latencies].sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(sorted, p));
  const p95Limit = limitFor(config.thresholds.p95_ms, tag);
  const p99Limit = limitFor(config.thresholds.p99_ms, tag);
  const ok = scenario.kind === 'iterations' || (p95! < p95Limit && p99! < p99Limit);
  failures += samples.failed;
  requests += samples.total;
  if (!ok) process.exitCode = 1;
  rows.push(
    `| ${tag} | ${samples.total} | ${p50!.toFixed(1)} | ${p95!.toFixed(1)} (< ${p95Limit}) | ${p99!.toFixed(1)} (< ${p99Limit}) | ${samples.failed} | ${ok ? 'pass' : 'FAIL'} |`,
  );
}
const errorRate = requests ? failures / requests : 0;
if (errorRate >= config.thresholds.http_req_failed) process.exitCode = 1;
process.stdout.write(
  [
    '',
    '| endpoint | requests | p50 ms | p95 ms | p99 ms | failed | thresholds |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `throughput ${(requests / seconds).toFixed(1)} req/s over ${seconds.toFixed(1)} s; error rate ${(errorRate * 100).toFixed(2)}% (< ${config.thresholds.http_req_failed * 100}%)`,
    `result: ${process.exitCode ? 'FAIL' : 'PASS'}`,
    '',
  ].join('\n'),
);
