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
 * (then `queued`, the renewal's) are already counted in Redis and belong to this process. `grant` is how
 * many the next call takes ahead; `renewing` while a call for more is out.
 */
type TLease = {
  next: number;
  last: number;
  queued: [number, number] | undefined;
  renewing: boolean;
  /** Hits that found the lease empty while its renewal was out: served from the renewal. */
  waiting: TWaiter[];
  grant: number;
  expiresAt: number;
  maxLease: number;
};

const available = (lease: TLease) =>
  Math.max(0, lease.last - lease.next + 1) + (lease.queued ? lease.queued[1] - lease.queued[0] + 1 : 0);

/** Spends `cost` of the lease's numbers (it must hold them); the last one is the hit's count. */
function spend(lease: TLease, cost: number): number {
  let need = cost;
  while (need > 0) {
    if (lease.next > lease.last && lease.queued) {
      [lease.next, lease.last] = lease.queued;
      lease.queued = undefined;
    }
    const taken = Math.min(need, lease.last - lease.next + 1);
    lease.next += taken;
    need -= taken;
  }
  return lease.next - 1;
}

/** Leases kept before expired windows' ones are swept. */
const SWEEP_AT = 10_000;

type TCounterRedis = Redis & {
  rateLimitHits(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<(string | number)[]>;
};

/**
 * Fixed-window request counts shared by every replica through Redis, with one round trip per batch
 * rather than per request, and with a lease, none for most requests. While a call is in flight, new
 * hits wait and go out together in the next call, one INCRBY per key for all of them: under load a batch carries many requests, and when idle
 * a hit goes out at once (after the current I/O phase, so requests parsed together share it). The
 * counts stay exact: a key's increment is atomic, and its waiters take the counts it covered, each as
 * many as its cost.
 *
 * A busy key leases counts ahead (`maxLease` per call at most, growing from none by doubling while the
 * key keeps using them up): the call adds the lease to its increment, and the following requests take
 * their numbers from it in this process, with no round trip (`take`); a lease half spent is renewed in
 * the background. Every number is still handed out
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
    const renewing = this.leases.get(key);
    if (renewing?.renewing && renewing.grant >= cost)
      return new Promise((resolve, reject) => renewing.waiting.push({ cost, resolve, reject }));
    // What is left of a lease too short for this hit is spent on it first: the call asks for the rest.
    let shortfall = cost;
    const lease = this.leases.get(key);
    if (lease && lease.expiresAt > Date.now()) {
      shortfall -= available(lease);
      lease.next = lease.last + 1;
      lease.queued = undefined;
    }
    if (maxLease > 0) {
      if (lease) lease.maxLease = maxLease;
      else
        this.leases.set(key, {
          next: 1,
          last: 0,
          queued: undefined,
          renewing: false,
          waiting: [],
          grant: 0,
          expiresAt: Date.now() + this.windowMs,
          maxLease,
        });
    }
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ cost: shortfall, resolve, reject });
      else this.pending.set(key, [{ cost: shortfall, resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** The hit's count from this process's lease on `key`, without a round trip; undefined when it has too few. */
  take(key: string, cost = 1): TWindowHit | undefined {
    const lease = this.leases.get(key);
    if (!lease || available(lease) < cost) return undefined;
    const now = Date.now();
    if (lease.expiresAt <= now) {
      this.leases.delete(key);
      return undefined;
    }
    const count = spend(lease, cost);
    // Renewed at half, so that a busy key's requests do not find it empty and wait for a round trip.
    if (!lease.renewing && available(lease) <= lease.grant / 2) {
      lease.renewing = true;
      if (!this.pending.has(key)) this.pending.set(key, []);
      this.schedule();
    }
    return { count, ttlMs: lease.expiresAt - now };
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

  /** The lease's call is back: the hits that waited on it take their numbers now (or ask again). */
  private renewed(key: string, lease: TLease, version: string): void {
    lease.renewing = false;
    for (const waiter of lease.waiting.splice(0)) {
      const taken = this.take(key, waiter.cost);
      if (taken) waiter.resolve({ ...taken, version });
      else this.hit(key, waiter.cost, lease.maxLease).then(waiter.resolve, waiter.reject);
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
      for (const [key, waiters] of entries) {
        const lease = this.leases.get(key);
        if (lease) lease.renewing = false;
        for (const waiter of [...waiters, ...(lease?.waiting.splice(0) ?? [])]) waiter.reject(error);
      }
      return;
    }
    const version = String(reply[0]);
    entries.forEach(([, waiters], index) => {
      const total = Number(reply[1 + 2 * index]);
      const ttlMs = Number(reply[2 + 2 * index]);
      const lease = this.leases.get(entries[index]![0]);
      if (lease && ahead[index]! > 0 && ttlMs > 0) {
        const range: [number, number] = [total - ahead[index]! + 1, total];
        if (lease.next > lease.last) [lease.next, lease.last] = range;
        else lease.queued = range;
        lease.expiresAt = Date.now() + ttlMs;
      }
      if (lease) this.renewed(entries[index]![0], lease, version);
      let count = total - ahead[index]! - waiters.reduce((sum, waiter) => sum + waiter.cost, 0);
      for (const waiter of waiters) {
        count += waiter.cost;
        waiter.resolve({ count, ttlMs, version });
      }
    });
  }
}
