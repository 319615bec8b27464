import { collectDefaultMetrics, Registry } from 'prom-client';

/** One Prometheus registry per process, with the Node.js process metrics (event-loop lag included). */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}
