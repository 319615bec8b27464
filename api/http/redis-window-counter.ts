import type { Redis } from 'ioredis';
import { freshVersion } from '../../core/platform/cache/versions.ts';

// Every key of one batch is counted in one atomic script: INCRBY by the cost of the requests waiting on
// that key (1 each, more for expensive routes), PEXPIRE when the batch created the window, PTTL. The
// market-data version rides along (the response cache needs it, and reading it here saves it a round
// trip); when the cache store has none (never set, or evicted) the script seeds the fresh token passed
// last. Reply: [version, count1, ttl1, count2, ttl2, …].
const HITS_SCRIPT = `
local version = redis.call('GET', KEYS[1])
if not version then
  version = ARGV[#KEYS + 1]
  redis.call('SET', KEYS[1], version)
end
local out = {version}
for i = 2, #KEYS do
  local n = tonumber(ARGV[i])
  local count = redis.call('INCRBY', KEYS[i], n)
  if count == n then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
  out[#out + 1] = count
  out[#out + 1] = redis.call('PTTL', KEYS[i])
end
return out`;

/** Keys per script call: bounds how long one call holds Redis (a script blocks every other client). */
const MAX_KEYS_PER_CALL = 256;

export type TWindowHit = { count: number; ttlMs: number; version: string };

type TWaiter = { cost: number; resolve: (hit: TWindowHit) => void; reject: (error: unknown) => void };

type TCounterRedis = Redis & {
  rateLimitHits(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<(string | number)[]>;
};

/**
 * Fixed-window request counts shared by every replica through Redis, with one round trip per batch
 * rather than per request. While a call is in flight, new hits wait and go out together in the next
 * call, one INCRBY per key for all of them: under load a batch carries many requests, and when idle
 * a hit goes out at once (after the current I/O phase, so requests parsed together share it). The
 * counts stay exact: a key's increment is atomic, and its waiters take the counts it covered, each as
 * many as its cost.
 */
export class RedisWindowCounter {
  private pending = new Map<string, TWaiter[]>();
  private inFlight = false;
  private scheduled = false;
  private readonly redis: TCounterRedis;
  private readonly versionKey: string;
  private readonly windowMs: number;

  constructor(redis: Redis, versionKey: string, windowMs: number) {
    this.versionKey = versionKey;
    this.windowMs = windowMs;
    // EVALSHA of a script Redis has cached, rather than the script text with every call.
    if (!('rateLimitHits' in redis)) redis.defineCommand('rateLimitHits', { lua: HITS_SCRIPT });
    this.redis = redis as TCounterRedis;
  }

  /**
   * Counts one request of `cost` units in `key`'s window; its count is the window's total including it.
   * Rejects when Redis fails (the caller falls back).
   */
  hit(key: string, cost = 1): Promise<TWindowHit> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ cost, resolve, reject });
      else this.pending.set(key, [{ cost, resolve, reject }]);
      if (!this.inFlight && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.inFlight = true;
    const entries = [...batch];
    try {
      const calls: Promise<void>[] = [];
      for (let start = 0; start < entries.length; start += MAX_KEYS_PER_CALL) {
        calls.push(this.call(entries.slice(start, start + MAX_KEYS_PER_CALL)));
      }
      await Promise.all(calls);
    } finally {
      this.inFlight = false;
      if (this.pending.size > 0) void this.flush();
    }
  }

  private async call(entries: [string, TWaiter[]][]): Promise<void> {
    let reply: (string | number)[];
    try {
      reply = await this.redis.rateLimitHits(
        entries.length + 1,
        this.versionKey,
        ...entries.map(([key]) => key),
        this.windowMs,
        ...entries.map(([, waiters]) => waiters.reduce((sum, waiter) => sum + waiter.cost, 0)),
        freshVersion(),
      );
    } catch (error) {
      for (const [, waiters] of entries) for (const waiter of waiters) waiter.reject(error);
      return;
    }
    const version = String(reply[0]);
    entries.forEach(([, waiters], index) => {
      const total = Number(reply[1 + 2 * index]);
      const ttlMs = Number(reply[2 + 2 * index]);
      let count = total - waiters.reduce((sum, waiter) => sum + waiter.cost, 0);
      for (const waiter of waiters) {
        count += waiter.cost;
        waiter.resolve({ count, ttlMs, version });
      }
    });
  }
}
