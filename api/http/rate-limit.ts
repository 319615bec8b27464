import type { RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { TActor } from '../../core/platform/access/index.ts';
import { dataVersionKey } from '../../core/platform/cache/versions.ts';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';
import type { THttpMetrics } from './metrics.ts';
import { RedisWindowCounter } from './redis-window-counter.ts';

const WINDOW_MS = 60_000;

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
export function createRateLimiter(deps: { redis: Redis; keyPrefix: string; metrics: THttpMetrics }) {
  const { redis, keyPrefix, metrics } = deps;
  const shared = new RedisWindowCounter(redis, dataVersionKey(keyPrefix), WINDOW_MS);
  const memory = new MemoryWindows();

  async function hit(key: string, res: Response, cost: number): Promise<[number, number]> {
    const now = Date.now();
    if (redis.status === 'ready') {
      try {
        const { count, ttlMs, version } = await shared.hit(key, cost);
        // The response cache needs the current data version; the limiter's round trip read it.
        res.locals.cacheVersion = version;
        return [count, ttlMs > 0 ? ttlMs : WINDOW_MS];
      } catch {
        // fall through to memory: a limiter that fails every request would turn a Redis outage into an API outage
      }
    }
    metrics.rateLimitFallback.inc();
    return memory.hit(key, now, cost);
  }

  function setHeaders(res: Response, limit: number, count: number, resetMs: number): void {
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, limit - count)));
    res.setHeader('RateLimit-Reset', String(Math.ceil(resetMs / 1000)));
    res.setHeader('RateLimit-Policy', `${limit};w=${WINDOW_MS / 1000}`);
  }

  return {
    /**
     * Counts the request against `policy` for who is asking: the user when the request is authenticated
     * (a session and every key of the user share one budget, so more keys buy no more requests), the
     * client IP otherwise. An expensive route's request counts as its cost (res.locals.rateLimitCost, at
     * most the whole budget, so that it can pass in a fresh window). 429 problem with Retry-After when over.
     */
    limit(policy: TRateLimitPolicy): RequestHandler {
      return async (req, res, next) => {
        const actor = res.locals.actor;
        const principal =
          actor && actor.kind !== 'anonymous'
            ? `user:${actor.userId}`
            : `ip:${actor?.ip ?? req.ip ?? 'unknown'}`;
        const limit = typeof policy.limit === 'number' ? policy.limit : policy.limit(actor!);
        const windowId = Math.floor(Date.now() / WINDOW_MS);
        const key = `${keyPrefix}rl:${policy.name}:${principal}:${windowId}`;
        const priced = policy.priced ? (res.locals.rateLimitCost ?? 1) : 1;
        const cost = Math.min(limit, Math.max(1, priced));
        const [count, resetMs] = await hit(key, res, cost);
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
