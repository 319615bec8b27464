import http from 'node:http';
import type { Registry } from 'prom-client';
import { renderMetrics } from '../metrics/registry.ts';

/** What /readyz answers: 200 when `ready`, else 503, with `body` either way. */
export type TReadiness = { ready: boolean; body: Record<string, unknown> };

/**
 * The small HTTP server of the roots without an API (the worker, the operator): /livez, /readyz and
 * /metrics. Resolves once listening; a listen error (port taken) rejects.
 */
export function startProbeServer(deps: {
  port: number;
  host: string;
  metrics: Registry;
  readiness: () => Promise<TReadiness> | TReadiness;
}): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.url === '/livez') return send(200, { status: 'ok' });
      if (req.url === '/readyz') {
        const { ready, body } = await deps.readiness();
        return send(ready ? 200 : 503, body);
      }
      if (req.url === '/metrics') {
        const { contentType, body } = await renderMetrics(deps.metrics, req.headers.accept);
        res.writeHead(200, { 'content-type': contentType });
        return res.end(body);
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
