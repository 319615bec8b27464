import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { z } from 'zod';
import { testConfig } from '../../../test/config.ts';
import { createQueueRedis } from '../redis/redis.ts';
import { defineJob, MINUTE } from './define-job.ts';
import { createQueues } from './queues.ts';

// The producer on its own, over a registry of two jobs no feature owns: what it does with names,
// ids, flows and dead letters does not depend on the product's features.
const KEEP = { removeOnComplete: false, removeOnFail: false };
const REGISTRY = [
  defineJob({
    name: 'ping',
    schema: z.strictObject({ target: z.string(), as_of: z.iso.datetime().optional() }),
    windowMs: MINUTE,
    jobId: (payload, window) => `ping-${payload.target}-${window}`,
    concurrency: 1,
    options: KEEP,
    handle: async () => ({}),
  }),
  defineJob({
    name: 'pong',
    schema: z.strictObject({ target: z.string().optional(), as_of: z.iso.datetime().optional() }),
    windowMs: MINUTE,
    jobId: (payload, window) => `pong-${payload.target ?? 'all'}-${window}`,
    concurrency: 1,
    options: KEEP,
    handle: async () => ({}),
  }),
] as const;

const config = testConfig();
const connection = createQueueRedis(config.REDIS_URL);
const prefix = `test-queues-${randomUUID().slice(0, 8)}`;
const flowOf = (name: string, payload: Record<string, unknown>) =>
  name === 'ping' ? [{ name: 'pong', data: { target: payload.target } }] : [];
const withFlows = createQueues(REGISTRY, connection, prefix, { flowOf });
const alone = createQueues(REGISTRY, connection, `${prefix}-alone`);
const T0 = Date.parse('2026-01-01T00:00:30Z');

beforeAll(async () => {
  await connection.ping();
});
afterAll(async () => {
  await withFlows.close();
  await alone.close();
  const keys = await connection.keys(`${prefix}*`);
  if (keys.length) await connection.del(...keys);
  connection.disconnect();
});

test('When a job no feature declares is enqueued or looked up, then the producer refuses it by name', async () => {
  await expect(withFlows.enqueue('nope' as 'ping', { target: 'x' }, T0)).rejects.toThrow(
    'no feature declares a job named nope',
  );
  expect(() => withFlows.definition('nope')).toThrow('no feature declares a job named nope');
  expect(withFlows.jobNameOf('nope-1')).toBeUndefined();
  expect(await withFlows.find('nope-1')).toBeNull();
  expect(await withFlows.find('../../etc')).toBeNull();
  expect(await withFlows.flowOf('nope-1')).toBeNull();
});

test('When a job with following steps is enqueued twice in its window, then one flow is added and its steps are listed from any of them', async () => {
  const first = await withFlows.enqueue('ping', { target: 'a' }, T0);
  const window = T0 - (T0 % MINUTE);
  expect(first).toEqual({
    job_id: `ping-a-${window}`,
    name: 'ping',
    deduplicated: false,
    flow_id: `pong-after-ping-a-${window}`,
  });
  expect(await withFlows.enqueue('ping', { target: 'a' }, T0 + 1_000)).toEqual({
    job_id: `ping-a-${window}`,
    name: 'ping',
    deduplicated: true,
  });
  const steps = [
    { name: 'ping', id: `ping-a-${window}` },
    { name: 'pong', id: `pong-after-ping-a-${window}` },
  ];
  expect(await withFlows.flowOf(`ping-a-${window}`)).toEqual(steps);
  expect(await withFlows.flowOf(`pong-after-ping-a-${window}`)).toEqual(steps);
  const found = await withFlows.find(`pong-after-ping-a-${window}`);
  expect(found?.queue).toBe('pong');
  expect(found?.job.data).toEqual({ target: 'a', as_of: new Date(window).toISOString() });
});

test('When a job is enqueued without a flow (no flowOf, or a delay), then it runs alone and is no flow', async () => {
  const queued = await alone.enqueue('ping', { target: 'b' }, T0, { delayMs: 60_000 });
  expect(queued.flow_id).toBeUndefined();
  const job = await alone.get('ping').getJob(queued.job_id);
  expect(await job?.getState()).toBe('delayed');
  expect(await alone.flowOf(queued.job_id)).toBeNull();
  await expect(alone.enqueue('ping', { target: 'b', extra: 1 }, T0)).rejects.toThrow();
});

test('When a dead job is replayed and dead letters are filed twice, then the replay is a new job and each letter is kept once', async () => {
  const replayed = await withFlows.replay('pong', { target: 'c' }, 'pong-c:1/2');
  expect(replayed).toMatch(/^pong-replay-\d+-pong-c_1_2$/);
  expect(withFlows.isIssuedJobId(replayed)).toBe(true);
  const letter = {
    source: 'job' as const,
    queue: 'pong',
    job_id: 'pong-c-1',
    data: {},
    failed_reason: 'boom',
    attempts: 3,
    failed_at: new Date(T0).toISOString(),
  };
  await withFlows.toDeadLetter(letter);
  await withFlows.toDeadLetter(letter);
  expect(await withFlows.deadLetter.getWaitingCount()).toBe(1);
});

test('When the producer is closed while Redis is unreachable, then a start-up failure that comes later is not thrown', async () => {
  const away = createQueueRedis('redis://127.0.0.1:1');
  away.on('error', () => undefined);
  const queues = createQueues(REGISTRY, away, `${prefix}-away`, { flowOf });
  await new Promise((resolve) => setTimeout(resolve, 200)); // the first refusal has been seen
  await queues.close();
  const thrown: unknown[] = [];
  const onThrown = (error: unknown) => thrown.push(error);
  process.on('uncaughtException', onThrown);
  process.on('unhandledRejection', onThrown);
  try {
    // Ending the client in the middle of a connection attempt rejects every start-up still waiting on it.
    await new Promise<void>((resolve) => {
      away.once('connecting', () => {
        away.disconnect();
        resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    process.off('uncaughtException', onThrown);
    process.off('unhandledRejection', onThrown);
  }
  expect(thrown).toEqual([]);
});
