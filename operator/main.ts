import http from 'node:http';
import os from 'node:os';
import { KubeConfig, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { loadConfigOrExit } from '../core/platform/config/env.ts';
import { exitOnListenError } from '../core/platform/config/listen-error.ts';
import { createLogger } from '../core/platform/logging/logger.ts';
import { createMetricsRegistry } from '../core/platform/metrics/registry.ts';
import { createOperator } from './operator.ts';

// The operator seals nothing and signs nothing: it needs no SECRET_KEY (its pod mounts no app Secret).
const config = loadConfigOrExit({ secretKey: 'unused' });
const logger = createLogger({ level: config.LOG_LEVEL, name: 'trading-backend-operator' });
const registry = createMetricsRegistry();
const kubeConfig = new KubeConfig();
if (config.KUBECONFIG) kubeConfig.loadFromFile(config.KUBECONFIG);
else kubeConfig.loadFromCluster();

const identity = config.OPERATOR_IDENTITY ?? `${os.hostname()}-${process.pid}`;
const operator = createOperator({
  kubeConfig,
  namespace: config.OPERATOR_NAMESPACE,
  identity,
  leaseName: config.OPERATOR_LEASE_NAME,
  leaseSeconds: config.OPERATOR_LEASE_SECONDS,
  template: config.OPERATOR_TRIGGER_TEMPLATE as unknown as V1PodTemplateSpec,
  registry,
  log: (level, message, details) => logger[level](details ?? {}, message),
});

let shuttingDown = false;
const server = http.createServer(async (req, res) => {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/livez') return send(200, { status: 'ok' });
  if (req.url === '/readyz') {
    const ready = !shuttingDown && operator.isReady();
    return send(ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', leader: operator.isLeader() });
  }
  if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': registry.contentType });
    return res.end(await registry.metrics());
  }
  return send(404, { status: 404, title: 'Not Found' });
});
server.on('error', (error: NodeJS.ErrnoException) =>
  exitOnListenError(error, 'OPERATOR_PORT', config.HOST, config.OPERATOR_PORT),
);
server.listen(config.OPERATOR_PORT, config.HOST, () => {
  logger.info(
    { port: config.OPERATOR_PORT, namespace: config.OPERATOR_NAMESPACE, identity },
    'operator running',
  );
  operator.start();
});

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down: finishing the reconcile in progress, releasing the lease');
  const force = setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS).unref();
  await operator.shutdown();
  await new Promise((resolve) => server.close(resolve));
  clearTimeout(force);
  logger.flush?.();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
