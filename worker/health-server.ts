import http from 'node:http';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { checkDatabase, checkRedis } from '../core/platform/health/health.ts';

/** The worker's own small HTTP server: /livez, /readyz (PostgreSQL + Redis, not draining) and /metrics. */
export function startHealthServer(deps: {
  port: number;
  host: string;
  db: DataSource;
  redis: Redis;
  metrics: Registry;
  isShuttingDown: () => boolean;
}): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.url === '/livez') return send(200, { status: 'ok' });
      if (req.url === '/readyz') {
        if (deps.isShuttingDown()) return send(503, { status: 'shutting_down' });
        const [database, redis] = await Promise.all([checkDatabase(deps.db), checkRedis(deps.redis)]);
        const up = database.status === 'up' && redis.status === 'up';
        return send(up ? 200 : 503, { status: up ? 'ok' : 'unavailable', checks: { database, redis } });
      }
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': deps.metrics.contentType });
        return res.end(await deps.metrics.metrics());
      }
      return send(404, { status: 404, title: 'Not Found' });
    } catch (error) {
      return send(500, { status: 500, title: 'Internal Server Error', detail: (error as Error).message });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
