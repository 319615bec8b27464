import { Router, type Request } from 'express';
import { can } from '../../../core/platform/access/index.ts';
import swaggerUi from 'swagger-ui-express';
import { checkDatabase, checkRedis } from '../../../core/platform/health/health.ts';
import { renderMetrics } from '../../../core/platform/metrics/registry.ts';
import { defineRoute } from '../define-route.ts';
import type { TRouteDeps } from '../route-deps.ts';
import { ZHealth, ZProbe, ZRoot } from './system.schemas.ts';

const tags = ['System'];
const started = Date.now();

/** Whether the request carries credentials holding jobs:admin; anything else (none, invalid) is the public view. */
async function mayReadDetails(deps: TRouteDeps, req: Request): Promise<boolean> {
  const authorization = req.get('authorization');
  const apiKey = req.get('x-api-key');
  if (!authorization && !apiKey) return false;
  try {
    const actor = await deps.services.auth.resolveActor({ authorization, apiKey, ip: req.ip ?? 'unknown' });
    return can(actor, 'jobs:admin');
  } catch {
    return false;
  }
}

/** Health, probes, metrics and the documents: no authentication at all (permission null). */
export const systemRoutes = [
  defineRoute({
    method: 'get',
    path: '/',
    tags,
    summary: 'API name, version, links and where the market data comes from',
    permission: null,
    response: { status: 200, description: 'Service description', schema: ZRoot },
    handler: async ({ deps }) => ({
      name: 'trading-backend',
      version: deps.system.version,
      description: 'Cryptocurrency market data, risk assessment and portfolio management API',
      links: {
        docs: '/docs',
        openapi: '/openapi.json',
        health: '/health',
        cryptocurrencies: '/api/v1/cryptocurrencies/',
      },
      attribution: 'Data provided by CoinGecko',
      market_data: await deps.services.marketSource(),
    }),
  }),
  defineRoute({
    method: 'get',
    path: '/health',
    tags,
    summary: 'Dependency health',
    description:
      '200 when PostgreSQL and Redis are both up, 503 otherwise. Anyone sees up or down per dependency; ' +
      'a caller whose credentials hold jobs:admin (operators) also sees the version, uptime, latencies and ' +
      'the dependencies’ own error messages. Credentials are optional here: invalid ones get the public answer.',
    permission: null,
    response: { status: 200, description: 'All dependencies up', schema: ZHealth },
    otherResponses: {
      503: { description: 'A dependency is down', content: { 'application/json': { schema: ZHealth } } },
    },
    handler: async ({ deps, req, res }) => {
      const { db, redis, version, isShuttingDown } = deps.system;
      const [database, cache, market, detailed] = await Promise.all([
        checkDatabase(db),
        checkRedis(redis),
        deps.services.marketSource(),
        mayReadDetails(deps, req),
      ]);
      const allUp = database.status === 'up' && cache.status === 'up';
      if (!allUp || isShuttingDown()) res.status(503);
      const status = isShuttingDown()
        ? ('shutting_down' as const)
        : allUp
          ? ('ok' as const)
          : ('degraded' as const);
      // Error texts name hosts, ports and users of the dependencies: not for the public internet.
      if (!detailed)
        return {
          status,
          checks: { database: { status: database.status }, redis: { status: cache.status } },
          market_data: market,
        };
      return {
        status,
        version,
        uptime_seconds: Math.round((Date.now() - started) / 1000),
        checks: { database, redis: cache },
        market_data: market,
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/livez',
    tags,
    summary: 'Liveness probe (the process only)',
    permission: null,
    response: { status: 200, description: 'The process is alive', schema: ZProbe },
    handler: async () => ({ status: 'ok' as const }),
  }),
  defineRoute({
    method: 'get',
    path: '/readyz',
    tags,
    summary: 'Readiness probe',
    description:
      '503 while starting (until start-up work such as the bootstrap admin is done), while shutting down, ' +
      'when PostgreSQL is unreachable, or while migrations are not applied yet. Redis is reported but not required: ' +
      'without it the API serves from PostgreSQL and limits from process memory.',
    permission: null,
    response: { status: 200, description: 'Ready', schema: ZProbe },
    otherResponses: {
      503: { description: 'Not ready', content: { 'application/json': { schema: ZProbe } } },
    },
    handler: async ({ deps, res }) => {
      if (deps.system.isShuttingDown()) {
        res.status(503);
        return { status: 'shutting_down' as const };
      }
      if (deps.system.isStarting()) {
        res.status(503);
        return { status: 'starting' as const };
      }
      const [database, cache, schema] = await Promise.all([
        checkDatabase(deps.system.db),
        checkRedis(deps.system.redis),
        deps.system.schemaCheck(),
      ]);
      const ready = database.status === 'up' && schema.status === 'up';
      if (!ready) res.status(503);
      // The dependencies' own error texts stay out of probe answers (/health shows them to operators).
      const { error: _database, ...databaseCheck } = database;
      const { error: _redis, ...redisCheck } = cache;
      return {
        status: ready ? ('ok' as const) : ('unavailable' as const),
        checks: { database: databaseCheck, schema, redis: redisCheck },
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/metrics',
    tags,
    summary: 'Prometheus metrics',
    permission: null,
    response: {
      status: 200,
      description: 'Prometheus text format; OpenMetrics (with exemplars) when the Accept header asks for it',
      content: {
        'text/plain': { schema: { type: 'string' } },
        'application/openmetrics-text': { schema: { type: 'string' } },
      },
    },
    handler: async ({ deps, req, res }) => {
      const { contentType, body } = await renderMetrics(deps.system.metrics, req.get('accept'));
      res.type(contentType).send(body);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/openapi.json',
    tags,
    summary: 'This OpenAPI 3.1 document',
    permission: null,
    response: {
      status: 200,
      description: 'OpenAPI document',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
    handler: async ({ deps, res }) => {
      res.type('application/json').send(deps.system.openApiJson);
    },
  }),
];

/** The interactive documentation (Swagger UI over /openapi.json): an HTML page, outside the API contract. */
export function docsRouter(): Router {
  const router = Router();
  const docsPage = swaggerUi.setup(undefined, {
    customSiteTitle: 'trading-backend API',
    swaggerOptions: { url: '/openapi.json', displayRequestDuration: true, persistAuthorization: true },
  });
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', (req, res, next) => {
    res.locals.route = '/docs';
    docsPage(req, res, next);
  });
  return router;
}
