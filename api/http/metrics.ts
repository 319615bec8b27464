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

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    // The server span is active now; 'close' fires outside its context.
    const traceId = exemplars ? sampledTraceId() : undefined;
    inFlight.inc();
    res.on('close', () => {
      inFlight.dec();
      const route = typeof res.locals.route === 'string' && res.locals.route ? res.locals.route : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (!exemplars) duration.observe(labels, seconds);
      else
        duration.observe({
          labels,
          value: seconds,
          exemplarLabels: (traceId ? { trace_id: traceId } : {}) as LabelValues<string>,
        });
      requests.inc(labels);
    });
    next();
  };

  return { middleware, cacheLookups, cacheLoads, rateLimited, rateLimitFallback };
}
