import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { dataVersionKey, freshVersion, resourceVersionKey } from '../../core/platform/cache/versions.ts';
import { codingKey, decodeEntry, encodeEntry, forEachCoding, type TCacheEntry } from './cache-codec.ts';
import { ENCODINGS, representationsOf, type TEncoding } from './encodings.ts';
import type { THttpMetrics } from './metrics.ts';

// Compare-and-delete, so a slow producer never releases a lock another replica took over.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type TResults = [Error | null, unknown][];

const checked = (results: TResults | null): TResults => {
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0];
  return results ?? [];
};

/**
 * The Redis side of the response cache: versions (the data version and, for an answer about an owned
 * resource, that resource's), entries stored under them, and a short lock so that one replica computes
 * an entry while the others wait for it.
 */
export function createCacheStore(options: {
  redis: Redis;
  keyPrefix: string;
  ttlSeconds: number;
  lockWaitMs: number;
  metrics: THttpMetrics;
  logger: Logger;
}) {
  const { redis, keyPrefix, ttlSeconds, lockWaitMs, metrics, logger } = options;
  const versionKeys = (resource?: string) =>
    resource
      ? [dataVersionKey(keyPrefix), resourceVersionKey(keyPrefix, resource)]
      : [dataVersionKey(keyPrefix)];

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

  /** The version an answer about `resource` (and the shared data) is current under: one small round trip. */
  async function currentVersion(resource: string): Promise<string | null> {
    const keys = versionKeys(resource);
    const results = checked(await redis.pipeline().get(keys[0]!).get(keys[1]!).exec());
    return versionOf(
      keys,
      results.map(([, value]) => value as string | null),
    );
  }

  /**
   * One round trip (a pipeline, no Lua): the current version and the entry. Each entry starts with the
   * version it was computed under; an entry from an older version is a miss.
   */
  async function lookup(
    key: string,
    resource?: string,
  ): Promise<{ version: string | null; entry: TCacheEntry | null }> {
    const keys = versionKeys(resource);
    const pipeline = redis.pipeline();
    for (const versionKey of keys) pipeline.get(versionKey);
    const results = checked(await pipeline.getBuffer(key).exec());
    const raw = results.at(-1)![1] as Buffer | null;
    const version = versionOf(
      keys,
      results.slice(0, -1).map(([, value]) => value as string | null),
    );
    if (!raw || version === null) return { version, entry: null };
    return { version, entry: decodeEntry(raw, version) };
  }

  /** One key per preferred coding, each holding what is sent for it (identity when compression did not pay). */
  async function store(version: string, entries: Map<string, TCacheEntry>): Promise<void> {
    const pipeline = redis.pipeline();
    for (const [key, entry] of entries) pipeline.set(key, encodeEntry(version, entry), 'EX', ttlSeconds);
    checked(await pipeline.exec());
  }

  /** Another replica's entry, once it has stored it in every coding under `version` (null after the wait). */
  async function awaitOther(key: string, version: string, resource: string | undefined) {
    const deadline = Date.now() + lockWaitMs;
    while (Date.now() < deadline) {
      await sleep(25);
      const found = await Promise.all(
        ENCODINGS.map((encoding) => lookup(codingKey(key, encoding), resource).catch(() => null)),
      );
      if (found.every((result) => result?.entry && result.version === version))
        return new Map(ENCODINGS.map((encoding, index) => [encoding, found[index]!.entry!]));
    }
    return null;
  }

  /** Computes the entry once across replicas (through a short Redis lock) and stores it. */
  async function load(
    route: string,
    key: string,
    version: string | null,
    resource: string | undefined,
    produce: () => Promise<unknown>,
  ): Promise<Map<TEncoding, TCacheEntry>> {
    const compute = async () => {
      metrics.cacheLoads.inc({ route });
      return forEachCoding(await representationsOf(Buffer.from(JSON.stringify(await produce()))));
    };
    if (version === null) return compute();

    const lockKey = `${key}:lock:${version}`;
    const token = `${process.pid}:${Math.random()}`;
    const locked = await redis.set(lockKey, token, 'PX', lockWaitMs, 'NX').catch(() => 'OK');
    if (locked !== 'OK') {
      const stored = await awaitOther(key, version, resource);
      if (stored) return stored;
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

  return { currentVersion, lookup, load };
}
