import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { TConfig } from '../core/platform/config/env.ts';
import { poolStats } from '../core/platform/db/data-source.ts';
import { anonymous } from '../core/platform/access/index.ts';
import type { TJobQueues as TQueues } from '../core/features.ts';
import type { TServices } from '../core/services.ts';
import { createEventStreams } from './http/event-streams.ts';
import { createStreamLeases } from './http/stream-leases.ts';
import { createSchemaCheck } from '../core/platform/health/health.ts';
import { authenticate, type TResolveActor } from './http/authenticate.ts';
import { shadowingPathMethods, methodNotAllowed } from './http/method-not-allowed.ts';
import { createIdempotency } from './http/idempotency.ts';
import { DASHBOARD_PATH, queueDashboard } from './http/queue-dashboard.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { notFoundHandler, problemHandler } from './http/problem.ts';
import { createRateLimiter, type TRateLimitPolicy } from './http/rate-limit.ts';
import { createAnswerReplay } from './http/replay.ts';
import { DataVersionWatch } from './http/data-version-watch.ts';
import { dataVersionKey } from '../core/platform/cache/versions.ts';
import { requestContext } from './http/request-context.ts';
import { createResponseCache } from './http/response-cache.ts';
import { securityHeaders } from './http/security-headers.ts';
import { generateOpenApiDocument } from './openapi/document.ts';
import { ROUTES } from './routes/index.ts';
import { mountRoutes } from './routes/mount-routes.ts';
import type { TAnyRoute } from './routes/define-route.ts';
import { docsRouter } from './routes/system/system.routes.ts';
import { createLiveHub } from './routes/market/live-hub.ts';
import { createLiveSocket } from './routes/market/market-socket.ts';

