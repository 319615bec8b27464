import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One Prometheus registry per process, with the Node.js process metrics (event-loop lag included).
 * No default labels: Prometheus adds job, namespace and pod, and a `service` label would collide with
 * the one the Prometheus operator sets.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}
