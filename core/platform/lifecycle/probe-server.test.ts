import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import { startProbeServer } from './probe-server.ts';

let ready = true;
let base = '';
let close: () => Promise<void>;
beforeAll(async () => {
  const metrics = new Registry();
  const server = await startProbeServer({
    port: 0,
    host: '127.0.0.1',
    metrics,
    readiness: () => ({ ready, body: { status: ready ? 'ok' : 'unavailable' } }),
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

test('When the probes are asked, then /livez is 200, /readyz follows the readiness and /metrics is the registry', async () => {
  expect((await fetch(`${base}/livez`)).status).toBe(200);
  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  ready = false;
  const unready = await fetch(`${base}/readyz`);
  expect(unready.status).toBe(503);
  expect(await unready.json()).toEqual({ status: 'unavailable' });
  expect((await fetch(`${base}/metrics`)).headers.get('content-type')).toContain('text/plain');
  expect((await fetch(`${base}/nope`)).status).toBe(404);
});
