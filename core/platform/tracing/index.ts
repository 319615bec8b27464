import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
} from '@opentelemetry/api';

// What the rest of the code base sees of tracing (issue #26): the OpenTelemetry API only, which is a
// no-op until the SDK (./sdk.ts, loaded by the preload ./register.ts when OTEL_EXPORTER_OTLP_ENDPOINT is
// set) registers itself. Every helper returns at once while tracing is off, so the off state costs a
// boolean test per call.

let enabled = false;
let flushSpans: () => Promise<void> = async () => undefined;

/** Called by the SDK once it is registered. */
export function markTracingStarted(flush: () => Promise<void>): void {
  enabled = true;
  flushSpans = flush;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** Exports the spans still buffered (shutdown calls it before the process exits). */
export async function flushTracing(): Promise<void> {
  if (enabled) await flushSpans().catch(() => undefined);
}

export type TTraceFields = { trace_id: string; span_id: string };

/** The active span's ids, for log lines (sampled or not: the ids still tie a request's lines together). */
export function activeTraceFields(): TTraceFields | undefined {
  if (!enabled) return undefined;
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** The active span's trace id when it is sampled (exported): an exemplar must lead to a stored trace. */
export function sampledTraceId(): string | undefined {
  if (!enabled) return undefined;
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return spanContext.traceFlags & TraceFlags.SAMPLED ? spanContext.traceId : undefined;
}

// The HTTP instrumentation keeps the server span in the context under this key (@opentelemetry/core's
// RPC metadata; the API's context keys are Symbol.for(description)); a `route` set on it names the span
// `METHOD /route/template` and fills http.route, as the Express instrumentation does.
const RPC_METADATA = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA');

/** Gives the request's server span its route template (api/http/validate.ts, once the route matched). */
export function setRequestRoute(route: string): void {
  if (!enabled) return;
  const metadata = context.active().getValue(RPC_METADATA) as { route?: string } | undefined;
  if (metadata) metadata.route = route;
}

const tracer = () => trace.getTracer('trading-backend');

/** Runs `work` in `span`, which records a failure and ends either way. */
async function ended<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs `send` (the enqueueing of `name`, one job or a flow) inside a producer span and hands it the W3C
 * trace context (traceparent, tracestate) serialized as BullMQ's telemetry metadata, which the job
 * options carry (`opts.telemetry.metadata`, the field BullMQ's own telemetry interface propagates
 * through; the job data stays the payload). Without tracing, `send` gets undefined and runs as is.
 */
export async function inProducerSpan<T>(
  name: string,
  send: (metadata: string | undefined) => Promise<T>,
): Promise<T> {
  if (!enabled) return send(undefined);
  return tracer().startActiveSpan(
    `${name} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': name,
        'messaging.operation.type': 'send',
      },
    },
    async (span) => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return ended(span, () => send(carrier.traceparent ? JSON.stringify(carrier) : undefined));
    },
  );
}

function parseCarrier(metadata: unknown): Record<string, string> | undefined {
  if (typeof metadata !== 'string' || metadata.length > 1024) return undefined;
  try {
    const carrier = JSON.parse(metadata) as unknown;
    return typeof carrier === 'object' &&
      carrier !== null &&
      typeof (carrier as Record<string, unknown>).traceparent === 'string'
      ? (carrier as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a job's processing inside a consumer span whose parent is the producer span stored with the job
 * (its telemetry metadata) (so a trace goes on from the request or job that enqueued it); a job without one starts a trace.
 */
export async function inConsumerSpan<T>(
  job: { queue: string; id: string; attempt: number; metadata: unknown },
  work: () => Promise<T>,
): Promise<T> {
  if (!enabled) return work();
  const carrier = parseCarrier(job.metadata);
  const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
  const attributes: Attributes = {
    'messaging.system': 'bullmq',
    'messaging.destination.name': job.queue,
    'messaging.message.id': job.id,
    'messaging.operation.type': 'process',
    'bullmq.job.attempt': job.attempt,
  };
  return tracer().startActiveSpan(
    `${job.queue} process`,
    { kind: SpanKind.CONSUMER, attributes },
    parent,
    async (span) => {
      return ended(span, work);
    },
  );
}
