import type { RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { TActor } from '../../core/platform/access/index.ts';
import { dataVersionKey } from '../../core/platform/cache/versions.ts';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';
import type { DataVersionWatch } from './data-version-watch.ts';
import type { THttpMetrics } from './metrics.ts';
import { RedisWindowCounter } from './redis-window-counter.ts';

const WINDOW_MS = 60_000;
/** A lease is at most this many requests, and at most 1/LEASE_SHARE of a budget (redis-window-counter.ts). */
const MAX_LEASE = 256;
const LEASE_SHARE = 32;
const leaseFor = (limit: number) => Math.min(MAX_LEASE, Math.floor(limit / LEASE_SHARE));

type TWindow = { count: number; resetAt: number };

/**
 * A named budget per minute: a number for everyone, or one that depends on who is asking (per-role
 * quotas). A `priced` policy counts each request as its route's cost (the default budget is priced).
 */
export type TRateLimitPolicy = {
  name: string;
  limit: number | ((actor: TActor) => number);
  priced?: boolean;
};

/** The RateLimit-* headers (IETF draft) of a request that is `count`th in its window, as name/value pairs. */
export function rateLimitHeaders(limit: number, count: number, resetMs: number): string[] {
  return [
    'RateLimit-Limit',
    String(limit),
    'RateLimit-Remaining',
    String(Math.max(0, limit - count)),
    'RateLimit-Reset',
    String(Math.ceil(resetMs / 1000)),
    'RateLimit-Policy',
    `${limit};w=${WINDOW_MS / 1000}`,
  ];
}

/** Process-local counting for when Redis is away: each replica then limits on its own. */
class MemoryWindows {
  private readonly windows = new Map<string, TWindow>();

  hit(key: string, now: number, cost: number): [number, number] {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (this.windows.size > 50_000) this.sweep(now);
      window = { count: 0, resetAt: now + WINDOW_MS - (now % WINDOW_MS) };
      this.windows.set(key, window);
    }
    window.count += cost;
    return [window.count, window.resetAt - now];
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

/**
 * Fixed one-minute window per client and policy, counted in Redis so that every API replica sees the
 * same count (falling back to process memory while Redis is away).
 */
export type TRateLimiter = ReturnType<typeof createRateLimiter>;

export function createRateLimiter(deps: {
  redis: Redis;
  keyPrefix: string;
  metrics: THttpMetrics;
  /** Told of the data version each round trip reads (data-version-watch.ts). */
  versions?: Pick<DataVersionWatch, 'epoch' | 'observe'>;
}) {
  const { redis, keyPrefix, metrics, versions } = deps;
  const shared = new RedisWindowCounter(redis, dataVersionKey(keyPrefix), WINDOW_MS);
  const memory = new MemoryWindows();

  async function hit(key: string, res: Response, cost: number, limit: number): Promise<[number, number]> {
    const now = Date.now();
    if (redis.status === 'ready') {
      try {
        const epoch = versions?.epoch ?? 0;
        const { count, ttlMs, version } = await shared.hit(key, cost, leaseFor(limit));
        // The response cache needs the current data version; a round trip of the limiter reads it.
        if (version !== undefined) {
          res.locals.cacheVersion = version;
          versions?.observe(version, epoch);
        }
        return [count, ttlMs > 0 ? ttlMs : WINDOW_MS];
      } catch {
        // fall through to memory: a limiter that fails every request would turn a Redis outage into an API outage
      }
    }
    metrics.rateLimitFallback.inc();
    return memory.hit(key, now, cost);
  }

  function setHeaders(res: Response, limit: number, count: number, resetMs: number): void {
    const headers = rateLimitHeaders(limit, count, resetMs);
    for (let index = 0; index < headers.length; index += 2)
      res.setHeader(headers[index]!, headers[index + 1]!);
  }

  // Who spends the budget: the user when the request is authenticated (a session and every key of the
  // user share one budget, so more keys buy no more requests), the client IP otherwise.
  const principalOf = (actor: TActor | undefined, ip: string | undefined) =>
    actor && actor.kind !== 'anonymous' ? `user:${actor.userId}` : `ip:${actor?.ip ?? ip ?? 'unknown'}`;
  const limitOf = (policy: TRateLimitPolicy, actor: TActor) =>
    typeof policy.limit === 'number' ? policy.limit : policy.limit(actor);
  // An expensive route's request counts as its cost, at most the whole budget (so it can pass in a fresh window).
  const costOf = (policy: TRateLimitPolicy, limit: number, routeCost: number | undefined) =>
    Math.min(limit, Math.max(1, policy.priced ? (routeCost ?? 1) : 1));
  const keyOf = (policy: string, principal: string) =>
    `${keyPrefix}rl:${policy}:${principal}:${Math.floor(Date.now() / WINDOW_MS)}`;

  return {
    /**
     * The count of one more request of `principal` under `policy` from this process's lease, with no
     * round trip; undefined when the lease is short or the request would be refused (the middleware
     * then decides, and answers a refusal). For the cached-answer replay (replay.ts).
     */
    takeLeased(
      policy: TRateLimitPolicy,
      actor: TActor,
      cost: number,
    ): { limit: number; count: number; resetMs: number } | undefined {
      if (redis.status !== 'ready') return undefined;
      const limit = limitOf(policy, actor);
      const taken = shared.take(
        keyOf(policy.name, principalOf(actor, undefined)),
        costOf(policy, limit, cost),
      );
      if (!taken || taken.count > limit) return undefined;
      return { limit, count: taken.count, resetMs: taken.ttlMs };
    },

    /**
     * Counts the request against `policy` for who is asking: the user when the request is authenticated
     * (a session and every key of the user share one budget, so more keys buy no more requests), the
     * client IP otherwise. An expensive route's request counts as its cost (res.locals.rateLimitCost, at
     * most the whole budget, so that it can pass in a fresh window). 429 problem with Retry-After when over.
     */
    limit(policy: TRateLimitPolicy): RequestHandler {
      return async (req, res, next) => {
        const actor = res.locals.actor;
        const limit = limitOf(policy, actor!);
        const key = keyOf(policy.name, principalOf(actor, req.ip));
        const cost = costOf(policy, limit, res.locals.rateLimitCost);
        const leased = redis.status === 'ready' ? shared.take(key, cost) : undefined;
        const [count, resetMs] = leased ? [leased.count, leased.ttlMs] : await hit(key, res, cost, limit);
        setHeaders(res, limit, count, resetMs);
        if (count <= limit) {
          next();
          return;
        }
        metrics.rateLimited.inc({ policy: policy.name });
        res.setHeader('Retry-After', String(Math.ceil(resetMs / 1000)));
        next(
          new AppError(ErrorCode.RateLimited, {
            detail: `Rate limit of ${limit} requests per minute exceeded${cost > 1 ? ` (this request costs ${cost})` : ''}; retry in ${Math.ceil(resetMs / 1000)} s.`,
          }),
        );
      };
    },
  };
}
