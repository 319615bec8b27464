import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './processes.ts';

/** One span as the collector forwards it (OTLP JSON), with its service. */
export type TSpan = {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
};

type TOtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type TOtlpAttribute = { key: string; value: TOtlpValue };
type TOtlpTraces = {
  resourceSpans?: {
    resource?: { attributes?: TOtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: TOtlpAttribute[];
      }[];
    }[];
  }[];
};

const valueOf = (value: TOtlpValue): unknown =>
  value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
const attributesOf = (list: TOtlpAttribute[] = []) =>
  Object.fromEntries(list.map((attribute) => [attribute.key, valueOf(attribute.value)]));

/**
 * A real OpenTelemetry Collector (scripts/otel-collector.sh, TEST_OTELCOL_BIN) receiving OTLP/HTTP on a
 * free port, whose OTLP/HTTP exporter (JSON encoding) sends every batch on to a local HTTP server here:
 * the tests read the spans as a tracing backend would get them.
 */
export async function startOtelCollector(): Promise<{
  endpoint: string;
  spans: () => TSpan[];
  waitFor: (predicate: (spans: TSpan[]) => boolean, timeoutMs?: number) => Promise<TSpan[]>;
  close: () => Promise<void>;
}> {
  const binary = process.env.TEST_OTELCOL_BIN;
  if (!binary)
    throw new Error('TEST_OTELCOL_BIN is not set: run the tests with npm test (scripts/otel-collector.sh)');
  const received: TSpan[] = [];
  const sink: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as TOtlpTraces;
      for (const resource of body.resourceSpans ?? []) {
        const service = String(attributesOf(resource.resource?.attributes)['service.name'] ?? '');
        for (const scope of resource.scopeSpans ?? [])
          for (const span of scope.spans ?? [])
            received.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkPort = (sink.address() as AddressInfo).port;
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'otelcol-'));
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
processors:
  batch:
    timeout: 200ms
exporters:
  otlp_http:
    endpoint: http://127.0.0.1:${sinkPort}
    encoding: json
    compression: none
    retry_on_failure:
      enabled: false
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp_http]
`,
  );
  let output = '';
  const child: ChildProcess = spawn(binary, ['--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  // Ready when the OTLP receiver answers (an empty export is a valid request).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the collector did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    spans: () => [...received],
    async waitFor(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (predicate(received)) return [...received];
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(
        `the spans never matched; ${received.length} received:\n${received.map((span) => `${span.service} ${span.name}`).join('\n')}\ncollector output:\n${output}`,
      );
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
      sink.closeAllConnections();
      await new Promise((resolve) => sink.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
