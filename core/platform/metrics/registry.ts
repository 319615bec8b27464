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

const OPENMETRICS = Registry.OPENMETRICS_CONTENT_TYPE;
const scrapes = new WeakMap<Registry, Promise<unknown>>();

/**
 * /metrics: the OpenMetrics text format (with exemplars) when the scraper's Accept header asks for
 * application/openmetrics-text, as Prometheus does when it stores exemplars; the Prometheus text format
 * otherwise. prom-client renders OpenMetrics by switching the registry's content type and renaming its
 * counters (dropping `_total`) in place, so an OpenMetrics scrape puts both back afterwards, and scrapes
 * of one registry take turns.
 */
export function renderMetrics(
  registry: Registry,
  accept: string | undefined,
): Promise<{ contentType: string; body: string }> {
  const openMetrics = (accept ?? '').includes('application/openmetrics-text');
  const render = async () => {
    if (!openMetrics) return { contentType: registry.contentType, body: await registry.metrics() };
    const metrics = registry.getMetricsAsArray() as unknown as { name: string }[];
    const names = metrics.map((metric) => metric.name);
    const previous = registry.contentType;
    const switchable = registry as unknown as { setContentType(type: string): void };
    switchable.setContentType(OPENMETRICS);
    try {
      return { contentType: OPENMETRICS, body: await registry.metrics() };
    } finally {
      switchable.setContentType(previous);
      metrics.forEach((metric, index) => (metric.name = names[index]!));
    }
  };
  const turn = (scrapes.get(registry) ?? Promise.resolve()).then(render);
  scrapes.set(
    registry,
    turn.catch(() => undefined),
  );
  return turn;
}
