import { collectDefaultMetrics, Registry } from 'prom-client';

// prom-client exports these gauges with a counter-style "_total" suffix, which `promtool check metrics`
// rejects; they add little next to the event-loop and resource metrics, so they are left out.
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * One Prometheus registry per process, with the Node.js process metrics (event-loop lag included).
 * No default labels: Prometheus adds job, namespace and pod, and a `service` label would collide with
 * the one the Prometheus operator sets.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}
