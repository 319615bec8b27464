import { randomUUID } from 'node:crypto';
import { afterAll, expect, test } from '@jest/globals';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { testConfig } from '../../test/config.ts';
import { createQueueRedis } from '../platform/redis/redis.ts';
import { describeJob } from './job-status.ts';

// A job read while it waits, described after it finished: the status must not say `completed` without
// its result (the API once answered { state: 'completed', result: null } to a poll at that moment).
const config = testConfig();
const connection = createQueueRedis(config.REDIS_URL);
const prefix = `test-job-status-${randomUUID().slice(0, 8)}`;
const queue = new Queue('status', { connection, prefix });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

test('When a job finishes between being read and being described, then its state and result agree', async () => {
  const job = await queue.add('sum', { a: 2, b: 3 });
  const read = (await queue.getJob(job.id!))!; // waiting: no result yet
  const events = new QueueEvents('status', { connection: connection.duplicate(), prefix });
  await events.waitUntilReady();
  const worker = new Worker('status', async (run) => ({ sum: run.data.a + run.data.b }), {
    connection: connection.duplicate(),
    prefix,
  });
  try {
    await job.waitUntilFinished(events);
    const stale = await describeJob(read, 'status');
    expect([stale.state, stale.result]).toEqual(['completed', null]); // the race, without a reload
    const described = await describeJob(read, 'status', null, () => queue.getJob(job.id!));
    expect(described).toMatchObject({ state: 'completed', result: { sum: 5 } });
    expect(described.finished_at).not.toBeNull();
  } finally {
    await worker.close();
    await events.close();
  }
});
