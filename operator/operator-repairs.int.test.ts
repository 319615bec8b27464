import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { OPERATOR, startOperatorHarness, type TOperatorHarness, until } from '../test/operator-harness.ts';

// What the operator puts right, running as the chart's operator account.
const BUILD_MS = 20 * 60_000;
let h: TOperatorHarness;
beforeAll(async () => {
  h = await startOperatorHarness();
}, BUILD_MS);
afterAll(async () => {
  await h?.close();
});

describe('operator repairs', () => {
  test('When a feed’s CronJob is edited by hand or deleted, then the operator puts it back', async () => {
    const ns = await h.namespace();
    await h.startOperator(ns, 'repairs');
    await h.createFeed(ns, 'top5', { topN: 5, schedule: '*/5 * * * *' });
    const [sync] = await until(async () => {
      const found = await h.cronJobs(ns);
      return found.length === 1 ? found : undefined;
    }, 'the sync CronJob');

    // Edited by hand: another schedule, suspended, other arguments.
    const container = sync!.spec!.jobTemplate.spec!.template.spec!.containers[0]!;
    await h.batch.replaceNamespacedCronJob({
      name: 'top5-sync',
      namespace: ns,
      body: {
        ...sync!,
        spec: {
          ...sync!.spec!,
          schedule: '0 0 1 1 *',
          suspend: true,
          jobTemplate: {
            ...sync!.spec!.jobTemplate,
            spec: {
              ...sync!.spec!.jobTemplate.spec!,
              template: {
                ...sync!.spec!.jobTemplate.spec!.template,
                spec: {
                  ...sync!.spec!.jobTemplate.spec!.template.spec!,
                  containers: [{ ...container, args: ['worker/trigger.js', 'sync', '--limit', '5000'] }],
                },
              },
            },
          },
        },
      },
    });
    const restored = await until(async () => {
      const [found] = await h.cronJobs(ns);
      return found?.spec!.schedule === '*/5 * * * *' ? found : undefined;
    }, 'the edit put back');
    expect(restored.spec!.suspend).toBe(false);
    expect(restored.spec!.jobTemplate.spec!.template.spec!.containers[0]!.args).toEqual(container.args);
    const events = (await h.core.listNamespacedEvent({ namespace: ns })).items;
    expect(events.map((event) => event.message)).toContain(
      'Put back CronJob top5-sync, whose spec was changed by hand',
    );

    // Deleted by hand: made again.
    await h.batch.deleteNamespacedCronJob({ name: 'top5-sync', namespace: ns });
    const again = await until(async () => {
      const [found] = await h.cronJobs(ns);
      return found && found.metadata!.uid !== restored.metadata!.uid ? found : undefined;
    }, 'the CronJob made again');
    expect(again.spec!.schedule).toBe('*/5 * * * *');
  }, 60_000);

  test('When a sync Job of the feed succeeds, then the feed’s status names it and stays Ready', async () => {
    const ns = await h.namespace();
    await h.startOperator(ns, 'succeeded');
    await h.createFeed(ns, 'hourly', { topN: 10, schedule: '@hourly' });
    const [sync] = await until(async () => {
      const found = await h.cronJobs(ns);
      return found.length ? found : undefined;
    }, 'the sync CronJob');
    // No kubelet here: the Job the CronJob would start is made by hand and marked succeeded
    // (test/cluster/chart.cluster.test.ts has a kubelet run the real one).
    const job = await h.batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'hourly-sync-29000001', labels: sync!.spec!.jobTemplate.metadata!.labels },
        spec: sync!.spec!.jobTemplate.spec!,
      },
    });
    const started = new Date(Date.now() - 2000);
    const now = new Date();
    await h.batch.replaceNamespacedJobStatus({
      name: job.metadata!.name!,
      namespace: ns,
      body: {
        ...job,
        status: {
          startTime: started,
          completionTime: now,
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: now },
            { type: 'Complete', status: 'True', lastTransitionTime: now },
          ],
        },
      },
    });
    const feed = await until(async () => {
      const found = await h.readFeed(ns, 'hourly');
      return found.status?.lastResult === 'Succeeded' ? found : undefined;
    }, 'lastResult Succeeded');
    expect(feed.status).toMatchObject({ lastJobId: 'hourly-sync-29000001' });
    expect(h.condition(feed, 'Ready')).toMatchObject({ status: 'True', reason: 'Scheduled' });
    expect(h.condition(feed, 'Degraded')).toMatchObject({ status: 'False' });
  }, 60_000);

  test('When the leader can no longer renew its Lease, then it steps down within the lease duration and exits', async () => {
    const ns = await h.namespace();
    const leader = await h.startOperator(ns, 'cut-off');
    await until(async () => ((await h.holder(ns)) === 'cut-off' ? true : undefined), 'the Lease');
    // Its RoleBinding removed: every renewal is refused (403) from now on.
    h.kubectl(['delete', 'rolebinding', OPERATOR, '-n', ns]);
    // It leads on only while the Lease it last renewed (3 s) runs, then stops and exits.
    expect(await leader.exited).toBe(1);
    expect(leader.output()).toMatch(/lost the lease/);
    expect(leader.output()).toMatch(/no longer the leader; stopping/);
  }, 60_000);
});
