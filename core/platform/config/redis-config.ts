import { z } from 'zod';
import { commaList } from './env-parts.ts';

const hostPorts = commaList.superRefine((entries, ctx) => {
  for (const entry of entries)
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(entry))
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port` });
});

/**
 * The two Redis stores (docs/reliability.md): the queue store (BullMQ, and the small state that must not
 * be dropped) with `noeviction`, and the cache store (cached answers, rate-limit counts, idempotency
 * records) bounded by `maxmemory` with `allkeys-lru`. Each is a URL or Sentinels; the cache store defaults
 * to the queue store's target, one Redis for both.
 */
export const REDIS_SETTINGS = {
  REDIS_URL: z.url().default('redis://127.0.0.1:6379').describe('The queue store (noeviction)'),
  REDIS_SENTINELS: hostPorts
    .optional()
    .describe('Sentinels (host:port list): connect to the master they name instead of REDIS_URL'),
  REDIS_SENTINEL_MASTER: z
    .string()
    .min(1)
    .default('mymaster')
    .describe('The master name the Sentinels monitor'),
  REDIS_PASSWORD: z.string().min(1).optional().describe('Password of the Redis nodes (with Sentinels)'),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional().describe('Password of the Sentinels themselves'),
  REDIS_KEY_PREFIX: z.string().default('tb:').describe('Prefix of every cache and rate-limit key'),
  CACHE_REDIS_URL: z
    .url()
    .optional()
    .describe(
      'The cache store (maxmemory + allkeys-lru); default: the queue store (REDIS_URL or its Sentinels)',
    ),
  CACHE_REDIS_SENTINELS: hostPorts
    .optional()
    .describe('Sentinels of the cache store (host:port list), instead of CACHE_REDIS_URL'),
  CACHE_REDIS_SENTINEL_MASTER: z
    .string()
    .min(1)
    .default('cache')
    .describe('The master name the cache store’s Sentinels monitor'),
  CACHE_REDIS_PASSWORD: z
    .string()
    .min(1)
    .optional()
    .describe('Password of the cache store’s nodes (with Sentinels)'),
  CACHE_REDIS_SENTINEL_PASSWORD: z
    .string()
    .min(1)
    .optional()
    .describe('Password of the cache store’s Sentinels'),
};

type TRedisSettings = {
  REDIS_URL: string;
  REDIS_SENTINELS?: string[] | undefined;
  REDIS_SENTINEL_MASTER: string;
  REDIS_PASSWORD?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  CACHE_REDIS_URL?: string | undefined;
  CACHE_REDIS_SENTINELS?: string[] | undefined;
  CACHE_REDIS_SENTINEL_MASTER: string;
  CACHE_REDIS_PASSWORD?: string | undefined;
  CACHE_REDIS_SENTINEL_PASSWORD?: string | undefined;
};

function target(
  url: string,
  sentinels: string[] | undefined,
  name: string,
  password: string | undefined,
  sentinelPassword: string | undefined,
) {
  if (!sentinels?.length) return url;
  return {
    sentinels: sentinels.map((entry) => {
      const [host, port] = entry.split(':');
      return { host: host!, port: Number(port) };
    }),
    name,
    ...(password ? { password } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

/** Where each store's connections go: a URL, or the master its Sentinels name. */
export function redisTargets(config: TRedisSettings) {
  const REDIS = target(
    config.REDIS_URL,
    config.REDIS_SENTINELS,
    config.REDIS_SENTINEL_MASTER,
    config.REDIS_PASSWORD,
    config.REDIS_SENTINEL_PASSWORD,
  );
  const ownCache = Boolean(config.CACHE_REDIS_SENTINELS?.length || config.CACHE_REDIS_URL);
  return {
    /** The queue store: every BullMQ connection, and what must not be evicted. */
    REDIS,
    /** The cache store: droppable keys only. */
    CACHE_REDIS: ownCache
      ? target(
          config.CACHE_REDIS_URL ?? config.REDIS_URL,
          config.CACHE_REDIS_SENTINELS,
          config.CACHE_REDIS_SENTINEL_MASTER,
          config.CACHE_REDIS_PASSWORD,
          config.CACHE_REDIS_SENTINEL_PASSWORD,
        )
      : REDIS,
  };
}
