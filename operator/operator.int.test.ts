import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ApiextensionsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1CronJob,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { freePort, ROOT, startProcess, waitForStatus, type TChild } from '../test/processes.ts';
import { startKubeCluster, type TKubeCluster } from '../test/kube-cluster.ts';
import { FEED_FINALIZER, FEED_GROUP, FEED_PLURAL, FEED_VERSION, type TFeed } from './feed.schema.ts';

// Building the control plane cold takes minutes (scripts/kube-tools.sh); the first hook gets the time.
const BUILD_MS = 20 * 60_000;
let cluster: TKubeCluster;
let custom: CustomObjectsApi;
let batch: BatchV1Api;
let core: CoreV1Api;
let leases: CoordinationV1Api;
const children: TChild[] = [];
let namespaceCount = 0;

beforeAll(async () => {
  cluster = await startKubeCluster();
  custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  leases = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  // Applied as a file with kubectl, as helm and users do (client-node's models would drop `enum`).
  const crdFile = path.join(ROOT, 'charts/trading-backend/crds/marketdatafeeds.trading-backend.io.yaml');
  const crd = parse(readFileSync(crdFile, 'utf8'));
  execFileSync(
    path.join(cluster.bin, 'kubectl'),
    ['--kubeconfig', cluster.kubeconfigPath, 'apply', '-f', crdFile],
    {
      stdio: 'pipe',
    },
  );
  const extensions = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await until(async () => {
    const found = await extensions.readCustomResourceDefinition({ name: crd.metadata.name });
    return (
      found.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
    );
  }, 'the CRD to be established');
}, BUILD_MS);
afterAll(async () => {
  for (const child of children.splice(0)) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
  await cluster?.close();
});

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      // Right after a CRD is established the server may answer 429 while its storage starts.
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function namespace(): Promise<string> {
  const name = `feeds-${(namespaceCount += 1)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

async function startOperator(
  ns: string,
  identity: string,
  extra: Record<string, string> = {},
): Promise<TChild & { port: number }> {
  const port = await freePort();
  const child = startProcess('operator/main.ts', {
    KUBECONFIG: cluster.kubeconfigPath,
    OPERATOR_NAMESPACE: ns,
    OPERATOR_PORT: String(port),
    OPERATOR_IDENTITY: identity,
    OPERATOR_LEASE_SECONDS: '3',
    OPERATOR_TRIGGER_TEMPLATE: JSON.stringify({
      metadata: {
        labels: { 'app.kubernetes.io/name': 'trading-backend', 'app.kubernetes.io/instance': 'test' },
      },
      spec: {
        serviceAccountName: 'trading-backend',
        containers: [
          {
            name: 'trigger',
            image: 'registry.example/trading-backend:1.2.3',
            envFrom: [{ configMapRef: { name: 'config' } }],
          },
        ],
      },
    }),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...extra,
  });
  children.push(child);
  await waitForStatus(`http://127.0.0.1:${port}/livez`);
  return { ...child, port };
}

const feedApi = (ns: string) => ({
  group: FEED_GROUP,
  version: FEED_VERSION,
  namespace: ns,
  plural: FEED_PLURAL,
});
async function createFeed(ns: string, name: string, spec: Record<string, unknown>) {
  return until(
    () =>
      custom.createNamespacedCustomObject({
        ...feedApi(ns),
        body: {
          apiVersion: `${FEED_GROUP}/${FEED_VERSION}`,
          kind: 'MarketDataFeed',
          metadata: { name },
          spec,
        },
      }) as Promise<TFeed>,
    `feed ${name} to be created`,
  );
}
const readFeed = (ns: string, name: string) =>
  custom.getNamespacedCustomObject({ ...feedApi(ns), name }) as Promise<TFeed>;
const cronJobs = async (ns: string): Promise<V1CronJob[]> =>
  (await batch.listNamespacedCronJob({ namespace: ns })).items.sort((a, b) =>
    a.metadata!.name!.localeCompare(b.metadata!.name!),
  );
