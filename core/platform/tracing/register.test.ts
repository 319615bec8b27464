import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { serviceNameOf } from './register.ts';

const REGISTER = path.join(import.meta.dirname, 'register.ts');
// What the preload left behind: the OpenTelemetry API's global registrations (trace provider, context
// manager, propagator).
const PROBE = `
const api = globalThis[Symbol.for('opentelemetry.js.api.1')] ?? {};
console.log(JSON.stringify(Object.keys(api).filter((key) => key !== 'version').sort()));
`;

function preload(env: Record<string, string>): string[] {
  const result = spawnSync(process.execPath, ['--import', REGISTER, '--input-type=module', '-e', PROBE], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout.trim()) as string[];
}

test('When OTEL_EXPORTER_OTLP_ENDPOINT is unset, then the preload registers nothing; set, it registers the tracer provider, context manager and propagator', () => {
  expect(preload({})).toEqual([]);
  // No span is made here, so nothing is sent to the (closed) port.
  expect(preload({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toEqual([
    'context',
    'propagation',
    'trace',
  ]);
  // An invalid setting leaves tracing off (the root's loadConfig then names it and stops).
  expect(preload({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toEqual([]);
});

test('When a process starts, then its spans are named after its entry', () => {
  expect(serviceNameOf('/app/api/main.js')).toBe('trading-backend-api');
  expect(serviceNameOf('/repo/worker/main.ts')).toBe('trading-backend-worker');
  expect(serviceNameOf('/app/worker/trigger.js')).toBe('trading-backend-trigger');
  expect(serviceNameOf('/app/operator/main.js')).toBe('trading-backend-operator');
  expect(serviceNameOf('/app/core/market/bundled/seed-cli.js')).toBe('trading-backend-seed');
});
