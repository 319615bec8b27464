import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';

export type TLoginLimits = { perAccount: number; perIp: number; windowSeconds: number };

type TCounter = { count: number; resetAt: number };

/**
 * Failed logins counted per account and per client IP over a fixed window, shared by every replica
 * through Redis (process memory while Redis is away). Past either limit, logins answer 429 with
 * Retry-After until the window ends; a success clears the account's count. Per account stops a slow
 * guess at one password; per IP stops one client trying many accounts (credential stuffing).
 */
export function createLoginLimiter(deps: { redis: Redis; keyPrefix: string; limits: TLoginLimits }) {
  const { redis, limits } = deps;
  const memory = new Map<string, TCounter>();
  // Emails are hashed: Redis keys should not hold personal data.
  const accountKey = (email: string) =>
    `${deps.keyPrefix}auth:fail:account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
  const ipKey = (ip: string) => `${deps.keyPrefix}auth:fail:ip:${ip}`;

  async function counts(keys: string[]): Promise<TCounter[]> {
    try {
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.get(key).pttl(key);
      const results = (await pipeline.exec())!;
      return keys.map((_, index) => ({
        count: Number(results[2 * index]![1] ?? 0),
        resetAt: Date.now() + Math.max(0, Number(results[2 * index + 1]![1])),
      }));
    } catch {
      return keys.map((key) => {
        const counter = memory.get(key);
        return counter && counter.resetAt > Date.now() ? counter : { count: 0, resetAt: Date.now() };
      });
    }
  }

  return {
    /** Throws the 429 when the account or the IP is over its limit. */
    async check(email: string, ip: string): Promise<void> {
      const [account, address] = await counts([accountKey(email), ipKey(ip)]);
      const over = [
        account!.count >= limits.perAccount ? account! : null,
        address!.count >= limits.perIp ? address! : null,
      ].filter((counter): counter is TCounter => counter !== null);
      if (!over.length) return;
      const retryAfter = Math.max(
        1,
        Math.ceil((Math.max(...over.map((counter) => counter.resetAt)) - Date.now()) / 1000),
      );
      throw new AppError(ErrorCode.RateLimited, {
        detail: `Too many failed logins; retry in ${retryAfter} s.`,
        extensions: { retry_after: retryAfter },
      });
    },

    async failed(email: string, ip: string): Promise<void> {
      const keys = [accountKey(email), ipKey(ip)];
      try {
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.incr(key).expire(key, limits.windowSeconds, 'NX');
        await pipeline.exec();
      } catch {
        for (const key of keys) {
          const counter = memory.get(key);
          if (counter && counter.resetAt > Date.now()) counter.count += 1;
          else memory.set(key, { count: 1, resetAt: Date.now() + limits.windowSeconds * 1000 });
        }
      }
    },

    async succeeded(email: string): Promise<void> {
      memory.delete(accountKey(email));
      await redis.del(accountKey(email)).catch(() => undefined);
    },
  };
}

export type TLoginLimiter = ReturnType<typeof createLoginLimiter>;
