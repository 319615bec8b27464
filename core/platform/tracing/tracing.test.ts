import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { context, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';
import {
  activeTraceFields,
  flushTracing,
  inConsumerSpan,
  inProducerSpan,
  markTracingStarted,
  sampledTraceId,
  tracingEnabled,
} from './index.ts';

// The helpers the code base calls (index.ts) with an in-memory SDK: no instrumentation, no export.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

test('When tracing is off, then the helpers run the work as is and add nothing', async () => {
  expect(tracingEnabled()).toBe(false);
  expect(activeTraceFields()).toBeUndefined();
  expect(sampledTraceId()).toBeUndefined();
  expect(await inProducerSpan('sync-markets', async (metadata) => metadata)).toBeUndefined();
  const job = { queue: 'sync-markets', id: 'j1', attempt: 1, metadata: undefined };
  expect(await inConsumerSpan(job, async () => 'done')).toBe('done');
  await flushTracing();
});

describe('with tracing on', () => {
  beforeAll(() => {
    provider.register();
    markTracingStarted(() => provider.forceFlush());
  });
  afterAll(async () => {
    await provider.shutdown();
  });

  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId ?? '';

  test('When a job is enqueued inside a span and processed, then the consumer span is the child of the producer span, which is the child of the caller', async () => {
    exporter.reset();
    const tracer = trace.getTracer('test');
    const metadata = await tracer.startActiveSpan('POST /sync', async (request) => {
      expect(activeTraceFields()).toEqual({
        trace_id: request.spanContext().traceId,
        span_id: request.spanContext().spanId,
      });
      expect(sampledTraceId()).toBe(request.spanContext().traceId);
      const sent = await inProducerSpan('sync-markets', async (carried) => carried);
      request.end();
      return sent;
    });
    expect(JSON.parse(metadata!)).toMatchObject({ traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-/) });
    // The worker side: no active context, only the job's metadata.
    const job = { queue: 'sync-markets', id: 'sync-markets-1', attempt: 2, metadata };
    const inside = await context.with(context.active(), () =>
      inConsumerSpan(job, async () => activeTraceFields()),
    );
    await flushTracing();
    const [request, publish, process] = ['POST /sync', 'sync-markets publish', 'sync-markets process'].map(
      (name) => spans().find((span) => span.name === name)!,
    );
    expect(parentOf(publish!)).toBe(request!.spanContext().spanId);
    expect(parentOf(process!)).toBe(publish!.spanContext().spanId);
    expect(process!.spanContext().traceId).toBe(request!.spanContext().traceId);
    expect(inside).toEqual({
      trace_id: process!.spanContext().traceId,
      span_id: process!.spanContext().spanId,
    });
    expect(process!.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.message.id': 'sync-markets-1',
      'bullmq.job.attempt': 2,
    });
  });

  test('When a job carries no or unreadable metadata, then its processing starts a trace of its own', async () => {
    exporter.reset();
    for (const metadata of [undefined, 'not json', JSON.stringify({ other: 1 }), 'x'.repeat(2000)])
      await inConsumerSpan(
        { queue: 'evaluate-alerts', id: 'e', attempt: 1, metadata },
        async () => undefined,
      );
    expect(spans()).toHaveLength(4);
    for (const span of spans()) expect(parentOf(span)).toBe('');
  });

  test('When the work fails, then the span records the error and the failure goes on to the caller', async () => {
    exporter.reset();
    await expect(
      inConsumerSpan({ queue: 'deliver-webhook', id: 'd', attempt: 1, metadata: undefined }, async () => {
        throw new Error('receiver down');
      }),
    ).rejects.toThrow('receiver down');
    await expect(
      inProducerSpan('deliver-webhook', async () => {
        throw new Error('redis down');
      }),
    ).rejects.toThrow('redis down');
    expect(spans().map((span) => [span.name, span.status.code, span.events[0]?.name])).toEqual([
      ['deliver-webhook process', 2, 'exception'],
      ['deliver-webhook publish', 2, 'exception'],
    ]);
  });
});
