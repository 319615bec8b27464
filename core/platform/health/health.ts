import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';

export type TCheck = { status: 'up' | 'down'; latency_ms: number; error?: string };

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);

async function timed(probe: () => Promise<unknown>, timeoutMs: number): Promise<TCheck> {
  const started = performance.now();
  try {
    await withTimeout(probe(), timeoutMs);
    return { status: 'up', latency_ms: round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'down',
      latency_ms: round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function checkDatabase(db: DataSource, timeoutMs = 1000): Promise<TCheck> {
  return timed(async () => {
    if (!db.isInitialized) throw new Error('not connected');
    await db.query('SELECT 1');
  }, timeoutMs);
}

export function checkRedis(redis: Redis, timeoutMs = 1000): Promise<TCheck> {
  return timed(async () => {
    if (redis.status !== 'ready') throw new Error(`connection ${redis.status}`);
    await redis.ping();
  }, timeoutMs);
}

/**
 * Whether every migration this code knows has been applied: a pod must not take traffic on a schema
 * that is not there yet (with CloudNativePG the migrate hook may run after the first pods start).
 * Once current it stays current for this process, so later probes cost nothing.
 */
export function createSchemaCheck(db: DataSource, timeoutMs = 1000) {
  let current = false;
  return (): Promise<TCheck> =>
    current
      ? Promise.resolve({ status: 'up', latency_ms: 0 })
      : timed(async () => {
          if (!db.isInitialized) throw new Error('not connected');
          if (await db.showMigrations()) throw new Error('migrations not applied yet');
          current = true;
        }, timeoutMs);
}
