import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import swaggerUi from 'swagger-ui-express';
import type { DataSource } from 'typeorm';
import { checkDatabase, checkRedis } from '../../../core/platform/health/health.ts';
import type { TMarketSource } from '../../../core/market/index.ts';
import { validate } from '../../http/validate.ts';
import { problemResponses, registry } from '../../openapi/registry.ts';
import { ZHealth, ZProbe, ZRoot } from './system.schemas.ts';

const json = (schema: typeof ZHealth | typeof ZProbe | typeof ZRoot, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

registry.registerPath({
  method: 'get',
  path: '/',
  tags: ['System'],
  summary: 'API name, version and links',
  responses: { 200: json(ZRoot, 'Service description'), 400: problemResponses[400] },
});
registry.registerPath({
  method: 'get',
  path: '/health',
  tags: ['System'],
  summary: 'Dependency health',
  description: '200 when PostgreSQL and Redis are both up, 503 otherwise.',
  responses: {
    200: json(ZHealth, 'All dependencies up'),
    400: problemResponses[400],
    503: json(ZHealth, 'A dependency is down'),
  },
});
registry.registerPath({
  method: 'get',
  path: '/livez',
  tags: ['System'],
  summary: 'Liveness probe (the process only)',
  responses: { 200: json(ZProbe, 'The process is alive'), 400: problemResponses[400] },
});
registry.registerPath({
  method: 'get',
  path: '/readyz',
  tags: ['System'],
  summary: 'Readiness probe',
  description:
    '503 while shutting down or when PostgreSQL is unreachable. Redis is reported but not required: ' +
    'without it the API serves from PostgreSQL and limits from process memory.',
  responses: { 200: json(ZProbe, 'Ready'), 400: problemResponses[400], 503: json(ZProbe, 'Not ready') },
});
registry.registerPath({
  method: 'get',
  path: '/metrics',
  tags: ['System'],
  summary: 'Prometheus metrics',
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
    400: problemResponses[400],
  },
});
registry.registerPath({
  method: 'get',
  path: '/openapi.json',
  tags: ['System'],
  summary: 'This OpenAPI 3.1 document',
  responses: {
    200: { description: 'OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } },
    400: problemResponses[400],
  },
});

export type TSystemDeps = {
  db: DataSource;
  redis: Redis;
  metrics: Registry;
  version: string;
  openApiJson: string;
  isShuttingDown: () => boolean;
  marketSource: () => Promise<TMarketSource>;
};

export function systemRouter(deps: TSystemDeps): Router {
  const { db, redis, metrics, version, openApiJson, isShuttingDown } = deps;
  const router = Router();
  const started = Date.now();
  const noQuery = validate({});

  router.get('/', noQuery, async (_req, res) => {
    res.locals.route = '/';
    res.json({
      name: 'trading-backend',
      version,
      description: 'Cryptocurrency market data, risk assessment and portfolio management API',
      links: {
        docs: '/docs',
        openapi: '/openapi.json',
        health: '/health',
        cryptocurrencies: '/api/v1/cryptocurrencies/',
      },
      attribution: 'Data provided by CoinGecko',
      market_data: await deps.marketSource(),
    });
  });

  router.get('/health', noQuery, async (_req, res) => {
    res.locals.route = '/health';
    const [database, cache, market] = await Promise.all([
      checkDatabase(db),
      checkRedis(redis),
      deps.marketSource(),
    ]);
    const allUp = database.status === 'up' && cache.status === 'up';
    res.setHeader('Cache-Control', 'no-store');
    res.status(allUp && !isShuttingDown() ? 200 : 503).json({
      status: isShuttingDown() ? 'shutting_down' : allUp ? 'ok' : 'degraded',
      version,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
      checks: { database, redis: cache },
      market_data: market,
    });
  });

  router.get('/livez', noQuery, (_req, res) => {
    res.locals.route = '/livez';
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });

  router.get('/readyz', noQuery, async (_req, res) => {
    res.locals.route = '/readyz';
    res.setHeader('Cache-Control', 'no-store');
    if (isShuttingDown()) {
      res.status(503).json({ status: 'shutting_down' });
      return;
    }
    const [database, cache] = await Promise.all([checkDatabase(db), checkRedis(redis)]);
    res.status(database.status === 'up' ? 200 : 503).json({
      status: database.status === 'up' ? 'ok' : 'unavailable',
      checks: { database, redis: cache },
    });
  });

  router.get('/metrics', noQuery, async (_req, res) => {
    res.locals.route = '/metrics';
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  router.get('/openapi.json', noQuery, (_req, res) => {
    res.locals.route = '/openapi.json';
    res.type('application/json').send(openApiJson);
  });

  const docsPage = swaggerUi.setup(undefined, {
    customSiteTitle: 'trading-backend API',
    swaggerOptions: { url: '/openapi.json', displayRequestDuration: true },
  });
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', (req, res, next) => {
    res.locals.route = '/docs';
    docsPage(req, res, next);
  });
  return router;
}
