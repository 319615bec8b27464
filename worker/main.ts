import type { Server } from 'node:http';
import type { Worker } from 'bullmq';
import { createJobQueues } from '../core/features.ts';
import { loadConfigOrExit } from '../core/platform/config/env.ts';
import { exitOnListenError } from '../core/platform/config/listen-error.ts';
import { connectWithRetry } from '../core/platform/db/connect.ts';
import { createDataSource } from '../core/platform/db/data-source.ts';
import { checkDatabase, checkRedis } from '../core/platform/health/health.ts';
import { closeQuietly } from '../core/platform/jobs/index.ts';
import { onShutdown, startProbeServer } from '../core/platform/lifecycle/index.ts';
import { createLogger } from '../core/platform/logging/logger.ts';
import { createMetricsRegistry } from '../core/platform/metrics/registry.ts';
import { createCacheRedis, createQueueRedis } from '../core/platform/redis/redis.ts';
import { SYNC_CADENCES } from '../core/schedules.ts';
import { createServices } from '../core/services.ts';
import { assertEveryJobHasAHandler, createWorkers } from './create-workers.ts';
import { startInternalScheduler } from './scheduler.ts';
import { createWorkerMetrics } from './worker-metrics.ts';

// The worker root: connections, one BullMQ Worker per queue, metrics, probes and shutdown. What a job
// does is its feature's (core/<feature>/<feature>.jobs.ts); what follows it is core/workflows.ts's.
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
const queues = createJobQueues(producer, config.QUEUE_PREFIX, (error) =>
  logger.debug({ err: error }, 'job queue error'),
);
// The dead-letter queue's depth is a metric too (an alert rule watches it grow).
const metrics = createWorkerMetrics(registry, [...Object.values(queues.queues), queues.deadLetter], redis);
const connections = [producer, redis, ...(cacheRedis === redis ? [] : [cacheRedis])];
let workers: Worker[] = [];
let probes: Server | undefined = undefined;
let stopTicker: () => Promise<void> = async () => undefined;

const isShuttingDown = onShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  starting: 'shutting down: no new jobs, finishing active ones',
  // Jobs still running are not lost: their locks expire and another worker takes them over.
  timedOut: 'active jobs did not finish in time; exiting and leaving them to other workers',
  drain: async () => {
    await stopTicker();
    await Promise.all(workers.map(closeQuietly));
    await queues.close();
    await new Promise((resolve) => (probes ? probes.close(resolve) : resolve(undefined)));
    await Promise.allSettled([
      db.isInitialized ? db.destroy() : Promise.resolve(),
      ...connections.map((connection) => connection.quit()),
    ]);
  },
});
probes = await startProbeServer({
  port: config.WORKER_PORT,
  host: config.HOST,
  metrics: registry,
  // Ready: PostgreSQL and Redis answer, and not draining.
  readiness: async () => {
    if (isShuttingDown()) return { ready: false, body: { status: 'shutting_down' } };
    const [database, queueStore] = await Promise.all([checkDatabase(db), checkRedis(redis)]);
    const up = database.status === 'up' && queueStore.status === 'up';
    return {
      ready: up,
      body: { status: up ? 'ok' : 'unavailable', checks: { database, redis: queueStore } },
    };
  },
}).catch((error: NodeJS.ErrnoException) =>
  exitOnListenError(error, 'WORKER_PORT', config.HOST, config.WORKER_PORT),
);
await connectWithRetry(db, logger, isShuttingDown);

const services = createServices({ config, db, redis, cacheRedis, queues, logger, metrics: registry });
workers = createWorkers({
  config,
  logger,
  metrics,
  queues,
  services,
  connection: () => {
    const connection = createQueueRedis(config.REDIS);
    connections.push(connection);
    return connection;
  },
});
if (config.SCHEDULER === 'internal') await startInternalScheduler(queues, logger);
// The live ticker (issue #24): the replay's bridge offline; a live provider's price endpoint within its budget.
if (config.TICKER_ENABLED) {
  services.ticker.start({ syncs: SYNC_CADENCES });
  stopTicker = () => services.ticker.stop();
  logger.info(
    { interval_seconds: services.ticker.intervalSeconds(), cadence: services.ticker.cadence() },
    'ticker running',
  );
}
logger.info(
  {
    port: config.WORKER_PORT,
    queues: workers.map((worker) => worker.name),
    provider: config.MARKET_DATA_PROVIDER,
  },
  'worker running',
);
