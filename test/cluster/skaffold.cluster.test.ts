import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { DataSource } from 'typeorm';
import { withSearchPath } from '../db.ts';
import { ROOT } from '../processes.ts';

// Skaffold's local loop against the same one-node cluster (npm run test:cluster with TEST_SKAFFOLD=1:
// building Skaffold cold takes about 12 minutes, so the tier leaves it out unless asked).
const NS = 'trading';
const HOST = process.env.CLUSTER_HOST_ADDRESS ?? '10.244.0.1';
const DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://trading:trading@127.0.0.1:5432/trading_test';
const schema = `skf_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const maybe = process.env.TEST_SKAFFOLD === '1' ? describe : describe.skip;
let admin: DataSource | undefined;

maybe('Skaffold on npm run cluster', () => {
  const kc = new KubeConfig();
  let core: CoreV1Api;
  beforeAll(async () => {
    kc.loadFromDefault();
    core = kc.makeApiClient(CoreV1Api);
    admin = new DataSource({ type: 'postgres', url: DATABASE_URL });
    await admin.initialize();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
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
    for (const [name, data] of Object.entries(secrets)) {
      await core.deleteNamespacedSecret({ name, namespace: NS }).catch(() => undefined);
      await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: data } });
    }
  }, 60_000);
  afterAll(async () => {
    try {
      execFileSync('helm', ['uninstall', 'trading-backend', '-n', NS, '--wait'], { stdio: 'pipe' });
    } catch {
      // not installed
    }
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin?.destroy();
  });

  test('When skaffold run builds with the buildah builder and deploys the chart, then the API is Ready and answers', async () => {
    const output = execFileSync('bash', [path.join(ROOT, 'scripts/skaffold.sh'), 'run'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    });
    expect(output).toMatch(/Deployments stabilized/);
    const apps = kc.makeApiClient(AppsV1Api);
    const api = await apps.readNamespacedDeployment({ name: 'trading-backend-api', namespace: NS });
    expect(api.status?.readyReplicas).toBe(api.spec?.replicas);
    expect(api.spec!.template.spec!.containers[0]!.image).toMatch(/^127\.0\.0\.1:5000\/trading-backend:/);
    const service = await core.readNamespacedService({ name: 'trading-backend-api', namespace: NS });
    const response = await fetch(`http://${service.spec!.clusterIP}/readyz`);
    expect(response.status).toBe(200);
  }, 1_200_000);
});
