import type { Server } from 'node:http';
import { createCacheRedis, createQueueRedis } from '../core/platform/redis/redis.ts';
import { createJobQueues, MIGRATIONS } from '../core/features.ts';
import { loadConfigOrExit } from '../core/platform/config/env.ts';
import { exitOnListenError } from '../core/platform/config/listen-error.ts';
import { createDataSource } from '../core/platform/db/data-source.ts';
import { createAccessLogger, createLogger, redactUrl } from '../core/platform/logging/logger.ts';
import { createMetricsRegistry } from '../core/platform/metrics/registry.ts';
import { connectWithRetry } from '../core/platform/db/connect.ts';
import { onShutdown } from '../core/platform/lifecycle/index.ts';
import { APP_VERSION } from '../core/platform/version.ts';
import { createServices } from '../core/services.ts';
import { buildApp } from './app.ts';
import { createHttpServer } from './http/server.ts';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'trading-backend-api' });
if (config.SECRET_KEY_GENERATED)
  logger.warn(
    'SECRET_KEY is not set: this process made its own key, so sealed webhook secrets and tokens do not outlive it (npm run dev and npm start keep one in .run/secret-key)',
  );
const accessLogger = createAccessLogger({ level: config.LOG_LEVEL, name: 'trading-backend-api' });
// With the migrations: readiness waits until the schema has every one this code knows.
const db = createDataSource(config, 'trading-backend-api', MIGRATIONS);
const redis = createCacheRedis(config.REDIS);
redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
// The cache store (cached answers, rate limits, idempotency records): its own Redis unless it is the same one.
const cacheRedis = config.CACHE_REDIS === config.REDIS ? redis : createCacheRedis(config.CACHE_REDIS);
if (cacheRedis !== redis)
  cacheRedis.on('error', (error) => logger.debug({ err: error }, 'redis (cache store) connection error'));
const queueConnection = createQueueRedis(config.REDIS);
queueConnection.on('error', (error) => logger.debug({ err: error }, 'redis (queues) connection error'));
const queues = createJobQueues(queueConnection, config.QUEUE_PREFIX, (error) =>
  logger.debug({ err: error }, 'job queue error'),
);

// On SIGTERM: readiness fails at once, then the listener closes, then the connections (the drain below;
// `server` is set before any signal can arrive, this module has no top-level await).
const isShuttingDown = onShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  starting: 'shutting down: readiness now fails, finishing in-flight requests',
  timedOut: 'graceful shutdown timed out; exiting',
  drain: async () => {
    // Give load balancers time to see the failing readiness before the listener closes.
    await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DELAY_MS));
    // Keep-alive sockets that finish a response after close() would hold the server open; sweep them.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearInterval(sweep);
    await queues.close().catch(() => undefined);
    await Promise.allSettled([
      db.isInitialized ? db.destroy() : Promise.resolve(),
      redis.quit(),
      ...(cacheRedis === redis ? [] : [cacheRedis.quit()]),
      queueConnection.quit(),
    ]);
    accessLogger.flush();
  },
});
// Ready only after start-up work (the database, the bootstrap admin), not merely once PostgreSQL answers.
let starting = true;
const services = createServices({ config, db, redis, cacheRedis, queues, logger });
const app = buildApp({
  config,
  logger,
  accessLogger,
  db,
  redis,
  cacheRedis,
  metrics: createMetricsRegistry(),
  version: APP_VERSION,
  isShuttingDown: () => isShuttingDown(),
  isStarting: () => starting,
  queues,
  services,
});

// Listen first: /livez answers at once and /readyz stays 503 until PostgreSQL is reachable.
const server: Server = createHttpServer(app).listen(config.PORT, config.HOST, () => {
  logger.info(
    {
      port: config.PORT,
      database: redactUrl(config.DATABASE_URL),
      redis: redactUrl(config.REDIS_URL),
      ...(config.CACHE_REDIS_URL ? { cache_redis: redactUrl(config.CACHE_REDIS_URL) } : {}),
      env: config.NODE_ENV,
    },
    'api listening',
  );
});
server.once('error', (error: NodeJS.ErrnoException) =>
  exitOnListenError(error, 'PORT', config.HOST, config.PORT),
);
void connectWithRetry(db, logger, () => isShuttingDown()).then(async () => {
  if (!db.isInitialized) return;
  // The first admin, when none exists yet (BOOTSTRAP_ADMIN_EMAIL/PASSWORD, from a Secret in Kubernetes).
  const created = await services.users
    .bootstrapAdmin(config.BOOTSTRAP_ADMIN_EMAIL, config.BOOTSTRAP_ADMIN_PASSWORD)
    .catch((error: unknown) => {
      logger.error({ err: error }, 'the bootstrap admin could not be created');
      return null;
    });
  if (created) logger.info({ user_id: created.id, email: created.email }, 'bootstrap admin created');
  starting = false;
});
