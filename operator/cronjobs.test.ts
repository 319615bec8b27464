import { describe, expect, test } from '@jest/globals';
import { cronJobName, desiredCronJobs, SPEC_HASH } from './cronjobs.ts';
import { type TFeed, ZFeedSpec } from './feed.schema.ts';
import { createWorkQueue } from './work-queue.ts';

const feed = (name = 'top50'): TFeed => ({
  apiVersion: 'trading-backend.io/v1alpha1',
  kind: 'MarketDataFeed',
  metadata: { name, namespace: 'trading', uid: 'u-1', generation: 1 },
  spec: {},
});
const template = {
  metadata: { labels: { 'app.kubernetes.io/instance': 'prod' } },
  spec: { containers: [{ name: 'trigger', image: 'img:1' }] },
};

describe('Desired CronJobs', () => {
  test('When a feed asks for syncs, a backfill and a cleanup, then it gets three CronJobs with the trigger arguments and its labels', () => {
    const spec = ZFeedSpec.parse({
      provider: 'replay',
      topN: 25,
      schedule: '*/5 * * * *',
      backfillDays: 90,
      historyRetentionDays: 30,
    });
    const jobs = desiredCronJobs(feed(), spec, template);
    expect(
      jobs.map((job) => [
        job.metadata!.name,
        job.spec!.schedule,
        job.spec!.jobTemplate.spec!.template.spec!.containers[0]!.args,
      ]),
    ).toEqual([
      ['top50-sync', '*/5 * * * *', ['worker/trigger.js', 'sync', '--limit', '25', '--provider', 'replay']],
      [
        'top50-backfill',
        '23 2 * * *',
        ['worker/trigger.js', 'backfill', '--top', '25', '--days', '90', '--provider', 'replay'],
      ],
      ['top50-cleanup', '17 3 * * *', ['worker/trigger.js', 'cleanup', '--retention-days', '30']],
    ]);
    expect(jobs[0]!.spec!.jobTemplate.spec!.template.metadata!.labels).toMatchObject({
      'app.kubernetes.io/instance': 'prod',
      'trading-backend.io/feed': 'top50',
    });
    expect(jobs[0]!.spec!.jobTemplate.spec!.template.spec!.restartPolicy).toBe('Never');
  });

  test('When nothing in the spec changes, then the hash is the same; any change moves it', () => {
    const spec = ZFeedSpec.parse({ topN: 10, schedule: '@hourly' });
    const [a] = desiredCronJobs(feed(), spec, template);
    const [b] = desiredCronJobs(feed(), spec, template);
    const [c] = desiredCronJobs(feed(), { ...spec, suspend: true }, template);
    expect(a!.metadata!.annotations![SPEC_HASH]).toBe(b!.metadata!.annotations![SPEC_HASH]);
    expect(c!.metadata!.annotations![SPEC_HASH]).not.toBe(a!.metadata!.annotations![SPEC_HASH]);
  });

  test('When the feed name is long, then CronJob names stay within 52 characters and distinct', () => {
    const long = 'a'.repeat(60);
    const names = (['sync', 'backfill', 'cleanup'] as const).map((role) => cronJobName(long, role));
    expect(names.every((name) => name.length <= 52)).toBe(true);
    expect(new Set(names).size).toBe(3);
    expect(cronJobName(`${long}b`, 'sync')).not.toBe(cronJobName(long, 'sync'));
  });

  test('When the spec is out of bounds, then the schema refuses it', () => {
    expect(ZFeedSpec.safeParse({ topN: 0, schedule: '* * * * *' }).success).toBe(false);
    expect(ZFeedSpec.safeParse({ topN: 1, schedule: 'now' }).success).toBe(false);
    expect(ZFeedSpec.safeParse({ topN: 1, schedule: '* * * * *', extra: 1 }).success).toBe(false);
  });
});

/** Resolves once `condition` holds (polled; at most 5 s), so a loaded machine only makes the test slower. */
async function eventually(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('Work queue', () => {
  test('When a key is queued again while it runs, then it runs once more afterwards, never twice at once', async () => {
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = createWorkQueue({
      process: async (key) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        order.push(key);
        if (order.length === 1) await gate;
        active -= 1;
      },
      onError: () => undefined,
    });
    queue.add('a');
    queue.add('a');
    await eventually(() => order.length === 1); // the first run is under way, held at the gate
    queue.add('a');
    queue.add('a');
    release();
    await eventually(() => order.length >= 2 && active === 0);
    await new Promise((resolve) => setTimeout(resolve, 20)); // room for a third run, which must not come
    expect(order).toEqual(['a', 'a']);
    expect(maxActive).toBe(1);
    await queue.stop();
  });

  test('When a key fails, then it is retried after a growing delay until it succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const queue = createWorkQueue({
      baseDelayMs: 5,
      process: async () => {
        calls += 1;
        if (calls < 3) throw new Error('conflict');
      },
      onError: (_key, _error, retryInMs) => delays.push(retryInMs),
    });
    queue.add('feed');
    await eventually(() => calls >= 3 && queue.depth() === 0);
    expect(calls).toBe(3);
    expect(delays).toEqual([5, 10]);
    expect(queue.depth()).toBe(0);
    await queue.stop();
  });
});
