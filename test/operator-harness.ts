import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ApiextensionsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1CronJob,
} from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { startKubeCluster, type TKubeCluster } from './kube-cluster.ts';
import { freePort, ROOT, startProcess, waitForStatus, type TChild } from './processes.ts';
import { FEED_GROUP, FEED_PLURAL, FEED_VERSION, type TFeed } from '../operator/feed.schema.ts';

/** The release name the operator's account is rendered for, and so the names of its objects. */
export const RELEASE = 'tb';
export const OPERATOR = `${RELEASE}-trading-backend-operator`;

export type TRule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
export type TOperatorHarness = Awaited<ReturnType<typeof startOperatorHarness>>;

export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
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

/**
 * A real API server with the MarketDataFeed CRD, and operators that run as the chart's own operator
 * account: the ServiceAccount, Role, RoleBinding and Lease `helm template` renders, applied in each test's
 * namespace, and a token for that account from the API server (TokenRequest), never the admin's.
 */
export async function startOperatorHarness(options: { audit?: boolean } = {}) {
  const cluster: TKubeCluster = await startKubeCluster(options);
  const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  const batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const leases = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  const children: TChild[] = [];
  const kubectl = (args: string[], input?: string) =>
    execFileSync(path.join(cluster.bin, 'kubectl'), ['--kubeconfig', cluster.kubeconfigPath, ...args], {
      input,
      encoding: 'utf8',
      stdio: 'pipe',
    });

  // Applied as a file with kubectl, as helm and users do (client-node's models would drop `enum`).
  const crdFile = path.join(ROOT, 'charts/trading-backend/crds/marketdatafeeds.trading-backend.io.yaml');
  const crd = parse(readFileSync(crdFile, 'utf8'));
  kubectl(['apply', '-f', crdFile]);
  const extensions = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await until(async () => {
    const found = await extensions.readCustomResourceDefinition({ name: crd.metadata.name });
    return (
      found.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
    );
  }, 'the CRD to be established');
  await cluster.startGarbageCollector();

  let namespaceCount = 0;
  const kubeconfigs = new Map<string, string>();

  /** The chart's operator objects for namespace `ns` (helm template, external services, operator on). */
  function renderAccount(ns: string) {
    const text = execFileSync(
      'helm',
      [
        'template',
        RELEASE,
        path.join(ROOT, 'charts/trading-backend'),
        '-n',
        ns,
        '--kube-version',
        '1.36.0',
        '-f',
        path.join(ROOT, 'charts/trading-backend/ci/values-external.yaml'),
        '--set',
        'operator.enabled=true',
        '--show-only',
        'templates/operator.yaml',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    return parseAllDocuments(text)
      .map((document) => document.toJSON())
      .filter(
        (manifest) =>
          manifest && ['ServiceAccount', 'Role', 'RoleBinding', 'Lease'].includes(manifest.kind as string),
      );
  }

  /** A namespace with the chart's operator account in it, and a kubeconfig holding that account's token. */
  async function namespace(): Promise<string> {
    const ns = `feeds-${(namespaceCount += 1)}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    kubectl(
      ['apply', '-n', ns, '-f', '-'],
      renderAccount(ns)
        .map((m) => JSON.stringify(m))
        .join('\n'),
    );
    const { status } = await core.createNamespacedServiceAccountToken({
      name: OPERATOR,
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const file = path.join(path.dirname(cluster.kubeconfigPath), `operator-${ns}.kubeconfig`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: cluster.server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: OPERATOR, user: { token: status!.token } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: OPERATOR, namespace: ns } }],
        'current-context': 'test',
      }),
    );
    kubeconfigs.set(ns, file);
    return ns;
  }

  async function startOperator(
    ns: string,
    identity: string,
    extra: Record<string, string> = {},
  ): Promise<TChild & { port: number }> {
    const port = await freePort();
    const child = startProcess('operator/main.ts', {
      KUBECONFIG: kubeconfigs.get(ns)!,
      OPERATOR_NAMESPACE: ns,
      OPERATOR_PORT: String(port),
      OPERATOR_IDENTITY: identity,
      OPERATOR_LEASE_NAME: OPERATOR,
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
      // Production, as in the pod: no SECRET_KEY, which the operator does not need.
      NODE_ENV: 'production',
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
  const createFeed = (ns: string, name: string, spec: Record<string, unknown>) =>
    until(
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
  const readFeed = (ns: string, name: string) =>
    custom.getNamespacedCustomObject({ ...feedApi(ns), name }) as Promise<TFeed>;
  /**
   * A user's edit of a feed's spec: read, change, replace, and again on a 409 (the operator wrote the
   * status in between, which moves the resourceVersion), as `kubectl edit` and client-go's
   * RetryOnConflict do.
   */
  async function editFeed(ns: string, name: string, change: (spec: Record<string, unknown>) => object) {
    for (let attempt = 1; ; attempt += 1) {
      const current = await readFeed(ns, name);
      try {
        return await custom.replaceNamespacedCustomObject({
          ...feedApi(ns),
          name,
          body: { ...current, spec: change(current.spec as Record<string, unknown>) },
        });
      } catch (error) {
        if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error;
      }
    }
  }
  const cronJobs = async (ns: string): Promise<V1CronJob[]> =>
    (await batch.listNamespacedCronJob({ namespace: ns })).items.sort((a, b) =>
      a.metadata!.name!.localeCompare(b.metadata!.name!),
    );
  const holder = async (ns: string) =>
    (await leases.readNamespacedLease({ name: OPERATOR, namespace: ns })).spec?.holderIdentity;

  return {
    cluster,
    custom,
    batch,
    core,
    leases,
    kubectl,
    renderAccount,
    namespace,
    startOperator,
    feedApi,
    createFeed,
    readFeed,
    editFeed,
    cronJobs,
    holder,
    condition: (feed: TFeed, type: string) => feed.status?.conditions?.find((c) => c.type === type),
    async close() {
      for (const child of children.splice(0)) {
        child.process.kill('SIGKILL');
        await child.exited;
      }
      await cluster.close();
    },
  };
}
