import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitForStatus } from '../test/processes.ts';
import { FEED_GROUP, FEED_VERSION } from './feed.schema.ts';
import { OPERATOR, startOperatorHarness, type TOperatorHarness, until } from '../test/operator-harness.ts';

// Every operator here runs as the chart's operator account (a TokenRequest token), not as an admin.
// Building the control plane cold takes minutes (scripts/kube-tools.sh); the first hook gets the time.
const BUILD_MS = 20 * 60_000;
let h: TOperatorHarness;
beforeAll(async () => {
  h = await startOperatorHarness();
}, BUILD_MS);
afterAll(async () => {
  await h?.close();
});
const namespace = () => h.namespace();
const startOperator: TOperatorHarness['startOperator'] = (...args) => h.startOperator(...args);
const feedApi: TOperatorHarness['feedApi'] = (ns) => h.feedApi(ns);
const createFeed: TOperatorHarness['createFeed'] = (...args) => h.createFeed(...args);
const readFeed: TOperatorHarness['readFeed'] = (...args) => h.readFeed(...args);
const cronJobs: TOperatorHarness['cronJobs'] = (ns) => h.cronJobs(ns);
const condition: TOperatorHarness['condition'] = (...args) => h.condition(...args);

describe('MarketDataFeed operator', () => {
  test('When a feed is created, updated, suspended and deleted, then its CronJobs, status and events follow (no finalizer: the feed owns its CronJobs)', async () => {
    const ns = await namespace();
    await startOperator(ns, 'solo');
    await createFeed(ns, 'top50', { provider: 'coingecko', topN: 50, schedule: '*/5 * * * *' });

    const [sync] = await until(async () => {
      const found = await cronJobs(ns);
      return found.length === 1 ? found : undefined;
    }, 'the sync CronJob');
    expect(sync!.metadata!.name).toBe('top50-sync');
    expect(sync!.spec!.schedule).toBe('*/5 * * * *');
    expect(sync!.spec!.concurrencyPolicy).toBe('Forbid');
    const container = sync!.spec!.jobTemplate.spec!.template.spec!.containers[0]!;
    expect(container.image).toBe('registry.example/trading-backend:1.2.3');
    expect(container.args).toEqual(['worker/trigger.js', 'sync', '--limit', '50', '--provider', 'coingecko']);
    expect(sync!.metadata!.ownerReferences![0]).toMatchObject({
      kind: 'MarketDataFeed',
      name: 'top50',
      controller: true,
    });
    // The template's labels (the chart's selector labels, which its NetworkPolicies match) reach the pods.
    expect(sync!.spec!.jobTemplate.spec!.template.metadata!.labels).toMatchObject({
      'app.kubernetes.io/instance': 'test',
      'app.kubernetes.io/component': 'trigger',
      'trading-backend.io/feed': 'top50',
    });

    const ready = await until(async () => {
      const feed = await readFeed(ns, 'top50');
      return condition(feed, 'Ready')?.status === 'True' ? feed : undefined;
    }, 'Ready=True');
    expect(ready.metadata.finalizers ?? []).toEqual([]);
    expect(ready.status).toMatchObject({ observedGeneration: 1, cronJobs: ['top50-sync'] });
    expect(condition(ready, 'Reconciled')).toMatchObject({ status: 'True', reason: 'CronJobsInSync' });

    // An update: more coins and a backfill.
    await h.editFeed(ns, 'top50', () => ({
      provider: 'coingecko',
      topN: 100,
      schedule: '*/10 * * * *',
      backfillDays: 30,
    }));
    const updated = await until(async () => {
      const found = await cronJobs(ns);
      return found.length === 2 && found[1]!.spec!.schedule === '*/10 * * * *' ? found : undefined;
    }, 'the updated CronJobs');
    expect(updated.map((c) => c.metadata!.name)).toEqual(['top50-backfill', 'top50-sync']);
    expect(updated[0]!.spec!.jobTemplate.spec!.template.spec!.containers[0]!.args).toEqual([
      'worker/trigger.js',
      'backfill',
      '--top',
      '100',
      '--days',
      '30',
      '--provider',
      'coingecko',
    ]);
    await until(
      async () => ((await readFeed(ns, 'top50')).status?.observedGeneration === 2 ? true : undefined),
      'generation 2',
    );

    // Suspended: every CronJob stops, and the feed says why it is not ready.
    await h.editFeed(ns, 'top50', (spec) => ({ ...spec, suspend: true }));
    await until(
      async () => ((await cronJobs(ns)).every((c) => c.spec!.suspend === true) ? true : undefined),
      'suspended CronJobs',
    );
    const suspended = await until(async () => {
      const feed = await readFeed(ns, 'top50');
      return condition(feed, 'Ready')?.reason === 'Suspended' ? feed : undefined;
    }, 'Ready=False Suspended');
    expect(condition(suspended, 'Ready')!.status).toBe('False');

    const events = (await h.core.listNamespacedEvent({ namespace: ns })).items;
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['CronJobCreated', 'CronJobUpdated', 'Reconciled']),
    );
    expect(events.every((e) => e.involvedObject.kind === 'MarketDataFeed')).toBe(true);

    // Deleted: the feed goes at once (nothing holds it), and the garbage collector takes its CronJobs.
    await h.custom.deleteNamespacedCustomObject({ ...feedApi(ns), name: 'top50' });
    await until(async () => ((await cronJobs(ns)).length === 0 ? true : undefined), 'CronJobs removed');
    await until(
      () =>
        readFeed(ns, 'top50').then(
          () => undefined,
          (error) => (error.code === 404 ? true : undefined),
        ),
      'the feed to be gone',
    );
  }, 90_000);

  test('When a feed spec breaks the schema, then the API server refuses it (the CRD is generated from the operator’s schema)', async () => {
    const ns = await namespace();
    const specs = [
      { topN: 0, schedule: '* * * * *' },
      { topN: 5, schedule: 'often' },
      { topN: 5 },
      { topN: 5, schedule: '* * * * *', provider: 'binance' },
    ];
    const answers: { spec: unknown; code: number }[] = [];
    for (const spec of specs) {
      const code = await h.custom
        .createNamespacedCustomObject({
          ...feedApi(ns),
          body: {
            apiVersion: `${FEED_GROUP}/${FEED_VERSION}`,
            kind: 'MarketDataFeed',
            metadata: { name: 'bad' },
            spec,
          },
        })
        .then(
          () => 201,
          (error: { code: number }) => error.code,
        );
      answers.push({ spec, code });
    }
    expect(answers).toEqual(specs.map((spec) => ({ spec, code: 422 })));
  }, 30_000);

  test('When a sync Job of the feed finishes, then the feed reports it in its status', async () => {
    const ns = await namespace();
    await startOperator(ns, 'status');
    await createFeed(ns, 'hourly', { topN: 10, schedule: '@hourly' });
    const [sync] = await until(async () => {
      const found = await cronJobs(ns);
      return found.length ? found : undefined;
    }, 'the sync CronJob');
    // No kubelet here: the Job a CronJob would start is made by hand and marked failed.
    const job = await h.batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'hourly-sync-29000000', labels: sync!.spec!.jobTemplate.metadata!.labels },
        spec: sync!.spec!.jobTemplate.spec!,
      },
    });
    const now = new Date();
    await h.batch.replaceNamespacedJobStatus({
      name: job.metadata!.name!,
      namespace: ns,
      body: {
        ...job,
        status: {
          startTime: now,
          conditions: [
            {
              type: 'FailureTarget',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              lastTransitionTime: now,
            },
            { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', lastTransitionTime: now },
          ],
          failed: 3,
        },
      },
    });
    const failed = await until(async () => {
      const feed = await readFeed(ns, 'hourly');
      return feed.status?.lastResult === 'Failed' ? feed : undefined;
    }, 'lastResult Failed');
    expect(failed.status).toMatchObject({ lastJobId: 'hourly-sync-29000000' });
    expect(condition(failed, 'Degraded')).toMatchObject({ status: 'True', reason: 'LastSyncFailed' });
  }, 60_000);

  test('When the leader dies, then the other operator takes the Lease within its duration and reconciles; SIGTERM hands it over at once', async () => {
    const ns = await namespace();
    const first = await startOperator(ns, 'first');
    await until(async () => ((await h.holder(ns)) === 'first' ? true : undefined), 'first to lead');
    const second = await startOperator(ns, 'second');
    await createFeed(ns, 'a', { topN: 5, schedule: '* * * * *' });
    await until(
      async () => ((await cronJobs(ns)).length === 1 ? true : undefined),
      'a reconciled by the leader',
    );

    const killed = Date.now();
    first.process.kill('SIGKILL');
    await first.exited;
    const taken = await until(
      async () => {
        const { spec } = await h.leases.readNamespacedLease({ name: OPERATOR, namespace: ns });
        return spec?.holderIdentity === 'second' ? spec : undefined;
      },
      'second to lead',
      15_000,
    );
    // Timed to the take-over itself (acquireTime), not to when this test saw it: the lease (3 s), one
    // renewal period, and room for the follower's read of the Lease on a loaded control plane.
    expect(new Date(taken.acquireTime!).getTime() - killed).toBeLessThan(3000 + 1000 + 2000);
    await createFeed(ns, 'b', { topN: 6, schedule: '* * * * *' });
    await until(
      async () => ((await cronJobs(ns)).length === 2 ? true : undefined),
      'b reconciled by the new leader',
    );

    const third = await startOperator(ns, 'third');
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // Handed back before exiting: a Lease left to run out would still name the second for up to 3 s.
    expect([undefined, '', 'third']).toContain(await h.holder(ns));
    await until(async () => ((await h.holder(ns)) === 'third' ? true : undefined), 'third to lead');
    await waitForStatus(`http://127.0.0.1:${third.port}/readyz`);
    const metrics = await until(async () => {
      const text = await (await fetch(`http://127.0.0.1:${third.port}/metrics`)).text();
      return /operator_reconciles_total\{outcome="unchanged"\} [1-9]/.test(text) ? text : undefined;
    }, 'the new leader to reconcile the feeds it found');
    expect(metrics).toMatch(/^operator_leader 1$/m);
    expect(metrics).toMatch(/^operator_queue_depth \d+$/m);
  }, 90_000);

  test('When the API server restarts under the watches, then they resume and a feed made afterwards is reconciled', async () => {
    const ns = await namespace();
    // A lease longer than the restart: the leader keeps leading, and its watches must resume on their own.
    const operator = await startOperator(ns, 'resume', { OPERATOR_LEASE_SECONDS: '60' });
    await createFeed(ns, 'before', { topN: 5, schedule: '* * * * *' });
    await until(async () => ((await cronJobs(ns)).length === 1 ? true : undefined), 'before reconciled');
    await h.cluster.restartApiServer();
    await createFeed(ns, 'after', { topN: 7, schedule: '* * * * *' });
    const found = await until(
      async () => {
        const list = await cronJobs(ns);
        return list.length === 2 ? list : undefined;
      },
      'after reconciled',
      40_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${operator.output().slice(-4000)}`);
    });
    expect(found.map((c) => c.metadata!.name)).toEqual(['after-sync', 'before-sync']);
  }, 90_000);
});