const condition = (feed: TFeed, type: string) => feed.status?.conditions?.find((c) => c.type === type);

describe('MarketDataFeed operator', () => {
  test('When a feed is created, updated, suspended and deleted, then its CronJobs, finalizer, status and events follow', async () => {
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
    expect(ready.metadata.finalizers).toContain(FEED_FINALIZER);
    expect(ready.status).toMatchObject({ observedGeneration: 1, cronJobs: ['top50-sync'] });
    expect(condition(ready, 'Reconciled')).toMatchObject({ status: 'True', reason: 'CronJobsInSync' });

    // An update: more coins and a backfill.
    await custom.replaceNamespacedCustomObject({
      ...feedApi(ns),
      name: 'top50',
      body: {
        ...ready,
        spec: { provider: 'coingecko', topN: 100, schedule: '*/10 * * * *', backfillDays: 30 },
      },
    });
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
    const current = await readFeed(ns, 'top50');
    await custom.replaceNamespacedCustomObject({
      ...feedApi(ns),
      name: 'top50',
      body: { ...current, spec: { ...(current.spec as object), suspend: true } },
    });
    await until(
      async () => ((await cronJobs(ns)).every((c) => c.spec!.suspend === true) ? true : undefined),
      'suspended CronJobs',
    );
    const suspended = await until(async () => {
      const feed = await readFeed(ns, 'top50');
      return condition(feed, 'Ready')?.reason === 'Suspended' ? feed : undefined;
    }, 'Ready=False Suspended');
    expect(condition(suspended, 'Ready')!.status).toBe('False');

    const events = (await core.listNamespacedEvent({ namespace: ns })).items;
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['CronJobCreated', 'CronJobUpdated', 'Reconciled']),
    );
    expect(events.every((e) => e.involvedObject.kind === 'MarketDataFeed')).toBe(true);

    // Deleted: the finalizer holds the feed until its CronJobs are gone.
    await custom.deleteNamespacedCustomObject({ ...feedApi(ns), name: 'top50' });
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
      const code = await custom
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
    const job = await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'hourly-sync-29000000', labels: sync!.spec!.jobTemplate.metadata!.labels },
        spec: sync!.spec!.jobTemplate.spec!,
      },
    });
    const now = new Date();
    await batch.replaceNamespacedJobStatus({
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
    await until(
      async () =>
        (await leases.readNamespacedLease({ name: 'trading-backend-operator', namespace: ns })).spec
          ?.holderIdentity === 'first'
          ? true
          : undefined,
      'first to lead',
    );
    const second = await startOperator(ns, 'second');
    await createFeed(ns, 'a', { topN: 5, schedule: '* * * * *' });
    await until(
      async () => ((await cronJobs(ns)).length === 1 ? true : undefined),
      'a reconciled by the leader',
    );

    const killed = Date.now();
    first.process.kill('SIGKILL');
    await first.exited;
    await until(
      async () =>
        (await leases.readNamespacedLease({ name: 'trading-backend-operator', namespace: ns })).spec
          ?.holderIdentity === 'second'
          ? true
          : undefined,
      'second to lead',
      15_000,
    );
    expect(Date.now() - killed).toBeLessThan(3000 + 3000); // the lease (3 s) plus one renewal period
    await createFeed(ns, 'b', { topN: 6, schedule: '* * * * *' });
    await until(
      async () => ((await cronJobs(ns)).length === 2 ? true : undefined),
      'b reconciled by the new leader',
    );

    const third = await startOperator(ns, 'third');
    const handedOver = Date.now();
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await until(
      async () =>
        (await leases.readNamespacedLease({ name: 'trading-backend-operator', namespace: ns })).spec
          ?.holderIdentity === 'third'
          ? true
          : undefined,
      'third to lead',
    );
    expect(Date.now() - handedOver).toBeLessThan(3000);
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
    await cluster.restartApiServer();
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
