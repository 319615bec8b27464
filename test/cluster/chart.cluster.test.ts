import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { DataSource } from 'typeorm';
import { withSearchPath } from '../db.ts';
import { ROOT } from '../processes.ts';

// The chart on a one-node cluster with a real kubelet (npm run test:cluster: scripts/cluster.sh up, the
// image built and imported). PostgreSQL and Redis are the shared ones outside the cluster: pods reach
// them on the bridge's address (CLUSTER_HOST_ADDRESS), through the chart's external-services values.
const NS = 'trading';
const RELEASE = 'tb';
const CHART = path.join(ROOT, 'charts/trading-backend');
const IMAGE = process.env.TEST_IMAGE ?? '';
const [REPOSITORY, TAG] = [IMAGE.slice(0, IMAGE.lastIndexOf(':')), IMAGE.slice(IMAGE.lastIndexOf(':') + 1)];
const NEXT_TAG = `${TAG}-next`;
const HOST = process.env.CLUSTER_HOST_ADDRESS ?? '10.244.0.1';
const DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://trading:trading@127.0.0.1:5432/trading_test';
const schema = `clu_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const prefix = randomUUID().slice(0, 8);
const kc = new KubeConfig();
let core: CoreV1Api;
let apps: AppsV1Api;
let batch: BatchV1Api;
let custom: CustomObjectsApi;
let admin: DataSource;

const kubectl = (args: string[]) =>
  execFileSync(path.join(process.env.CLUSTER_BIN ?? '', 'kubectl'), args, {
    encoding: 'utf8',
    stdio: 'pipe',
  });
function helm(args: string[]) {
  try {
    return execFileSync('helm', args, { encoding: 'utf8', stdio: 'pipe', cwd: ROOT });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(
      `helm ${args.join(' ')}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}\n${describePods()}`,
    );
  }
}
function describePods() {
  try {
    return kubectl(['get', 'pods,jobs,events', '-n', NS, '-o', 'wide']);
  } catch {
    return '';
  }
}
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${describePods()}`);
}

const values = (tag: string) => [
  '-f',
  path.join(CHART, 'ci/values-external.yaml'),
  '--set',
  `image.repository=${REPOSITORY}`,
  '--set',
  `image.tag=${tag}`,
  '--set',
  'seed.enabled=true',
  // No outside network here: the bundled replay data is the provider (the default, CoinGecko, fails
  // `getaddrinfo EAI_AGAIN api.coingecko.com`, as it must under this tier's network rule).
  '--set',
  'config.marketDataProvider=replay',
  '--set',
  'operator.enabled=true',
  '--set',
  'operator.leaseSeconds=10',
  '--set-json',
  'operator.feeds={"syncTest":{"topN":5,"schedule":"* * * * *"}}',
  // The steady load below comes from one address; the limit is not what this test measures.
  '--set',
  'config.rateLimitPerMinute=100000',
  '--set',
  `config.extraEnv.REDIS_KEY_PREFIX=clu:${prefix}:`,
  '--set',
  `config.extraEnv.QUEUE_PREFIX=cluq-${prefix}`,
  // One node: the spread and the probes' defaults stay; a short preStop keeps the test short.
  '--set',
  'api.shutdownDelaySeconds=3',
  '--set',
  'api.terminationGracePeriodSeconds=20',
];

beforeAll(async () => {
  if (!process.env.TEST_CLUSTER) throw new Error('run this through `npm run test:cluster`');
  kc.loadFromDefault();
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  batch = kc.makeApiClient(BatchV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  admin = new DataSource({ type: 'postgres', url: DATABASE_URL });
  await admin.initialize();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await until(
    async () =>
      (await core.readNamespacedServiceAccount({ name: 'default', namespace: NS })) ? true : undefined,
    'the default ServiceAccount',
  );
  // What values-external.yaml expects to exist: URLs of the services outside the cluster, the key.
  const database = new URL(withSearchPath(DATABASE_URL, schema));
  database.hostname = HOST;
  const secrets: Record<string, Record<string, string>> = {
    'trading-backend-database': { uri: database.toString() },
    'trading-backend-redis': {
      'redis-url': `redis://${HOST}:6379`,
      'cache-redis-url': `redis://${HOST}:6380`,
    },
    'trading-backend-secrets': { SECRET_KEY: randomBytes(32).toString('hex') },
  };
  for (const [name, data] of Object.entries(secrets))
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: data } });
}, 120_000);
afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await admin?.destroy();
});

