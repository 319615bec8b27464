import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { withSearchPath } from '../db.ts';
import { startKubeCluster, type TKubeCluster } from '../kube-cluster.ts';
import { freePort, ROOT, waitForStatus } from '../processes.ts';
import { openImage, runContainer, signalContainer, type TImage } from '../runc.ts';

// The built image (npm run test:image builds it first with scripts/image.sh and names it in TEST_IMAGE),
// each entrypoint run as a container the way the chart runs it (test/runc.ts: user 10001, no
// capabilities, read-only root, /tmp the only writable path), against the shared PostgreSQL and Redis.
const IMAGE = process.env.TEST_IMAGE ?? '';
const DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://trading:trading@127.0.0.1:5432/trading_test';
const schema = `img_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const prefix = randomUUID().slice(0, 8);
// Production, as in the chart; SECRET_KEY only where the chart's pods get it (not migrate, not the operator).
const base = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  DATABASE_URL: withSearchPath(DATABASE_URL, schema),
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  CACHE_REDIS_URL: process.env.TEST_CACHE_REDIS_URL ?? 'redis://127.0.0.1:6380',
  REDIS_KEY_PREFIX: `img:${prefix}:`,
  QUEUE_PREFIX: `imgq-${prefix}`,
};
const withKey = { ...base, SECRET_KEY: randomBytes(32).toString('hex') };
let image: TImage;
let admin: DataSource;
let cluster: TKubeCluster | undefined;
const running: ReturnType<typeof runContainer>[] = [];

beforeAll(async () => {
  if (!IMAGE) throw new Error('TEST_IMAGE is not set: run this through `npm run test:image`');
  image = openImage(IMAGE);
  admin = new DataSource({ type: 'postgres', url: DATABASE_URL });
  await admin.initialize();
  await admin.query(`CREATE SCHEMA ${schema}`);
}, 120_000);
afterAll(async () => {
  for (const container of running.splice(0)) {
    container.process.kill('SIGKILL');
    await container.exited;
  }
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.destroy();
  image?.close();
  await cluster?.close();
});

/** Runs an entrypoint to its end; returns its exit code and output. */
async function runToEnd(args: string[], env: Record<string, string>) {
  const container = runContainer(image, args, env);
  const code = await container.exited;
  return { code, output: container.output() };
}

function start(args: string[], env: Record<string, string>, files?: Record<string, string>) {
  const container = runContainer(image, args, env, files);
  running.push(container);
  return container;
}

async function stop(container: ReturnType<typeof runContainer>) {
  signalContainer(container, 'TERM');
  const code = await container.exited;
  running.splice(running.indexOf(container), 1);
  return code;
}

describe('the image, run as the chart runs it', () => {
  test('When a container runs, then it is user 10001 with no capabilities, and only /tmp can be written', async () => {
    const script = [
      "const fs = require('node:fs');",
      "const status = fs.readFileSync('/proc/self/status', 'utf8');",
      "const field = (name) => status.split('\\n').find((line) => line.startsWith(name + ':')).split(/\\s+/)[1];",
      "const write = (file) => { try { fs.writeFileSync(file, 'x'); return 'written'; } catch (error) { return error.code; } };",
      "console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), capEff: field('CapEff'), noNewPrivs: field('NoNewPrivs'), app: write('/app/x'), root: write('/x'), tmp: write('/tmp/x') }));",
    ].join(' ');
    const { code, output } = await runToEnd(['-e', script], base);
    expect(code).toBe(0);
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
      uid: 10001,
      gid: 10001,
      capEff: '0000000000000000',
      noNewPrivs: '1',
      app: 'EROFS',
      root: 'EROFS',
      tmp: 'written',
    });
  }, 60_000);

  test('When migrate runs without SECRET_KEY (as the pre-install hook does), then it applies every migration', async () => {
    const { code, output } = await runToEnd(['core/platform/db/migrate.js', 'run'], base);
    expect({ code, output }).toMatchObject({ code: 0, output: expect.stringMatching(/applied: /) });
    const again = await runToEnd(['core/platform/db/migrate.js', 'run'], base);
    expect(again.output).toMatch(/database schema is up to date/);
  }, 120_000);

  test('When seed --prepare runs, then the bundled market data is loaded', async () => {
    const { code, output } = await runToEnd(['core/market/bundled/seed-cli.js', '--prepare'], withKey);
    expect({ code, output }).toMatchObject({ code: 0 });
    const [{ n }] = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.cryptocurrencies`);
    expect(n).toBeGreaterThan(0);
  }, 120_000);

  test('When the API runs (the default command), then /readyz answers 200 and a listing is served; SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    const api = start(image.cmd, { ...withKey, PORT: String(port), PUBLIC_MARKET_DATA: 'true' });
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${api.output().slice(-3000)}`);
    });
    const listing = await fetch(`http://127.0.0.1:${port}/api/v1/cryptocurrencies/?limit=2`);
    expect(listing.status).toBe(200);
    const body = (await listing.json()) as { data: unknown[] };
    expect(body.data).toHaveLength(2);
    expect(await stop(api)).toBe(0);
  }, 120_000);

  test('When the worker runs and the trigger enqueues a sync, then the sync completes', async () => {
    const port = await freePort();
    const worker = start(['worker/main.js'], { ...withKey, WORKER_PORT: String(port) });
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${worker.output().slice(-3000)}`);
    });
    const trigger = await runToEnd(['worker/trigger.js', 'sync', '--limit', '5'], withKey);
    expect(trigger.code).toBe(0);
    const { job_id: jobId } = JSON.parse(trigger.output.trim().split('\n').at(-1)!) as { job_id: string };
    const connection = new Redis(base.REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('sync-markets', { connection, prefix: base.QUEUE_PREFIX });
    try {
      let state = '';
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && state !== 'completed' && state !== 'failed') {
        state = (await (await queue.getJob(jobId))?.getState()) ?? 'unknown';
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect({ state, output: state === 'completed' ? '' : worker.output().slice(-3000) }).toEqual({
        state: 'completed',
        output: '',
      });
    } finally {
      await queue.close();
      connection.disconnect();
    }
    expect(await stop(worker)).toBe(0);
  }, 120_000);

  test('When the operator runs without SECRET_KEY against an API server, then it leads and its probes answer', async () => {
    cluster = await startKubeCluster();
    execFileSync(path.join(cluster.bin, 'kubectl'), [
      '--kubeconfig',
      cluster.kubeconfigPath,
      'apply',
      '-f',
      path.join(ROOT, 'charts/trading-backend/crds/marketdatafeeds.trading-backend.io.yaml'),
    ]);
    execFileSync(path.join(cluster.bin, 'kubectl'), [
      '--kubeconfig',
      cluster.kubeconfigPath,
      'create',
      'namespace',
      'trading',
    ]);
    const port = await freePort();
    const operator = start(
      ['operator/main.js'],
      {
        ...base,
        KUBECONFIG: '/etc/kube/config',
        OPERATOR_PORT: String(port),
        OPERATOR_NAMESPACE: 'trading',
        OPERATOR_LEASE_SECONDS: '5',
      },
      { '/etc/kube/config': cluster.kubeconfigPath },
    );
    await waitForStatus(`http://127.0.0.1:${port}/livez`, 200, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${operator.output().slice(-3000)}`);
    });
    let ready: { status: number; body: unknown } = { status: 0, body: undefined };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && ready.status !== 200) {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      ready = { status: response.status, body: await response.json() };
      if (ready.status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(ready).toEqual({ status: 200, body: { status: 'ok', leader: true } });
    expect(await stop(operator)).toBe(0);
  }, 180_000);
});
