// Where a cached answer's microseconds go: CPU time of the API's main thread per request under wrk, split
// into stages by sampling its stacks with perf (JavaScript frames named through --perf-basic-prof).
//   npm run bench -- --stages 7d1e3b8     the table for that commit ("before") and this checkout ("after")
// perf (Debian's linux-perf) must be installed and allowed to attach (root, or perf_event_paranoid <= 1).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { measureWrk, type TMeasure } from './http-bench.ts';

/**
 * Stages in the order a stack is read, from its innermost frame out: the first frame that names one
 * decides the sample's stage (a pino call inside the access log is the access log, the socket write
 * inside a handler is the socket write). Patterns match perf's frame names (`JS:*'name file:line`).
 */
export const STAGES: [string, RegExp][] = [
  ['idle (waiting in epoll)', /epoll_wait|epoll_pwait/],
  ['socket write (writev, TCP, wakes the client)', /writev|StreamBase::Write|DoTryWrite/],
  ['socket read and HTTP parse (llhttp)', /uv__read|llhttp|http_parser::Parser::Execute/],
  ['garbage collection', /Scavenger|MarkCompact|Heap::CollectGarbage|ScavengeObject/],
  ['access log', /pino|sonic-boom|logger\.ts|logAccess/],
  ['metrics (prom-client)', /prom-client|api\/http\/metrics\.ts/],
  ['rate limiter (lease or Redis round trip)', /rate-limit\.ts|redis-window-counter\.ts/],
  ['Redis client', /ioredis|redis-parser|cluster-key-slot/],
  ['security headers (helmet)', /helmet|security-headers\.ts/],
  ['CORS', /node_modules\/cors\//],
  ['request id and log context', /request-context\.ts|randomUUID|AsyncLocalStorage|async_context_frame/],
  ['validation (zod, remembered inputs)', /validate\.ts|node_modules\/zod\//],
  [
    'cache lookup and send',
    /response-cache\.ts|memory-entries\.ts|cache-send\.ts|encodings\.ts|cache-store\.ts/,
  ],
  ['replay (checks, headers)', /api\/http\/replay\.ts|data-version-watch\.ts/],
  [
    'response headers (node:http)',
    /_storeHeader|processHeader|writeHead|setHeader|validateHeader|checkInvalidHeaderChar/,
  ],
  [
    'Express routing and req/res setup',
    /node_modules\/(express|router|finalhandler|parseurl|qs|proxy-addr|forwarded)\//,
  ],
  ['promises and microtasks', /RunMicrotasks|PromiseFulfillReactionJob|processTicksAndRejections/],
];
const OTHER = 'node:http core and the rest';

/** Samples of the process's main thread per stage, from `perf script` output. */
export function classify(perfScript: string, mainTid: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const block of perfScript.split('\n\n')) {
    const [head, ...frames] = block.trim().split('\n');
    const ids = head ? /\s(\d+)\s+[\d.]+:/.exec(head) : null;
    if (!ids || Number(ids[1]) !== mainTid) continue;
    let stage = OTHER;
    for (const frame of frames) {
      const found = STAGES.find(([, pattern]) => pattern.test(frame));
      if (found) {
        stage = found[0];
        break;
      }
    }
    counts.set(stage, (counts.get(stage) ?? 0) + 1);
  }
  return counts;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds (user + system) the main thread of `pid` has used. */
export function mainThreadSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export type TStageRun = {
  measure: TMeasure;
  /** Main-thread CPU microseconds per request (wrk's warm-up second included in both terms' window). */
  microsPerRequest: number;
  /** Share of the main thread's samples per stage. */
  shares: Map<string, number>;
};

/** wrk on `url` while measuring the main thread of `pid`, then once more under perf for the split. */
export async function profileStages(
  url: string,
  pid: number,
  options: { seconds: number; headers?: Record<string, string> },
): Promise<TStageRun> {
  const before = mainThreadSeconds(pid);
  const started = Date.now();
  const measure = measureWrk(url, options);
  const cpu = mainThreadSeconds(pid) - before;
  // wrk ran 1 s of warm-up and then `seconds`: the requests of both at the measured rate.
  const requests = measure.rps * ((Date.now() - started) / 1000);
  const perfData = `/tmp/bench-stages-${pid}.data`;
  const recorder = spawn('perf', ['record', '-F', '1999', '-g', '-p', String(pid), '-o', perfData], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  measureWrk(url, { ...options, seconds: Math.min(options.seconds, 5) });
  recorder.kill('SIGINT');
  await new Promise((resolve) => recorder.on('exit', resolve));
  const script = execFileSync('perf', ['script', '-i', perfData], {
    encoding: 'utf8',
    maxBuffer: 1024 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const counts = classify(script, pid);
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const busy = total - (counts.get(STAGES[0]![0]) ?? 0);
  const shares = new Map([...counts].map(([stage, count]) => [stage, count / Math.max(1, busy)]));
  shares.delete(STAGES[0]![0]);
  return { measure, microsPerRequest: (cpu * 1e6) / requests, shares };
}

/** The table: µs per request of each stage (its share of the busy samples × the measured µs per request). */
export function stagesTable(columns: [string, TStageRun][]): string[] {
  const stages = [...STAGES.slice(1).map(([name]) => name), OTHER].filter((stage) =>
    columns.some(([, run]) => (run.shares.get(stage) ?? 0) >= 0.005),
  );
  const cell = (run: TStageRun, stage: string) =>
    (run.microsPerRequest * (run.shares.get(stage) ?? 0)).toFixed(1);
  return [
    `| stage | ${columns.map(([name]) => `${name}, µs/request`).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    ...stages.map((stage) => `| ${stage} | ${columns.map(([, run]) => cell(run, stage)).join(' | ')} |`),
    `| **main thread, total** | ${columns.map(([, run]) => `**${run.microsPerRequest.toFixed(1)}**`).join(' | ')} |`,
    `| req/s (wrk, 20 connections) | ${columns.map(([, run]) => run.measure.rps.toFixed(0)).join(' | ')} |`,
  ];
}
