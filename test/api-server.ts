import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { buildApp } from '../api/app.ts';
import { createServices, type TServices } from '../core/services.ts';
import { createHttpServer } from '../api/http/server.ts';
import { createCacheRedis, createQueueRedis } from '../core/platform/redis/redis.ts';
import { createJobQueues, FEATURES, JOBS, type TAnyFeature, type TJobQueues } from '../core/features.ts';
import type { TAnyRoute } from '../api/routes/define-route.ts';
import type { TAnyJob } from '../core/platform/jobs/index.ts';
import { ROUTES } from '../api/routes/index.ts';
import type { TConfig } from '../core/platform/config/env.ts';
import { createLogger } from '../core/platform/logging/logger.ts';
import { createMetricsRegistry } from '../core/platform/metrics/registry.ts';

export type TTestApi = {
  url: string;
  config: TConfig;
  services: TServices;
  queues: TJobQueues;
  /** The queue store's fail-fast connection. */
  redis: Redis;
  /** The cache store (cached answers, rate limits, idempotency records, cache versions). */
  cacheRedis: Redis;
  metrics: Registry;
  setShuttingDown: (value: boolean) => void;
  close: () => Promise<void>;
};

/**
 * The real Express app on an ephemeral port, over the given real PostgreSQL data source and Redis.
 * `logLines`, when given, receives every log line (application and access log) at the most verbose level.
 */
export async function startTestApi(
  config: TConfig,
  db: DataSource,
  options: {
    logLines?: string[];
    /** A fixture feature added to the product's (test/fixtures/notes). */
    extra?: { feature: TAnyFeature; routes: readonly TAnyRoute[] };
  } = {},
): Promise<TTestApi> {
  // Tests take Redis away on purpose; a socket that never connected should not keep the process alive.
  // Sentinels when configured; else REDIS_URL, which tests override (a TCP proxy in front of Redis, say).
  const target = config.REDIS;
  const redis = await connected(createCacheRedis(target, { disconnectTimeout: 50 }));
  const cacheRedis =
    config.CACHE_REDIS === config.REDIS
      ? redis
      : await connected(createCacheRedis(config.CACHE_REDIS, { disconnectTimeout: 50 }));
  const metrics = createMetricsRegistry();
  const queueConnection = createQueueRedis(target, { disconnectTimeout: 50 });
  queueConnection.on('error', () => undefined);
  const extra = options.extra;
  const queues = createJobQueues(
    queueConnection,
    config.QUEUE_PREFIX,
    undefined,
    (extra ? [...JOBS, ...extra.feature.jobs] : JOBS) as readonly TAnyJob[],
  ) as unknown as TJobQueues;
  let shuttingDown = false;
  const { logLines } = options;
  const logger = logLines
    ? createLogger({
        level: 'trace',
        name: 'test-api',
        destination: { write: (line) => logLines.push(line) },
      })
    : createLogger({ level: config.LOG_LEVEL, name: 'test-api' });
  const services = createServices(
    { config, db, redis, cacheRedis, queues, logger },
    extra ? [...FEATURES, extra.feature] : FEATURES,
  );
  const app = buildApp({
    config,
    logger,
    db,
    redis,
    cacheRedis,
    metrics,
    version: 'test',
    isShuttingDown: () => shuttingDown,
    queues,
    services,
    ...(extra ? { routes: [...ROUTES, ...extra.routes] } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const listening = createHttpServer(app).listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    services,
    queues,
    redis,
    cacheRedis,
    metrics,
    setShuttingDown: (value) => {
      shuttingDown = value;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await queues.close().catch(() => undefined);
      redis.disconnect();
      cacheRedis.disconnect();
      queueConnection.disconnect();
    },
  };
}

/** Waits (at most 3 s) until `redis` is ready or its first attempt failed: an unreachable Redis is a valid test setup. */
async function connected(redis: Redis): Promise<Redis> {
  redis.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    if (redis.status === 'ready') done();
    redis.once('ready', done);
    redis.once('error', done);
  });
  return redis;
}

/** Sum of a counter across one or more registries (optionally filtered by labels). */
export async function counterValue(
  registries: Registry[],
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  let total = 0;
  for (const registry of registries) {
    const metric = registry.getSingleMetric(name);
    if (!metric) continue;
    const { values } = await metric.get();
    for (const value of values) {
      if (Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted))
        total += value.value;
    }
  }
  return total;
}
