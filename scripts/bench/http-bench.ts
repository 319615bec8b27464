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
  options: { seconds?: number; connections?: number; warmup?: number } = {},
): Promise<TMeasure> {
  const run = (duration: number) =>
    new Promise<autocannon.Result>((resolve, reject) =>
      autocannon({ url, connections: options.connections ?? 20, duration, timeout: 10 }, (error, result) =>
        error ? reject(error) : resolve(result),
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
