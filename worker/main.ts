import {
  invalidateMarketCache,
  createProviderMetrics,
  readTimeline,
  createProviderChain,
  createRedisCooldowns,
} from '../core/market/index.ts';
import { createCacheRedis, createQueueRedis } from '../core/platform/redis/redis.ts';
import { loadConfigOrExit } from '../core/platform/config/env.ts';
import { exitOnListenError } from '../core/platform/config/listen-error.ts';
import { connectWithRetry } from '../core/platform/db/connect.ts';
import { createDataSource } from '../core/platform/db/data-source.ts';
import { closeQuietly, createQueues } from '../core/jobs/index.ts';
import { createLogger } from '../core/platform/logging/logger.ts';
import { createMetricsRegistry } from '../core/platform/metrics/registry.ts';
import { createServices } from '../core/services.ts';
import { createWorkers, processorServices } from './create-workers.ts';
import { assertEveryJobHasAHandler } from './handlers.ts';
import { startHealthServer } from './health-server.ts';
import { startInternalScheduler } from './scheduler.ts';
import { createWorkerMetrics } from './worker-metrics.ts';

assertEveryJobHasAHandler();
const config = loadConfigOrExit();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'trading-backend-worker' });
if (config.SECRET_KEY_GENERATED)
  logger.warn(
    'SECRET_KEY is not set: this process made its own key, so sealed webhook secrets and tokens do not outlive it (npm run dev and npm start keep one in .run/secret-key)',
  );
const registry = createMetricsRegistry();
const db = createDataSource(config, 'trading-backend-worker');
// Fail-fast connections: to the queue store (provider cooldowns, health, memory metrics) and to the cache
// store (the cache versions a sync bumps), one connection when both are the same Redis.
const redis = createCacheRedis(config.REDIS);
redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
const cacheRedis = config.CACHE_REDIS === config.REDIS ? redis : createCacheRedis(config.CACHE_REDIS);
if (cacheRedis !== redis)
  cacheRedis.on('error', (error) => logger.debug({ err: error }, 'redis (cache store) connection error'));
const producer = createQueueRedis(config.REDIS);
const queues = createQueues(producer, config.QUEUE_PREFIX, (error) =>
  logger.debug({ err: error }, 'job queue error'),
);
// The dead-letter queue's depth is a metric too (an alert rule watches it grow).
const metrics = createWorkerMetrics(registry, [...Object.values(queues.queues), queues.deadLetter], redis);
const providers = createProviderChain({
  config,
  logger,
  metrics: createProviderMetrics(registry),
  timeline: () => readTimeline(db),
  cooldowns: createRedisCooldowns(redis, config.REDIS_KEY_PREFIX, (error) =>
    logger.warn({ err: error }, 'provider cooldowns: Redis unavailable, keeping them in this process'),
  ),
});

let shuttingDown = false;
const healthServer = await startHealthServer({
  port: config.WORKER_PORT,
  host: config.HOST,
  db,
  redis,
  metrics: registry,
  isShuttingDown: () => shuttingDown,
}).catch((error: NodeJS.ErrnoException) =>
  exitOnListenError(error, 'WORKER_PORT', config.HOST, config.WORKER_PORT),
);
await connectWithRetry(db, logger, () => shuttingDown);
const [latest] = await db
  .query(`SELECT extract(epoch FROM max("timestamp")) AS seconds FROM price_history`)
  .catch(() => [{}]);
if (latest?.seconds) metrics.lastSuccessfulSync.set(Number(latest.seconds));

const connections = [producer, redis, ...(cacheRedis === redis ? [] : [cacheRedis])];
const workers = createWorkers({
  config,
  db,
  redis,
  providers,
  logger,
  metrics,
  queues,
  ...processorServices(createServices({ config, db, redis, cacheRedis, queues, logger })),
  invalidateCache: () => invalidateMarketCache(cacheRedis, config.REDIS_KEY_PREFIX),
  connection: () => {
    const connection = createQueueRedis(config.REDIS);
    connections.push(connection);
    return connection;
  },
});
if (config.SCHEDULER === 'internal') await startInternalScheduler(queues, logger);
logger.info(
  {
    port: config.WORKER_PORT,
    queues: workers.map((worker) => worker.name),
    provider: config.MARKET_DATA_PROVIDER,
  },
  'worker running',
);

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down: no new jobs, finishing active ones');
  const force = setTimeout(() => {
    // Jobs still running are not lost: their locks expire and another worker takes them over.
    logger.error('active jobs did not finish in time; exiting and leaving them to other workers');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS).unref();
  await Promise.all(workers.map(closeQuietly));
  await queues.close();
  await new Promise((resolve) => healthServer.close(resolve));
  await Promise.allSettled([
    db.isInitialized ? db.destroy() : Promise.resolve(),
    ...connections.map((connection) => connection.quit()),
  ]);
  clearTimeout(force);
  logger.info('shutdown complete');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
