import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { principalOf } from '../../core/platform/access/index.ts';
import { cacheEntryKey, readDataVersion } from '../../core/platform/cache/versions.ts';
import type { DataVersionWatch } from './data-version-watch.ts';
import { codingKey, type TCacheEntry } from './cache-codec.ts';
import { sendCached, type TCacheScope } from './cache-send.ts';
import { createCacheStore } from './cache-store.ts';
import { preferredEncoding, type TEncoding } from './encodings.ts';
import { actorOf } from './locals.ts';
import { MemoryEntries } from './memory-entries.ts';
import type { THttpMetrics } from './metrics.ts';

export type { TCacheScope } from './cache-send.ts';

export type TResponseCacheOptions = {
  redis: Redis;
  keyPrefix: string;
  ttlSeconds: number;
  maxAgeSeconds: number;
  metrics: THttpMetrics;
  logger: Logger;
  /** How long a replica waits for another replica that is computing the same entry. */
  lockWaitMs?: number;
  /** Bytes of responses kept in process memory in front of Redis (0 turns the memory layer off). */
  memoryBytes?: number;
  /** The data version this process can vouch for without asking Redis (data-version-watch.ts). */
  versions?: Pick<DataVersionWatch, 'current' | 'epoch' | 'observe'>;
  /** Told of each shared answer sent to an anonymous client, which replay.ts may then answer alone. */
  onPublicAnswer?: (req: Request, res: Response, cached: { route: string; key: string }) => void;
};

export type TResponseCache = ReturnType<typeof createResponseCache>;

/**
 * Shared Redis cache for JSON GET responses, keyed by route and the *validated* input (so equivalent
 * URLs share one entry), versioned for invalidation (core/platform/cache/versions.ts), with ETag/304
 * (cache-send.ts), an LRU in process memory (memory-entries.ts), in-process and cross-replica
 * single-flight (cache-store.ts), and a fall-through to the producer when Redis is unavailable.
 */
export function createResponseCache(options: TResponseCacheOptions) {
  const { redis, keyPrefix, maxAgeSeconds, metrics, logger, versions, onPublicAnswer } = options;
  const shared = createCacheStore({ ...options, lockWaitMs: options.lockWaitMs ?? 2000 });
  const inFlight = new Map<string, Promise<Map<TEncoding, TCacheEntry>>>();
  const memory = new MemoryEntries(options.memoryBytes ?? 32 * 2 ** 20);

  const available = () => redis.status === 'ready';

  /** The entry from Redis if it is current (kept in memory too); the version read either way. */
  async function fromRedis(route: string, wanted: string, resource: string | undefined) {
    if (!available()) {
      metrics.cacheLookups.inc({ route, result: 'error' });
      return { version: null, entry: null };
    }
    try {
      const epoch = versions?.epoch ?? 0;
      const found = await shared.lookup(wanted, resource);
      if (found.entry && found.version !== null) {
        memory.set(wanted, found.version, found.entry);
        metrics.cacheLookups.inc({ route, result: 'hit' });
        if (!resource) versions?.observe(found.version, epoch);
        return found;
      }
      metrics.cacheLookups.inc({ route, result: 'miss' });
      if (resource) return { version: found.version, entry: null };
      // No data version (never set, or evicted by allkeys-lru): seed a fresh one, so that what is
      // computed now is stored and shared under it.
      const version = found.version ?? (await readDataVersion(redis, keyPrefix));
      versions?.observe(version, epoch);
      return { version, entry: null };
    } catch (error) {
      metrics.cacheLookups.inc({ route, result: 'error' });
      logger.warn({ err: error }, 'cache lookup failed; serving from the database');
      return { version: null, entry: null };
    }
  }

  /** Computes the answer once per replica while the same one is under way. */
  function loadOnce(
    route: string,
    key: string,
    version: string | null,
    resource: string | undefined,
    produce: () => Promise<unknown>,
  ) {
    const flightKey = `${version ?? 'none'}:${key}`;
    let pending = inFlight.get(flightKey);
    if (!pending) {
      pending = shared.load(route, key, version, resource, produce).finally(() => inFlight.delete(flightKey));
      inFlight.set(flightKey, pending);
    }
    return pending;
  }

  return {
    /** The answer held in this process's memory for `key` and `encoding`, if current under `version`. */
    peek(key: string, encoding: TEncoding, version: string): TCacheEntry | undefined {
      return memory.get(codingKey(key, encoding), version);
    },

    /**
     * A GET handler that answers from the cache or from `produce(input)`, storing the JSON it returns
     * in every coding, and sending the one the client prefers (Accept-Encoding: br, gzip or identity).
     */
    json<TInput>(
      route: string,
      produce: (input: TInput, req: Request, res: Response) => Promise<unknown>,
      options: { scope?: TCacheScope; resource?: (input: TInput) => string; replayable?: boolean } = {},
    ): RequestHandler {
      const scope = options.scope ?? 'public';
      return async (req, res) => {
        const input = res.locals.input as TInput;
        // Private answers are keyed by who asked (and with which role: a role change may end access),
        // apart from the shared entries.
        const actor = actorOf(res);
        const principal =
          scope === 'private'
            ? `${principalOf(actor)}:${actor.kind === 'anonymous' ? '-' : actor.role}`
            : undefined;
        const resource = options.resource?.(input);
        const key = cacheEntryKey(keyPrefix, `${route}:${JSON.stringify(input)}`, principal);
        const encoding = preferredEncoding(req.get('accept-encoding'));
        const wanted = codingKey(key, encoding);
        // The rate limiter already read the current data version in its round trip to Redis. An answer
        // about an owned resource asks for the versions alone first, so a hit held in this replica's memory
        // does not move the (often large) body from Redis.
        let knownVersion = principal ? undefined : (res.locals.cacheVersion ?? versions?.current());
        if (resource && available())
          knownVersion = (await shared.currentVersion(resource).catch(() => null)) ?? undefined;
        const replayable =
          scope === 'public' && !resource && actor.kind === 'anonymous' && options.replayable !== false;
        if (replayable) onPublicAnswer?.(req, res, { route, key });
        const local = knownVersion === undefined ? undefined : memory.get(wanted, knownVersion);
        if (local) {
          metrics.cacheLookups.inc({ route, result: 'hit' });
          sendCached(req, res, local, 'HIT', scope, maxAgeSeconds);
          return;
        }
        const { version, entry } = await fromRedis(route, wanted, resource);
        if (entry) {
          sendCached(req, res, entry, 'HIT', scope, maxAgeSeconds);
          return;
        }
        const entries = await loadOnce(route, key, version, resource, () => produce(input, req, res));
        if (version !== null) {
          for (const [coding, stored] of entries) memory.set(codingKey(key, coding), version, stored);
        }
        sendCached(req, res, entries.get(encoding)!, 'MISS', scope, maxAgeSeconds);
      };
    },
  };
}
