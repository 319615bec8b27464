import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { withContext } from '../../test/expect-context.ts';
import { startKubeCluster, type TKubeCluster } from '../../test/kube-cluster.ts';
import { CHART, renderText, ROOT, VALUE_SETS } from './render.ts';

// The chart on a real kube-apiserver (no kubelet: pods stay Pending, so nothing here waits on them and
// the hooks that would, migrate and seed, are skipped with --no-hooks and checked as rendered objects).
const BUILD_MS = 20 * 60_000;
const NAMESPACE = 'trading';
const EXTERNAL = path.join(CHART, 'ci', 'values-external.yaml');
let cluster: TKubeCluster;

beforeAll(async () => {
  cluster = await startKubeCluster();
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  // What values-external.yaml expects to exist already.
  // What kube-controller-manager would make in a new namespace (the helm test pod runs as it).
  await core.createNamespacedServiceAccount({
    namespace: NAMESPACE,
    body: { metadata: { name: 'default' } },
  });
  const secrets: Record<string, Record<string, string>> = {
    'trading-backend-database': { uri: 'postgres://app:secret@db.example:5432/app' },
    'trading-backend-redis': { 'redis-url': 'redis://redis.example:6379' },
    'trading-backend-secrets': { SECRET_KEY: 'x'.repeat(48) },
  };
  for (const [name, data] of Object.entries(secrets)) {
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: { metadata: { name }, stringData: data },
    });
  }
}, BUILD_MS);
afterAll(async () => {
  await cluster?.close();
});

/** Schema-less CRDs for the third-party kinds the chart renders. */
function stubCrds(): string {
  const kinds: [group: string, version: string, kind: string][] = [
    ['postgresql.cnpg.io', 'v1', 'Cluster'],
    ['postgresql.cnpg.io', 'v1', 'Pooler'],
    ['postgresql.cnpg.io', 'v1', 'ScheduledBackup'],
    ['monitoring.coreos.com', 'v1', 'ServiceMonitor'],
    ['monitoring.coreos.com', 'v1', 'PodMonitor'],
    ['monitoring.coreos.com', 'v1', 'PrometheusRule'],
    ['keda.sh', 'v1alpha1', 'ScaledObject'],
  ];
  return kinds
    .map(([group, version, kind]) => {
      const plural = `${kind.toLowerCase()}s`;
      return JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
          versions: [
            {
              name: version,
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      });
    })
    .join('\n---\n');
}

const kubectl = (args: string[], input?: string) =>
  spawnSync(path.join(cluster.bin, 'kubectl'), ['--kubeconfig', cluster.kubeconfigPath, ...args], {
    encoding: 'utf8',
    input,
  });
const helm = (args: string[]) =>
  spawnSync('helm', [...args, '--kubeconfig', cluster.kubeconfigPath, '-n', NAMESPACE], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('the chart on a real API server', () => {
  test('When every value set is rendered, then the API server accepts every object on a server-side dry run', () => {
    // CRDs first, as helm install applies crds/ before the rest. The other operators' kinds (CloudNativePG,
    // the Prometheus operator, KEDA) are registered without a schema here: their own CRDs are not at hand
    // offline, and kubeconform already checks those objects against their schemas; every core object is
    // checked by the API server itself.
    const crds = kubectl(['apply', '--server-side', '-f', path.join(CHART, 'crds')]);
    withContext(crds.stderr, () => expect(crds.status).toBe(0));
    const stub = kubectl(['apply', '--server-side', '-f', '-'], stubCrds());
    withContext(stub.stderr, () => expect(stub.status).toBe(0));
    for (const [name, values] of Object.entries(VALUE_SETS)) {
      const dryRun = kubectl(['apply', '--dry-run=server', '-n', NAMESPACE, '-f', '-'], renderText(values));
      withContext(`${name}:\n${dryRun.stdout}\n${dryRun.stderr}`, () => expect(dryRun.status).toBe(0));
      expect(dryRun.stdout).toMatch(/deployment\.apps\/tb-trading-backend-api created \(server dry run\)/);
    }
  });

  test('When the chart is installed, upgraded and uninstalled, then the objects appear, change and go', async () => {
    const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
    const install = helm([
      'install',
      'tb',
      CHART,
      '-f',
      EXTERNAL,
      '--set',
      'operator.enabled=true',
      '--no-hooks',
    ]);
    withContext(install.stderr, () => expect(install.status).toBe(0));
    const deployments = (await apps.listNamespacedDeployment({ namespace: NAMESPACE })).items.map(
      (d) => d.metadata!.name,
    );
    expect(deployments.sort()).toEqual([
      'tb-trading-backend-api',
      'tb-trading-backend-operator',
      'tb-trading-backend-webhook-worker',
      'tb-trading-backend-worker',
    ]);
    const feeds = await cluster.kubeConfig.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'trading-backend.io',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'marketdatafeeds',
    });
    expect(
      (feeds as { items: { metadata: { name: string } }[] }).items.map((f) => f.metadata.name).sort(),
    ).toEqual(['sync-top200', 'sync-top50']);

    const upgrade = helm([
      'upgrade',
      'tb',
      CHART,
      '-f',
      EXTERNAL,
      '--set',
      'operator.enabled=true',
      '--set',
      'api.replicaCount=3',
      '--no-hooks',
    ]);
    withContext(upgrade.stderr, () => expect(upgrade.status).toBe(0));
    const api = await apps.readNamespacedDeployment({ name: 'tb-trading-backend-api', namespace: NAMESPACE });
    expect(api.spec!.replicas).toBe(3);
    expect(helm(['history', 'tb']).stdout).toMatch(/2\s+.*deployed/);

    const uninstall = helm(['uninstall', 'tb', '--no-hooks']);
    withContext(uninstall.stderr, () => expect(uninstall.status).toBe(0));
    expect((await apps.listNamespacedDeployment({ namespace: NAMESPACE })).items).toEqual([]);
  }, 120_000);
});
