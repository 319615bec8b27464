import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Leases of one user's open streams: a sorted set of stream ids scored by when each lease runs out.
// Taking one first drops those that ran out (a replica that died without releasing), then admits the
// stream only under the cap, in one step, so parallel opens on any replicas cannot pass it together.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export type TStreamLease = {
  /** Extends the lease; an open stream renews it well before it runs out. */
  renew(): Promise<void>;
  release(): Promise<void>;
};

/**
 * A cap on open streams per user across every API replica, kept in Redis as leases that the streams
 * renew while open and release when they end; a replica that dies leaves leases that run out after
 * `leaseMs`. Errors (Redis away) propagate from `acquire`: a stream needs Redis anyway.
 */
export function createStreamLeases(deps: { redis: Redis; keyPrefix: string; max: number; leaseMs: number }) {
  const { redis, max, leaseMs } = deps;
  return {
    max,
    /** A lease for one more stream of `userId`, or null when the user already has `max` open. */
    async acquire(userId: string): Promise<TStreamLease | null> {
      const key = `${deps.keyPrefix}streams:user:${userId}`;
      const id = randomUUID();
      const taken = await redis.eval(ACQUIRE, 1, key, Date.now(), leaseMs, max, id);
      if (taken !== 1) return null;
      return {
        async renew() {
          await redis
            .multi()
            .zadd(key, Date.now() + leaseMs, id)
            .pexpire(key, leaseMs)
            .exec()
            .catch(() => undefined);
        },
        async release() {
          await redis.zrem(key, id).catch(() => undefined);
        },
      };
    },
  };
}

export type TStreamLeases = ReturnType<typeof createStreamLeases>;
