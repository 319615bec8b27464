// The tracing rows of docs/benchmarks.md (issue #26): the cached listing with OpenTelemetry off (the
// preload loaded, no endpoint), on at 10 % and on at 100 % sampling, against the bare node:http baseline
// and the API started without the preload, all measured in turns in one run (wrk, one thread). The spans
// go to a local sink that drops them (scripts/bench/otlp-sink.ts), so the figures are the API's own cost.
import path from 'node:path';
import type { TMeasure } from './http-bench.ts';

type TDeps = {
  log: (text: string) => void;
  rounds: number;
  seconds: number;
  listing: string;
  /** The API (production mode) with these variables and node arguments; its base URL. */
  startApi: (extra: Record<string, string>, nodeArgs: string[]) => Promise<string>;
  /** The bare node:http server answering the bytes of `url`; its port. */
  startBare: (url: string) => Promise<number>;
  /** A script of this folder as a process on a free port; its base URL. */
  startScript: (script: string) => Promise<string>;
  measure: (url: string, seconds: number) => TMeasure;
  row: (name: string, m: TMeasure, base?: TMeasure) => string;
  medianOf: (list: TMeasure[]) => TMeasure;
};

const fmt = (value: number, digits = 1) => value.toFixed(digits);

export async function tracingSection(deps: TDeps): Promise<string[]> {
  deps.log('tracing …');
  const root = path.resolve(import.meta.dirname, '..', '..');
  const preload = ['--import', path.join(root, 'core/platform/tracing/register.ts')];
  const sink = await deps.startScript('otlp-sink.ts');
  const on = (ratio: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: sink, OTEL_TRACES_SAMPLER_ARG: ratio });
  const plain = await deps.startApi({}, []);
  const off = await deps.startApi({}, preload);
  const tenth = await deps.startApi(on('0.1'), preload);
  const all = await deps.startApi(on('1'), preload);
  const barePort = await deps.startBare(`${plain}${deps.listing}`);
  const targets: [string, string][] = [
    [`bare node:http, same bytes (baseline)`, `http://127.0.0.1:${barePort}/`],
    ['cached listing, no tracing preload', `${plain}${deps.listing}`],
    ['cached listing, tracing off (preload, no endpoint)', `${off}${deps.listing}`],
    ['cached listing, tracing on, 10 % sampled', `${tenth}${deps.listing}`],
    ['cached listing, tracing on, 100 % sampled', `${all}${deps.listing}`],
  ];
  const runs: TMeasure[][] = targets.map(() => []);
  for (let round = 0; round < deps.rounds; round += 1)
    for (const [index, [, url]] of targets.entries()) runs[index]!.push(deps.measure(url, deps.seconds));
  const results = runs.map(deps.medianOf);
  const baseline = results[0]!;
  const stats = (await (await fetch(`${sink}/stats`)).json()) as { exports: number; bytes: number };
  const share = (index: number) => fmt((results[index]!.rps / results[1]!.rps) * 100, 0);
  return [
    '## Tracing (OpenTelemetry)',
    '',
    `The cached listing \`?limit=100\` (20 connections, wrk with one thread) on four API processes started side by side:`,
    'without the tracing preload, with it but no `OTEL_EXPORTER_OTLP_ENDPOINT` (tracing off: nothing of the SDK is',
    'loaded), and with an endpoint at `OTEL_TRACES_SAMPLER_ARG` 0.1 and 1. Each row is the median of',
    `${deps.rounds} rounds of ${deps.seconds} s taken in turns with the bare node:http baseline. The spans (server, route handler,`,
    `Redis) go to a local OTLP/HTTP sink that drops them (${stats.exports} exports, ${fmt(stats.bytes / 2 ** 20, 1)} MiB in this run), so this is the`,
    "API's own cost: making, encoding and sending spans.",
    '',
    '| what | req/s | p50 ms | p99 ms | % of baseline req/s | p99 vs baseline | errors |',
    '|---|---|---|---|---|---|---|',
    ...targets.map(([name], index) => deps.row(name, results[index]!, baseline)),
    '',
    `Relative to the API without the preload: tracing off keeps **${share(2)}%** of its throughput, on at 10 % **${share(3)}%**,`,
    `on at 100 % **${share(4)}%**.`,
    '',
  ];
}