async function serviceUrl(name: string) {
  const service = await core.readNamespacedService({ name, namespace: NS });
  return `http://${service.spec!.clusterIP}:${service.spec!.ports![0]!.port}`;
}

const ready = (pod: V1Pod) =>
  pod.status?.phase === 'Running' &&
  (pod.status.containerStatuses ?? []).every((container) => container.ready) &&
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('the chart on a kubelet', () => {
  test('When the chart is installed with its hooks, then migrate completes before the API is made, every pod runs Ready, and the API answers through its Service', async () => {
    helm(['install', RELEASE, CHART, '-n', NS, ...values(TAG), '--wait', '--timeout', '5m']);

    // The migrate hook ran (and was deleted on success) before the API's Deployment existed.
    const events = (await core.listNamespacedEvent({ namespace: NS })).items;
    const migrated = events.find(
      (event) =>
        event.involvedObject.kind === 'Job' &&
        event.involvedObject.name === `${RELEASE}-trading-backend-migrate` &&
        event.reason === 'Completed',
    );
    expect(migrated).toBeDefined();
    const api = await apps.readNamespacedDeployment({
      name: `${RELEASE}-trading-backend-api`,
      namespace: NS,
    });
    const completedAt = new Date(migrated!.lastTimestamp ?? migrated!.eventTime ?? 0).getTime();
    expect(completedAt).toBeLessThanOrEqual(new Date(api.metadata!.creationTimestamp!).getTime());

    const pods = (await core.listNamespacedPod({ namespace: NS })).items.filter(
      (pod) => pod.status?.phase !== 'Succeeded',
    );
    const components = pods.map((pod) => pod.metadata!.labels!['app.kubernetes.io/component']).sort();
    expect(components).toEqual(['api', 'api', 'operator', 'operator', 'webhook-worker', 'worker']);
    expect(pods.filter((pod) => !ready(pod)).map((pod) => pod.metadata!.name)).toEqual([]);

    const base = await serviceUrl(`${RELEASE}-trading-backend-api`);
    const readyz = await until(async () => {
      const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
      return response.status === 200 ? response : undefined;
    }, 'the API through its Service');
    expect(readyz.status).toBe(200);
    const listing = await fetch(`${base}/api/v1/cryptocurrencies/?limit=3`);
    expect(listing.status).toBe(200);
    expect(((await listing.json()) as { data: unknown[] }).data).toHaveLength(3);
  }, 420_000);

  test('When the operator’s feed CronJob fires, then its Job completes, the worker syncs, and the feed’s status says so', async () => {
    const feed = await until(
      async () => {
        const found = (await custom.getNamespacedCustomObject({
          group: 'trading-backend.io',
          version: 'v1alpha1',
          namespace: NS,
          plural: 'marketdatafeeds',
          name: 'sync-test',
        })) as { status?: { lastResult?: string; lastJobId?: string } };
        return found.status?.lastResult === 'Succeeded' ? found : undefined;
      },
      'a sync Job of the feed to succeed',
      150_000,
    );
    const job = await batch.readNamespacedJob({ name: feed.status!.lastJobId!, namespace: NS });
    expect(job.status?.succeeded).toBe(1);

    // The trigger only enqueues: the worker pod ran the sync (its own counter, through its Service).
    const worker = await serviceUrl(`${RELEASE}-trading-backend-worker`);
    const completed = await until(
      async () => {
        const text = await (await fetch(`${worker}/metrics`)).text();
        const line = text
          .split('\n')
          .find(
            (l) =>
              l.startsWith('worker_jobs_total{') &&
              l.includes('queue="sync-markets"') &&
              l.includes('status="completed"'),
          );
        const count = line ? Number(line.split(' ').at(-1)) : 0;
        return count > 0 ? count : undefined;
      },
      'a completed sync in the worker',
      90_000,
    );
    expect(completed).toBeGreaterThan(0);
  }, 300_000);

  test('When the release is upgraded to a new image tag under a steady load, then the API rolls with no failed request', async () => {
    // The same image under a new tag (a new ReplicaSet, every API pod replaced).
    execFileSync(path.join(ROOT, 'scripts/cluster.sh'), ['tag', IMAGE, `${REPOSITORY}:${NEXT_TAG}`], {
      stdio: 'pipe',
    });
    const base = await serviceUrl(`${RELEASE}-trading-backend-api`);
    let running = true;
    const counts = { ok: 0, failed: 0, errors: [] as string[] };
    const client = async () => {
      while (running) {
        try {
          const response = await fetch(`${base}/api/v1/cryptocurrencies/?limit=1`, {
            signal: AbortSignal.timeout(10_000),
          });
          await response.arrayBuffer();
          if (response.status === 200) counts.ok += 1;
          else {
            counts.failed += 1;
            counts.errors.push(String(response.status));
          }
        } catch (error) {
          counts.failed += 1;
          counts.errors.push(String((error as Error).cause ?? error));
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    const before = await apps.readNamespacedDeployment({
      name: `${RELEASE}-trading-backend-api`,
      namespace: NS,
    });
    const upgrade = new Promise<number>((resolve) => {
      const child = spawn(
        'helm',
        ['upgrade', RELEASE, CHART, '-n', NS, ...values(NEXT_TAG), '--wait', '--timeout', '5m'],
        { stdio: 'ignore', cwd: ROOT },
      );
      child.on('exit', (code) => resolve(code ?? 1));
    });
    expect(await upgrade).toBe(0);
    // A little more load on the new pods alone, then stop.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    running = false;
    await Promise.all(clients);
    const after = await apps.readNamespacedDeployment({
      name: `${RELEASE}-trading-backend-api`,
      namespace: NS,
    });
    expect(after.spec!.template.spec!.containers[0]!.image).toBe(`${REPOSITORY}:${NEXT_TAG}`);
    expect(after.metadata!.generation).toBeGreaterThan(before.metadata!.generation!);
    process.stdout.write(`upgrade under load: ${counts.ok} requests answered, ${counts.failed} failed\n`);
    expect({ failed: counts.failed, errors: counts.errors.slice(0, 10) }).toEqual({ failed: 0, errors: [] });
    expect(counts.ok).toBeGreaterThan(100);
  }, 420_000);

  test('When helm test runs, then its pod reaches the API by its Service name and passes', () => {
    const output = helm(['test', RELEASE, '-n', NS, '--timeout', '3m']);
    expect(output).toMatch(/Phase:\s+Succeeded/);
  }, 240_000);

  test('When the release is uninstalled, then nothing is left but what the chart keeps on purpose (the CRD) and what the test made', async () => {
    helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '3m']);
    const left = await until(
      async () => {
        const names = kubectl([
          'get',
          'all,configmaps,secrets,serviceaccounts,roles,rolebindings,leases,networkpolicies,poddisruptionbudgets,cronjobs,jobs,marketdatafeeds',
          '-n',
          NS,
          '-o',
          'name',
        ])
          .split('\n')
          .filter(Boolean)
          .sort();
        return names.some((name) => name.startsWith('pod/')) ? undefined : names;
      },
      'the pods to go',
      120_000,
    );
    expect(left).toEqual([
      'configmap/kube-root-ca.crt',
      'secret/trading-backend-database',
      'secret/trading-backend-redis',
      'secret/trading-backend-secrets',
      'serviceaccount/default',
    ]);
    expect(kubectl(['get', 'crd', '-o', 'name'])).toContain(
      'customresourcedefinition.apiextensions.k8s.io/marketdatafeeds.trading-backend.io',
    );
  }, 240_000);
});
