import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { markTracingStarted } from './index.ts';

// The OpenTelemetry SDK, loaded only when tracing is on (./register.ts). Every value comes from the
// config schema (core/platform/config/tracing-config.ts) and is passed explicitly.

/** Probes and scrapes would be most of the spans and say nothing. */
const UNTRACED_PATHS = new Set(['/livez', '/readyz', '/metrics', '/health']);

export function startTracing(options: {
  endpoint: string;
  samplingRatio: number;
  serviceName: string;
  serviceVersion: string;
}): NodeTracerProvider {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
    }),
    // A request or job whose caller sampled it is always followed; a new trace is kept at the ratio.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.samplingRatio) }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: new URL('v1/traces', `${options.endpoint.replace(/\/$/, '')}/`).href }),
        { scheduledDelayMillis: 1000, maxQueueSize: 4096, maxExportBatchSize: 512 },
      ),
    ],
  });
  // The global context manager (AsyncLocalStorage) and the W3C trace-context propagator.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
        // Outgoing calls (webhooks and providers go through fetch, see undici) only inside a trace.
        requireParentforOutgoingSpans: true,
      }),
      // Only inside a trace: BullMQ's polling and the pool's own queries would each start one.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  markTracingStarted(() => provider.forceFlush());
  return provider;
}
