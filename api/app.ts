import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import cors from 'cors';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { TConfig } from '../core/platform/config/env.ts';
import { poolStats } from '../core/platform/db/data-source.ts';
import { createJobService } from '../core/jobs/index.ts';
import type { TQueues } from '../core/jobs/index.ts';
import {
  createCryptocurrencyRepository,
  createMarketSource,
  createMarketService,
} from '../core/market/index.ts';
import { createRiskRepository, createRiskService } from '../core/risk/index.ts';
import { requireAdmin } from './http/admin-auth.ts';
import { methodNotAllowed } from './http/method-not-allowed.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { notFoundHandler, problemHandler } from './http/problem.ts';
import { createRateLimiter } from './http/rate-limit.ts';
import { requestContext } from './http/request-context.ts';
import { createResponseCache } from './http/response-cache.ts';
import { securityHeaders } from './http/security-headers.ts';
import { generateOpenApiDocument } from './openapi/document.ts';
import { cryptocurrenciesRouter } from './routes/market/market.routes.ts';
import { jobsRouter, registerSyncRoute } from './routes/jobs/jobs.routes.ts';
import { riskRouter } from './routes/risk/risk.routes.ts';
import { systemRouter } from './routes/system/system.routes.ts';

export type TAppDeps = {
  config: TConfig;
  logger: Logger;
  /** One line per request; defaults to `logger`. */
  accessLogger?: Logger;
  db: DataSource;
  redis: Redis;
  metrics: Registry;
  version: string;
  isShuttingDown: () => boolean;
  queues: TQueues;
};

/** Parses TRUST_PROXY the way Express understands it: boolean, hop count, or address/CIDR list. */
function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** The Express application without listen(): tests and main.ts both build it from real dependencies. */
export function buildApp(deps: TAppDeps): Express {
  const { config, logger, db, redis, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(config.TRUST_PROXY));
  app.set('etag', false); // the response cache sets strong ETags itself
  app.set('query parser', 'simple');

  const httpMetrics = createHttpMetrics(metrics);
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'],
    registers: [metrics],
    collect() {
      const stats = poolStats(db);
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  const limiter = createRateLimiter({ redis, keyPrefix: config.REDIS_KEY_PREFIX, metrics: httpMetrics });
  const cache = createResponseCache({
    redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    maxAgeSeconds: config.HTTP_MAX_AGE_SECONDS,
    memoryBytes: config.CACHE_MEMORY_MB * 2 ** 20,
    metrics: httpMetrics,
    logger,
  });
  const market = createMarketService({ coins: createCryptocurrencyRepository(db) });
  const jobs = createJobService({ queues: deps.queues });
  const risk = createRiskService({ risk: createRiskRepository(db) });
  const openApi = generateOpenApiDocument(deps.version);
  const openApiJson = JSON.stringify(openApi);

  app.use(requestContext(deps.accessLogger ?? logger, deps.isShuttingDown));
  app.use(httpMetrics.middleware);
  app.use('/admin/queues', requireAdmin(config.ADMIN_TOKEN), queueDashboard(deps.queues));
  app.use(securityHeaders());
  app.use(
    cors({
      origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
      // One string rather than a list, which the cors package would join again on every request.
      exposedHeaders: [
        'X-Request-Id',
        'X-Cache',
        'ETag',
        'Retry-After',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
        'RateLimit-Policy',
      ].join(','),
    }),
  );

  // The API first: it carries nearly all traffic, so its requests skip the system routes' matching.
  const api = express.Router();
  api.use(express.json({ limit: config.BODY_LIMIT }));
  api.use(limiter.limit({ name: 'default', limit: config.RATE_LIMIT_PER_MINUTE }));
  registerSyncRoute(api, {
    jobs,
    limit: limiter.limit({ name: 'sync', limit: config.SYNC_RATE_LIMIT_PER_MINUTE }),
  });
  api.use('/cryptocurrencies', cryptocurrenciesRouter({ market, cache }));
  api.use('/jobs', jobsRouter({ jobs }));
  api.use('/risk', riskRouter({ risk, cache }));
  app.use('/api/v1', api);

  app.use(
    systemRouter({
      db,
      redis,
      metrics,
      version: deps.version,
      openApiJson,
      isShuttingDown: deps.isShuttingDown,
      marketSource: createMarketSource({ db, provider: config.MARKET_DATA_PROVIDER }),
    }),
  );
  app.use(
    methodNotAllowed((openApi.paths ?? {}) as Record<string, Record<string, unknown>>, { '/docs': ['get'] }),
  );
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}

/** Bull Board for operators; it ships its own UI assets and inline bootstrapping, so no CSP from helmet here. */
function queueDashboard(queues: TQueues) {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({
    queues: Object.values(queues.queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })),
    serverAdapter,
  });
  return serverAdapter.getRouter();
}
