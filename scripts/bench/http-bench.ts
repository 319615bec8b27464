import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';

export type TMeasure = {
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
};

/** Warm up, then measure one URL with autocannon (fixed connections, closed loop). */
export async function measure(
  url: string,
  options: {
    seconds?: number;
    connections?: number;
    warmup?: number;
    headers?: Record<string, string>;
    method?: 'GET' | 'POST';
    body?: string;
  } = {},
): Promise<TMeasure> {
  const run = (duration: number) =>
    new Promise<autocannon.Result>((resolve, reject) =>
      autocannon(
        {
          url,
          connections: options.connections ?? 20,
          duration,
          timeout: 10,
          headers: options.headers ?? {},
          method: options.method ?? 'GET',
          ...(options.body === undefined ? {} : { body: options.body }),
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      ),
    );
  await run(options.warmup ?? 2);
  const result = await run(options.seconds ?? 8);
  return {
    rps: result.requests.average,
    mean: result.latency.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const WRK_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/** wrk's "Latency  <avg> <stdev> <max>" line, in ms. */
function meanLatency(out: string): number {
  const match = /^\s+Latency\s+([\d.]+)(us|ms|s)/m.exec(out);
  return match ? Number(match[1]) * WRK_UNITS[match[2]!]! : NaN;
}

/**
 * The same measurement with wrk (Debian's package, one thread), for binary bodies: autocannon appends
 * every body chunk to a string, so compressed bytes pay a UTF-8 decode in the load generator and it,
 * not the server, sets the pace (6.5k req/s for 12 KB of brotli against 69k for 12 KB of JSON text).
 */
export function measureWrk(
  url: string,
  options: { seconds?: number; connections?: number; headers?: Record<string, string> } = {},
): TMeasure {
  const args = (seconds: number) => [
    '-t1',
    `-c${options.connections ?? 20}`,
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    url,
  ];
  execFileSync('wrk', args(1)); // warm-up
  const out = execFileSync('wrk', args(options.seconds ?? 8), { encoding: 'utf8' });
  const latency = (label: string) => {
    const match = new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s)$`, 'm').exec(out);
    return match ? Number(match[1]) * WRK_UNITS[match[2]!]! : NaN;
  };
  const count = (pattern: RegExp) => Number(pattern.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    mean: meanLatency(out),
    p50: latency('50%'),
    p99: latency('99%'),
    errors: socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0,
    non2xx: count(/Non-2xx or 3xx responses: (\d+)/),
  };
}
