import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { principalOf, type TActor } from '../../core/platform/access/index.ts';
import { marketCacheVersionKey } from '../../core/market/index.ts';
import { freshVersion } from '../../core/platform/redis/cache-version.ts';
import { resourceCacheVersionKey } from '../../core/platform/redis/resource-cache.ts';
import {
  ENCODINGS,
  preferredEncoding,
  representationsOf,
  type TEncoding,
  type TRepresentation,
  type TRepresentations,
} from './encodings.ts';
import { MemoryEntries } from './memory-entries.ts';
import type { THttpMetrics } from './metrics.ts';

const NEWLINE = 0x0a;

export type TCacheScope = 'public' | 'private';

// Compare-and-delete, so a slow producer never releases a lock another replica took over.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A cached response as sent to clients preferring one coding: the body (compressed once, when the
 * entry was filled) stays a Buffer from Redis to the socket, with no decode, re-encode or compression.
 */
type TEntry = TRepresentation;

/** The cache key of what is sent to clients preferring `encoding` (identity keeps the plain key). */
const codingKey = (key: string, encoding: TEncoding) =>
  encoding === 'identity' ? key : `${key}|${encoding}`;

/** What is sent for each preferred coding: its compressed form, or identity where compression did not pay. */
const forEachCoding = (representations: TRepresentations): Map<TEncoding, TEntry> =>
  new Map(ENCODINGS.map((encoding) => [encoding, representations[encoding] ?? representations.identity]));

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
  /** Bytes of responses kept in process memory in front of Redis (0 turns the memory layer off). */
  memoryBytes?: number;
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
  const entryPrefix = `${keyPrefix}cache:market:`;
  const inFlight = new Map<string, Promise<Map<TEncoding, TEntry>>>();
  const memory = new MemoryEntries(options.memoryBytes ?? 32 * 2 ** 20);

  const available = () => redis.status === 'ready';

  /**
   * The version of an answer from its version keys' values; null when one is missing (never set, or
   * evicted from the cache store): a fresh token is seeded for the next request, and this one is not
   * stored, since no entry can be current under a version nobody holds.
   */
  function versionOf(keys: string[], values: (string | null)[]): string | null {
    if (values.every((value) => value !== null)) return values.join('.');
    values.forEach((value, index) => {
      if (value === null) void redis.set(keys[index]!, freshVersion(), 'NX').catch(() => undefined);
    });
    return null;
  }

  /** The version an answer about `resource` (and market data) is current under: one small round trip. */
  async function currentVersion(resource: string): Promise<string | null> {
    const keys = [versionKey, resourceCacheVersionKey(keyPrefix, resource)];
    const results = (await redis.pipeline().get(keys[0]!).get(keys[1]!).exec()) as [
      Error | null,
      string | null,
    ][];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    return versionOf(
      keys,
      results.map(([, value]) => value),
    );
  }

  /**
   * One round trip (a pipeline, no Lua): the current version and the entry. Each entry starts with the
   * version it was computed under; an entry from an older version is a miss. An answer about an owned
   * resource is versioned by the market data and by that resource (bumped by its writes).
   */
  async function lookup(
    key: string,
    resource?: string,
  ): Promise<{ version: string | null; entry: TEntry | null }> {
    const keys = resource ? [versionKey, resourceCacheVersionKey(keyPrefix, resource)] : [versionKey];
    const pipeline = redis.pipeline();
    for (const versionKeyOf of keys) pipeline.get(versionKeyOf);
    const results = (await pipeline.getBuffer(`${entryPrefix}${key}`).exec()) as [Error | null, unknown][];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    const raw = results.at(-1)![1] as Buffer | null;
    const version = versionOf(
      keys,
      results.slice(0, -1).map(([, value]) => value as string | null),
    );
    if (!raw || version === null) return { version, entry: null };
    // version \n etag \n coding \n body
    const first = raw.indexOf(NEWLINE);
    const second = raw.indexOf(NEWLINE, first + 1);
    const third = raw.indexOf(NEWLINE, second + 1);
    if (first < 0 || second < 0 || third < 0 || raw.toString('latin1', 0, first) !== version)
      return { version, entry: null };
    const encoding = raw.toString('latin1', second + 1, third) as TEncoding;
    if (!ENCODINGS.includes(encoding)) return { version, entry: null };
    return {
      version,
      entry: { etag: raw.toString('latin1', first + 1, second), encoding, body: raw.subarray(third + 1) },
    };
  }

  /** One key per preferred coding, each holding what is sent for it (identity when compression did not pay). */
  async function store(version: string, entries: Map<string, TEntry>): Promise<void> {
    const pipeline = redis.pipeline();
    for (const [entryKey, entry] of entries) {
      const header = Buffer.from(`${version}\n${entry.etag}\n${entry.encoding}\n`, 'latin1');
      pipeline.set(`${entryPrefix}${entryKey}`, Buffer.concat([header, entry.body]), 'EX', ttlSeconds);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  /** Computes the entry once per replica, and (through a short Redis lock) once across replicas. */
  async function load(
    route: string,
    key: string,
    version: string | null,
    resource: string | undefined,
    produce: () => Promise<unknown>,
  ): Promise<Map<TEncoding, TEntry>> {
    const compute = async () => {
      metrics.cacheLoads.inc({ route });
      return forEachCoding(await representationsOf(Buffer.from(JSON.stringify(await produce()))));
    };
    if (version === null) return compute();

    const lockKey = `${entryPrefix}${key}:lock:${version}`;
    const token = `${process.pid}:${Math.random()}`;
    const locked = await redis.set(lockKey, token, 'PX', lockWaitMs, 'NX').catch(() => 'OK');
    if (locked !== 'OK') {
      const deadline = Date.now() + lockWaitMs;
      while (Date.now() < deadline) {
        await sleep(25);
        const found = await Promise.all(
          ENCODINGS.map((encoding) => lookup(codingKey(key, encoding), resource).catch(() => null)),
        );
        if (found.every((result) => result?.entry && result.version === version)) {
          return new Map(ENCODINGS.map((encoding, index) => [encoding, found[index]!.entry!]));
        }
      }
    }
    try {
      const entries = await compute();
      await store(
        version,
        new Map([...entries].map(([encoding, entry]) => [codingKey(key, encoding), entry])),
      ).catch((error: unknown) => logger.warn({ err: error }, 'cache store failed'));
      return entries;
    } finally {
      if (locked === 'OK') await redis.eval(RELEASE_SCRIPT, 1, lockKey, token).catch(() => undefined);
    }
  }

  function send(
    req: Request,
    res: Response,
    entry: TEntry,
    result: 'HIT' | 'MISS',
    scope: TCacheScope,
  ): void {
    res.setHeader('X-Cache', result);
    // The body depends on Accept-Encoding (and a private one on the credentials): caches must key on them.
    res.setHeader(
      'Vary',
      scope === 'private' ? 'Accept-Encoding, Authorization, X-API-Key' : 'Accept-Encoding',
    );
    res.setHeader('ETag', entry.etag);
    res.setHeader(
      'Cache-Control',
      scope === 'private' ? 'private, no-cache' : `public, max-age=${maxAgeSeconds}`,
    );
    const ifNoneMatch = req.get('if-none-match');
    if (
      ifNoneMatch &&
      // split + trim, not /\s*,\s*/: that regex is quadratic on a header of blanks (0.5 s for 16 KiB).
      ifNoneMatch
        .split(',')
        .map((tag) => tag.trim())
        .some((tag) => tag === entry.etag || tag === `W/${entry.etag}` || tag === '*')
    ) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (entry.encoding !== 'identity') res.setHeader('Content-Encoding', entry.encoding);
    res.end(entry.body);
  }

  return {
    /**
     * A GET handler that answers from the cache or from `produce(input)`, storing the JSON it returns
     * in every coding, and sending the one the client prefers (Accept-Encoding: br, gzip or identity).
     */
    json<TInput>(
      route: string,
      produce: (input: TInput, req: Request, res: Response) => Promise<unknown>,
      options: { scope?: TCacheScope; resource?: (input: TInput) => string } = {},
    ): RequestHandler {
      const scope = options.scope ?? 'public';
      return async (req, res) => {
        const input = res.locals.input as TInput;
        // Private answers are keyed by who asked (and with which role: a role change may end access),
        // apart from the shared entries.
        const actor = res.locals.actor as TActor;
        const principal =
          scope === 'private'
            ? `${principalOf(actor)}:${actor.kind === 'anonymous' ? '-' : actor.role}`
            : undefined;
        const resource = options.resource?.(input);
        const key = `${principal ? `private:${principal}:` : ''}${route}:${JSON.stringify(input)}`;
        const encoding = preferredEncoding(req.get('accept-encoding'));
        const wanted = codingKey(key, encoding);
        let version: string | null = null;
        // The rate limiter already read the current market version in its round trip to Redis. An answer
        // about an owned resource asks for the versions alone first, so a hit held in this replica's memory
        // does not move the (often large) body from Redis.
        let knownVersion = principal ? undefined : (res.locals.cacheVersion as string | undefined);
        if (resource && available())
          knownVersion = (await currentVersion(resource).catch(() => null)) ?? undefined;
        const local = knownVersion === undefined ? undefined : memory.get(wanted, knownVersion);
        if (local) {
          metrics.cacheLookups.inc({ route, result: 'hit' });
          send(req, res, local, 'HIT', scope);
          return;
        }
        if (available()) {
          try {
            const found = await lookup(wanted, resource);
            version = found.version;
            if (found.entry && found.version !== null) {
              memory.set(wanted, found.version, found.entry);
              metrics.cacheLookups.inc({ route, result: 'hit' });
              send(req, res, found.entry, 'HIT', scope);
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
          pending = load(route, key, version, resource, () => produce(input, req, res)).finally(() =>
            inFlight.delete(flightKey),
          );
          inFlight.set(flightKey, pending);
        }
        const entries = await pending;
        if (version !== null) {
          for (const [coding, entry] of entries) memory.set(codingKey(key, coding), version, entry);
        }
        send(req, res, entries.get(encoding)!, 'MISS', scope);
      };
    },
  };
}
