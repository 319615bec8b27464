import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, type LabelValues, type Registry } from 'prom-client';
import { sampledTraceId, tracingEnabled } from '../../core/platform/tracing/index.ts';

export type THttpMetrics = ReturnType<typeof createHttpMetrics>;

/** HTTP, cache and rate-limit metrics; route labels are templates, never raw URLs (bounded cardinality). */
export function createHttpMetrics(registry: Registry) {
  // With tracing on, each bucket keeps the trace id of a recent sampled request as its exemplar (shown
  // on /metrics in the OpenMetrics format, which Prometheus asks for when it stores exemplars).
  const exemplars = tracingEnabled();
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    // prom-client refuses exemplars on a registry in the Prometheus format; this one switches per scrape
    // (renderMetrics), so the histogram is registered by hand.
    registers: exemplars ? [] : [registry],
    enableExemplars: exemplars,
  });
  if (exemplars) registry.registerMetric(duration);
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [registry],
  });
  const cacheLookups = new Counter({
    name: 'http_cache_lookups_total',
    help: 'Response cache lookups by route and result (hit, miss, error)',
    labelNames: ['route', 'result'],
    registers: [registry],
  });
  const cacheLoads = new Counter({
    name: 'http_cache_loads_total',
    help: 'Times a cached response was computed from PostgreSQL',
    labelNames: ['route'],
    registers: [registry],
  });
  const cacheReplays = new Counter({
    name: 'http_cache_replays_total',
    help: 'Cached answers replayed before the framework (api/http/replay.ts), by route',
    labelNames: ['route'],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'http_rate_limit_rejections_total',
    help: 'Requests rejected by the rate limiter, by policy',
    labelNames: ['policy'],
    registers: [registry],
  });
  const rateLimitFallback = new Counter({
    name: 'http_rate_limit_fallback_total',
    help: 'Rate-limit decisions taken from process memory because Redis was unavailable',
    registers: [registry],
  });

  // Each method, route and status gets its label object and prom-client children once, not one per
  // request. An exemplar-enabled histogram has no children: it is observed with its labels.
  type TSeries = {
    labels: LabelValues<string>;
    duration: { observe(value: number): void };
    requests: { inc(): void };
  };
  const series = new Map<string, TSeries>();
  const MAX_SERIES = 10_000; // routes are templates and methods few; this only bounds a surprise
  function seriesOf(method: string, route: string, status: number): TSeries {
    const key = `${method} ${status} ${route}`;
    let found = series.get(key);
    if (!found) {
      if (series.size >= MAX_SERIES) series.clear();
      const labels = { method, route, status: String(status) };
      found = {
        labels,
        duration: exemplars ? { observe: () => undefined } : duration.labels(labels),
        requests: requests.labels(labels),
      };
      series.set(key, found);
    }
    return found;
  }

  /**
   * A request that began at `started` has been answered: its duration and status (with tracing on, the
   * trace id of the request, taken while its span was active, as the bucket's exemplar).
   */
  function observe(method: string, route: string, status: number, started: bigint, traceId?: string): void {
    const found = seriesOf(method, route, status);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!exemplars) found.duration.observe(seconds);
    else
      duration.observe({
        labels: found.labels,
        value: seconds,
        exemplarLabels: (traceId ? { trace_id: traceId } : {}) as LabelValues<string>,
      });
    found.requests.inc();
  }

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    // The server span is active now; 'close' fires outside its context.
    const traceId = exemplars ? sampledTraceId() : undefined;
    inFlight.inc();
    res.on('close', () => {
      inFlight.dec();
      const route = typeof res.locals.route === 'string' && res.locals.route ? res.locals.route : 'unmatched';
      observe(req.method, route, res.statusCode, started, traceId);
    });
    next();
  };

  return { middleware, observe, cacheLookups, cacheReplays, cacheLoads, rateLimited, rateLimitFallback };
}