export type TAppDeps = {
  config: TConfig;
  logger: Logger;
  /** One line per request; defaults to `logger`. */
  accessLogger?: Logger;
  db: DataSource;
  /** The queue store's fail-fast connection (health, live streams). */
  redis: Redis;
  /** The cache store: cached answers, rate-limit counts, idempotency records (default: `redis`). */
  cacheRedis?: Redis;
  metrics: Registry;
  version: string;
  isShuttingDown: () => boolean;
  /** True until start-up work is done (readiness fails meanwhile); tests start ready. */
  isStarting?: () => boolean;
  queues: TQueues;
  services: TServices;
  /** The routes to serve (default: api/routes/index.ts ROUTES; a test adds a fixture feature's). */
  routes?: readonly TAnyRoute[];
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
  const cacheRedis = deps.cacheRedis ?? redis;
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

  // The data version in memory, announced over pub/sub: a cached answer in memory needs no round trip.
  const versions = new DataVersionWatch(cacheRedis, dataVersionKey(config.REDIS_KEY_PREFIX));
  const limiter = createRateLimiter({
    redis: cacheRedis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    metrics: httpMetrics,
    versions,
  });
  const cache = createResponseCache({
    redis: cacheRedis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    maxAgeSeconds: config.HTTP_MAX_AGE_SECONDS,
    memoryBytes: config.CACHE_MEMORY_MB * 2 ** 20,
    metrics: httpMetrics,
    logger,
    versions,
    onPublicAnswer: (req, res, cached) => replay.remember(req, res, cached),
  });
  // The client's address as Express computes req.ip (TRUST_PROXY), for what runs outside Express.
  const clientIp = (req: IncomingMessage) =>
    (
      Object.create(app.request, {
        headers: { value: req.headers },
        socket: { value: req.socket },
      }) as express.Request
    ).ip ?? 'unknown';
  const defaultPolicy: TRateLimitPolicy = {
    name: 'default',
    priced: true,
    limit: (actor) =>
      actor.kind === 'anonymous'
        ? config.RATE_LIMIT_PER_MINUTE
        : (config.RATE_LIMIT_ROLE_QUOTAS[actor.role] ?? config.RATE_LIMIT_PER_MINUTE),
  };
  const replay = createAnswerReplay({
    cache,
    versions,
    limiter,
    policy: defaultPolicy,
    clientIp,
    metrics: httpMetrics,
    accessLogger: deps.accessLogger ?? logger,
    maxAgeSeconds: config.HTTP_MAX_AGE_SECONDS,
    isShuttingDown: deps.isShuttingDown,
  });
  // Cached answers the middleware chain has given once are replayed before Express (createHttpServer).
  app.locals.replay = replay.serve;
  const resolveActor: TResolveActor = (request) => deps.services.auth.resolveActor(request);
  // The live market (issue #24): one Redis subscription per process, fanned out to SSE and WebSocket streams.
  const streams = createEventStreams(redis);
  const live = createLiveHub({
    redis,
    streams,
    keyPrefix: config.REDIS_KEY_PREFIX,
    perClient: config.MARKET_STREAMS_PER_CLIENT,
    perReplica: config.MARKET_STREAMS_PER_REPLICA,
    heartbeatSeconds: config.MARKET_STREAM_HEARTBEAT_SECONDS,
    idleSeconds: config.MARKET_STREAM_IDLE_SECONDS,
    isShuttingDown: deps.isShuttingDown,
    metrics,
  });
  // The WebSocket endpoint lives on the HTTP server's `upgrade` event (createHttpServer attaches it).
  app.locals.upgrade = createLiveSocket({
    live,
    resolveActor,
    // The client's address, for the per-client cap.
    clientIp,
  });
  const openApi = generateOpenApiDocument(deps.version);
  const openApiJson = JSON.stringify(openApi);

  app.use(requestContext(deps.accessLogger ?? logger, deps.isShuttingDown));
  app.use(httpMetrics.middleware);
  app.use(securityHeaders());
  app.use(
    DASHBOARD_PATH,
    queueDashboard({
      queues: deps.queues,
      authenticate: authenticate(resolveActor),
      audit: deps.services.audit,
      logger,
      writable: config.QUEUE_DASHBOARD_WRITES,
    }),
  );
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
  api.use(shadowingPathMethods((openApi.paths ?? {}) as Record<string, Record<string, unknown>>));
  api.use(express.json({ limit: config.BODY_LIMIT }));
  app.use('/api/v1', api);
  const defaultLimit = limiter.limit(defaultPolicy);
  const anonymousActor: RequestHandler = (req, res, next) => {
    res.locals.actor = anonymous(req.ip ?? 'unknown', []);
    next();
  };
  mountRoutes(
    { api, app },
    deps.routes ?? ROUTES,
    {
      config,
      services: deps.services,
      system: {
        db,
        redis,
        metrics,
        version: deps.version,
        openApiJson,
        isShuttingDown: deps.isShuttingDown,
        isStarting: deps.isStarting ?? (() => false),
        streams,
        live,
        streamLeases: createStreamLeases({
          redis,
          keyPrefix: config.REDIS_KEY_PREFIX,
          max: config.ALERT_STREAMS_PER_USER,
          // Renewed at every re-check; a replica that dies leaves leases that run out after three missed ones.
          leaseMs: Math.max(3 * config.ALERT_STREAM_RECHECK_SECONDS, 30) * 1000,
        }),
        schemaCheck: createSchemaCheck(db),
      },
    },
    {
      cache,
      authenticate: authenticate(resolveActor),
      anonymous: anonymousActor,
      defaultLimit,
      idempotency: createIdempotency({
        redis: cacheRedis,
        keyPrefix: config.REDIS_KEY_PREFIX,
        maxBodyBytes: config.IDEMPOTENCY_MAX_BODY_BYTES,
      }),
      csvLimit: config.IMPORT_BODY_LIMIT,
      deadlineMs: config.REQUEST_DEADLINE_MS,
      limits: {
        sync: limiter.limit({ name: 'sync', limit: config.SYNC_RATE_LIMIT_PER_MINUTE }),
        // Each login costs an argon2 hash (about 30 ms of CPU): a tight budget per client for the auth routes.
        auth: limiter.limit({ name: 'auth', limit: config.AUTH_RATE_LIMIT_PER_MINUTE }),
      },
    },
  );
  // Requests no API route took (unknown paths, other methods) still count against the client's budget.
  api.use(anonymousActor, defaultLimit);
  app.use(docsRouter());
  app.use(
    methodNotAllowed((openApi.paths ?? {}) as Record<string, Record<string, unknown>>, { '/docs': ['get'] }),
  );
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}
