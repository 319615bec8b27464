import type { Server } from 'node:http';
import os from 'node:os';
import { KubeConfig, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { loadConfigOrExit } from '../core/platform/config/env.ts';
import { exitOnListenError } from '../core/platform/config/listen-error.ts';
import { onShutdown, startProbeServer } from '../core/platform/lifecycle/index.ts';
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

const isShuttingDown = onShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  starting: 'shutting down: finishing the reconcile in progress, releasing the lease',
  timedOut: 'the reconcile in progress did not finish in time; exiting (the lease expires by itself)',
  drain: async () => {
    await operator.shutdown();
    await new Promise((resolve) => (probes ? probes.close(resolve) : resolve(undefined)));
  },
});
let probes: Server | undefined = undefined;
probes = await startProbeServer({
  port: config.OPERATOR_PORT,
  host: config.HOST,
  metrics: registry,
  readiness: () => {
    const ready = !isShuttingDown() && operator.isReady();
    return { ready, body: { status: ready ? 'ok' : 'unavailable', leader: operator.isLeader() } };
  },
}).catch((error: NodeJS.ErrnoException) =>
  exitOnListenError(error, 'OPERATOR_PORT', config.HOST, config.OPERATOR_PORT),
);
logger.info(
  { port: config.OPERATOR_PORT, namespace: config.OPERATOR_NAMESPACE, identity },
  'operator running',
);
operator.start();
