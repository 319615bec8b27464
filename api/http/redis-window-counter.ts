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

/** A hit's count in its window and the window's time left; `version` when it was read from Redis. */
export type TWindowHit = { count: number; ttlMs: number; version?: string };

type TWaiter = { cost: number; resolve: (hit: TWindowHit) => void; reject: (error: unknown) => void };

/**
 * Counts this process took from Redis ahead of need, for one key: the numbers `next..last` of its window
 * are already counted in Redis and belong to this process. `grant` is how many the next call takes ahead.
 */
type TLease = { next: number; last: number; grant: number; expiresAt: number; maxLease: number };

/** Leases kept before expired windows' ones are swept. */
const SWEEP_AT = 10_000;

type TCounterRedis = Redis & {
  rateLimitHits(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<(string | number)[]>;
};

/**
 * Fixed-window request counts shared by every replica through Redis, with one round trip per batch
 * rather than per request, and with a lease, none for most requests. While a call is in flight, new hits wait and go out together in the next
 * call, one INCRBY per key for all of them: under load a batch carries many requests, and when idle
 * a hit goes out at once (after the current I/O phase, so requests parsed together share it). The
 * counts stay exact: a key's increment is atomic, and its waiters take the counts it covered, each as
 * many as its cost.
 *
 * A busy key leases counts ahead (`maxLease` per call at most, growing from none by doubling while the
 * key keeps using them up): the call adds the lease to its increment, and the following requests take
 * their numbers from it in this process, with no round trip (`take`). Every number is still handed out
 * once across replicas, so no window ever admits more than its limit; what a lease costs is the other
 * way: a client whose requests go to R replicas can be refused up to (R - 1) × maxLease requests early,
 * while other replicas hold numbers it has not used. A lease ends with its window.
 */
export class RedisWindowCounter {
  private pending = new Map<string, TWaiter[]>();
  private readonly leases = new Map<string, TLease>();
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
  hit(key: string, cost = 1, maxLease = 0): Promise<TWindowHit> {
    const taken = this.take(key, cost);
    if (taken) return Promise.resolve(taken);
    // What is left of a lease too short for this hit is spent on it first: the call asks for the rest.
    let shortfall = cost;
    const lease = this.leases.get(key);
    if (lease && lease.expiresAt > Date.now()) {
      shortfall -= Math.max(0, lease.last - lease.next + 1);
      lease.next = lease.last + 1;
    }
    if (maxLease > 0) {
      if (lease) lease.maxLease = maxLease;
      else
        this.leases.set(key, { next: 1, last: 0, grant: 0, expiresAt: Date.now() + this.windowMs, maxLease });
    }
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ cost: shortfall, resolve, reject });
      else this.pending.set(key, [{ cost: shortfall, resolve, reject }]);
      if (!this.inFlight && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  /** The hit's count from this process's lease on `key`, without a round trip; undefined when it has too few. */
  take(key: string, cost = 1): TWindowHit | undefined {
    const lease = this.leases.get(key);
    if (!lease || lease.last - lease.next + 1 < cost) return undefined;
    const now = Date.now();
    if (lease.expiresAt <= now) {
      this.leases.delete(key);
      return undefined;
    }
    lease.next += cost;
    return { count: lease.next - 1, ttlMs: lease.expiresAt - now };
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    if (this.leases.size > SWEEP_AT) this.sweep();
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

  private sweep(): void {
    const now = Date.now();
    for (const [key, lease] of this.leases) if (lease.expiresAt <= now) this.leases.delete(key);
  }

  private async call(entries: [string, TWaiter[]][]): Promise<void> {
    // What each key takes ahead: double its last lease while it uses them up, within its bound.
    const ahead = entries.map(([key]) => {
      const lease = this.leases.get(key);
      if (!lease) return 0;
      lease.grant = Math.min(lease.maxLease, Math.max(1, lease.grant * 2));
      return lease.grant;
    });
    let reply: (string | number)[];
    try {
      reply = await this.redis.rateLimitHits(
        entries.length + 1,
        this.versionKey,
        ...entries.map(([key]) => key),
        this.windowMs,
        ...entries.map(
          ([, waiters], index) => waiters.reduce((sum, waiter) => sum + waiter.cost, 0) + ahead[index]!,
        ),
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
      const lease = this.leases.get(entries[index]![0]);
      if (lease && ahead[index]! > 0 && ttlMs > 0) {
        lease.next = total - ahead[index]! + 1;
        lease.last = total;
        lease.expiresAt = Date.now() + ttlMs;
      }
      let count = total - ahead[index]! - waiters.reduce((sum, waiter) => sum + waiter.cost, 0);
      for (const waiter of waiters) {
        count += waiter.cost;
        waiter.resolve({ count, ttlMs, version });
      }
    });
  }
}
