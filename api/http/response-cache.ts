import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { marketCacheVersionKey } from '../../core/cache/market-cache.ts';
import type { THttpMetrics } from './metrics.ts';

// One round trip: read the current market-data version and the entry stored under it.
const LOOKUP_SCRIPT = `
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ':' .. ARGV[2])}`;

// Compare-and-delete, so a slow producer never releases a lock another replica took over.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

type TEntry = { etag: string; body: string };

const etagOf = (body: string) => `"${createHash('sha1').update(body).digest('base64url')}"`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type TResponseCacheOptions = {
  redis: Redis;
  keyPrefix: string;
  ttlSeconds: number;
  maxAgeSeconds: number;
  metrics: THttpMetrics;
  logger: Logger;
  /** How long a replica waits for another replica that is computing the same entry. */
  lockWaitMs?: number;
};

export type TResponseCache = ReturnType<typeof createResponseCache>;

/**
 * Shared Redis cache for JSON GET responses, keyed by route and the *validated* input (so equivalent
 * URLs share one entry), versioned for invalidation, with ETag/304, in-process and cross-replica
 * single-flight, and a fall-through to the producer when Redis is unavailable.
 */
export function createResponseCache(options: TResponseCacheOptions) {
  const { redis, keyPrefix, ttlSeconds, maxAgeSeconds, metrics, logger } = options;
  const lockWaitMs = options.lockWaitMs ?? 2000;
  const versionKey = marketCacheVersionKey(keyPrefix);
  const entryPrefix = `${keyPrefix}cache:market:v`;
  const inFlight = new Map<string, Promise<TEntry>>();

  const available = () => redis.status === 'ready';

  async function lookup(key: string): Promise<{ version: string; entry: TEntry | null }> {
    const [version, raw] = (await redis.eval(LOOKUP_SCRIPT, 1, versionKey, entryPrefix, key)) as [
      string,
      string | null,
    ];
    if (raw === null) return { version, entry: null };
    const newline = raw.indexOf('\n');
    return { version, entry: { etag: raw.slice(0, newline), body: raw.slice(newline + 1) } };
  }

  async function store(version: string, key: string, entry: TEntry): Promise<void> {
    await redis.set(`${entryPrefix}${version}:${key}`, `${entry.etag}\n${entry.body}`, 'EX', ttlSeconds);
  }

  /** Computes the entry once per replica, and (through a short Redis lock) once across replicas. */
  async function load(route: string, key: string, version: string | null, produce: () => Promise<unknown>) {
    const compute = async (): Promise<TEntry> => {
      metrics.cacheLoads.inc({ route });
      const body = JSON.stringify(await produce());
      return { etag: etagOf(body), body };
    };
    if (version === null) return compute();

    const lockKey = `${entryPrefix}${version}:${key}:lock`;
    const token = `${process.pid}:${Math.random()}`;
    const locked = await redis.set(lockKey, token, 'PX', lockWaitMs, 'NX').catch(() => 'OK');
    if (locked !== 'OK') {
      const deadline = Date.now() + lockWaitMs;
      while (Date.now() < deadline) {
        await sleep(25);
        const found = await lookup(key).catch(() => null);
        if (found?.entry && found.version === version) return found.entry;
      }
    }
    try {
      const entry = await compute();
      await store(version, key, entry).catch((error: unknown) =>
        logger.warn({ err: error }, 'cache store failed'),
      );
      return entry;
    } finally {
      if (locked === 'OK') await redis.eval(RELEASE_SCRIPT, 1, lockKey, token).catch(() => undefined);
    }
  }

  function send(req: Request, res: Response, entry: TEntry, result: 'HIT' | 'MISS'): void {
    res.setHeader('X-Cache', result);
    res.setHeader('ETag', entry.etag);
    res.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`);
    const ifNoneMatch = req.get('if-none-match');
    if (
      ifNoneMatch &&
      ifNoneMatch
        .split(/\s*,\s*/)
        .some((tag) => tag === entry.etag || tag === `W/${entry.etag}` || tag === '*')
    ) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(entry.body);
  }

  return {
    /** A GET handler that answers from the cache or from `produce(input)`, storing the JSON it returns. */
    json<TInput>(route: string, produce: (input: TInput) => Promise<unknown>): RequestHandler {
      return async (req, res) => {
        const input = res.locals.input as TInput;
        const key = `${route}:${JSON.stringify(input)}`;
        let version: string | null = null;
        if (available()) {
          try {
            const found = await lookup(key);
            version = found.version;
            if (found.entry) {
              metrics.cacheLookups.inc({ route, result: 'hit' });
              send(req, res, found.entry, 'HIT');
              return;
            }
            metrics.cacheLookups.inc({ route, result: 'miss' });
          } catch (error) {
            metrics.cacheLookups.inc({ route, result: 'error' });
            logger.warn({ err: error }, 'cache lookup failed; serving from the database');
          }
        } else {
          metrics.cacheLookups.inc({ route, result: 'error' });
        }
        const flightKey = `${version ?? 'none'}:${key}`;
        let pending = inFlight.get(flightKey);
        if (!pending) {
          pending = load(route, key, version, () => produce(input)).finally(() => inFlight.delete(flightKey));
          inFlight.set(flightKey, pending);
        }
        send(req, res, await pending, 'MISS');
      };
    },
  };
}
