import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { withContext } from '../../test/expect-context.ts';
import { parse, parseAllDocuments } from 'yaml';
import {
  CHART,
  lint,
  podLabelsOf,
  podSpecOf,
  render,
  renderError,
  renderText,
  ROOT,
  VALUE_SETS,
  type TManifest,
} from './render.ts';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'CronJob', 'Job', 'Pod']);
const SECRET_NAMES = /SECRET|TOKEN|PASSWORD|API_KEY|DATABASE_URL/;
const rendered = Object.fromEntries(Object.entries(VALUE_SETS).map(([name, args]) => [name, render(args)]));

function kubeconform(text: string): { status: number; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeconform-'));
  const file = path.join(dir, 'rendered.yaml');
  writeFileSync(file, text);
  const schemas = path.join(ROOT, 'k8s', 'schemas');
  const result = spawnSync(
    'kubeconform',
    [
      '-strict',
      '-summary',
      '-kubernetes-version',
      '1.30.0',
      '-schema-location',
      schemas,
      '-schema-location',
      `${schemas}/crds/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`,
      file,
    ],
    { encoding: 'utf8' },
  );
  return { status: result.status ?? 1, output: result.stdout + result.stderr };
}

for (const [name, args] of Object.entries(VALUE_SETS)) {
  describe(`values: ${name}`, () => {
    test('When linted strictly, then helm lint passes', () => {
      const result = lint(args);
      withContext(result.output, () => expect(result.status).toBe(0));
    });

    test('When rendered, then every manifest validates with kubeconform -strict', () => {
      const result = kubeconform(renderText(args));
      withContext(result.output, () => expect(result.status).toBe(0));
      expect(result.output).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
    });

    test('When rendered, then every workload follows the security, probe, resource and label policies', () => {
      for (const manifest of rendered[name]!) {
        const where = `${manifest.kind}/${manifest.metadata.name}`;
        for (const label of [
          'app.kubernetes.io/name',
          'app.kubernetes.io/instance',
          'app.kubernetes.io/managed-by',
          'helm.sh/chart',
        ]) {
          withContext(`${where} has label ${label}`, () =>
            expect(manifest.metadata.labels?.[label]).toBeTruthy(),
          );
        }
        if (!WORKLOADS.has(manifest.kind)) continue;
        const pod = podSpecOf(manifest);
        withContext(`${where} pods carry a component label`, () =>
          expect(podLabelsOf(manifest)['app.kubernetes.io/component']).toBeTruthy(),
        );
        // Only the operator talks to the Kubernetes API, so only its pods mount a token (its Role is namespaced).
        const operator = manifest.metadata.name.endsWith('-operator');
        withContext(`${where} mounts ${operator ? 'its' : 'no'} service-account token`, () =>
          expect(pod.automountServiceAccountToken).toBe(operator),
        );
        withContext(`${where} runAsNonRoot`, () => expect(pod.securityContext?.runAsNonRoot).toBe(true));
        withContext(`${where} numeric user`, () =>
          expect(typeof pod.securityContext?.runAsUser).toBe('number'),
        );
        withContext(`${where} seccomp`, () =>
          expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault'),
        );
        for (const container of pod.containers) {
          const at = `${where}/${container.name}`;
          const security = container.securityContext ?? {};
          withContext(`${at} read-only root`, () => expect(security.readOnlyRootFilesystem).toBe(true));
          withContext(`${at} no privilege escalation`, () =>
            expect(security.allowPrivilegeEscalation).toBe(false),
          );
          withContext(`${at} drops ALL`, () => expect(security.capabilities?.drop).toStrictEqual(['ALL']));
          for (const kind of ['requests', 'limits']) {
            withContext(`${at} has cpu/memory ${kind}`, () =>
              expect(container.resources?.[kind]?.cpu && container.resources?.[kind]?.memory).toBeTruthy(),
            );
          }
          withContext(`${at} image is pinned`, () => expect(container.image).not.toMatch(/:latest$/));
          withContext(`${at} image has a tag or digest`, () => expect(container.image).toMatch(/[:@]/));
          withContext(`${at} has a writable /tmp or data volume`, () =>
            expect(
              (container.volumeMounts ?? []).some(
                (mount: { mountPath: string }) => mount.mountPath === '/tmp' || mount.mountPath === '/data',
              ),
            ).toBeTruthy(),
          );
          for (const variable of container.env ?? []) {
            if (!SECRET_NAMES.test(variable.name)) continue;
            // A URL may be put together from variables that are themselves read from a Secret (the
            // Pooler's DATABASE_URL: $(DATABASE_USER):$(DATABASE_PASSWORD)@host): no secret in the manifest.
            const composed =
              typeof variable.value === 'string' &&
              /^[a-z]+:\/\/\$\([A-Z_]+\):\$\([A-Z_]+\)@[^$]+$/.test(variable.value) &&
              [...variable.value.matchAll(/\$\(([A-Z_]+)\)/g)].every(([, name]) =>
                container.env.some((other: any) => other.name === name && other.valueFrom?.secretKeyRef),
              );
            withContext(`${at} reads ${variable.name} by secretKeyRef, not by value`, () =>
              expect(variable.valueFrom?.secretKeyRef || composed).toBeTruthy(),
            );
          }
          for (const variable of container.env ?? []) {
            if (variable.name === 'REDIS_URL' && variable.value)
              withContext(`${at} REDIS_URL references the secret`, () =>
                expect(variable.value).toMatch(/\$\(REDIS_PASSWORD\)/),
              );
          }
          if (manifest.kind === 'Deployment' || manifest.kind === 'StatefulSet') {
            for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
              withContext(`${at} has ${probe}`, () => expect(container[probe]).toBeTruthy());
          }
        }
        if (manifest.kind === 'Deployment') {
          const [container] = pod.containers;
          expect(container.readinessProbe.httpGet.path).toBe('/readyz');
          expect(container.livenessProbe.httpGet.path).toBe('/livez');
          withContext(`${where} rolls on config changes`, () =>
            expect(manifest.spec.template.metadata.annotations['checksum/config']).toBeTruthy(),
          );
          withContext(`${where} spreads across nodes`, () =>
            expect(pod.topologySpreadConstraints?.length).toBeTruthy(),
          );
        }
      }
    });

    test('When rendered, then CronJobs never overlap and clean up after themselves', () => {
      const cronJobs = rendered[name]!.filter((manifest) => manifest.kind === 'CronJob');
      // With the operator on, feeds take the static CronJobs' place (the operator makes theirs).
      // The report schedules stay (withOperator in values.yaml).
      expect(cronJobs.length).toBe(name === 'operator' ? 2 : 5);
      for (const cronJob of cronJobs) {
        expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
        expect(cronJob.spec.startingDeadlineSeconds > 0).toBeTruthy();
        expect(
          cronJob.spec.successfulJobsHistoryLimit >= 1 && cronJob.spec.failedJobsHistoryLimit >= 1,
        ).toBeTruthy();
        expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds > 0).toBeTruthy();
        expect(cronJob.spec.jobTemplate.spec.ttlSecondsAfterFinished > 0).toBeTruthy();
        expect(podSpecOf(cronJob).containers[0].args[0]).toBe('worker/trigger.js');
      }
      const schedules = cronJobs
        .map(
          (cronJob) => `${cronJob.spec.schedule} ${podSpecOf(cronJob).containers[0].args.slice(1).join(' ')}`,
        )
        .sort();
      const reports = ['29 3 * * * cleanup-reports', '41 * * * * report-schedules'];
      expect(schedules).toStrictEqual(
        name === 'operator'
          ? reports
          : [
              '*/5 * * * * sync --limit 50',
              '17 3 * * * cleanup',
              ...reports,
              '7 * * * * sync --limit 200',
            ].sort(),
      );
    });

    test('When autoscaling is on, then the Deployment has no replicas and only one autoscaler', () => {
      const manifests = rendered[name]!;
      const hpaTargets = manifests
        .filter((m) => m.kind === 'HorizontalPodAutoscaler')
        .map((m) => m.spec.scaleTargetRef.name);
      const kedaTargets = manifests
        .filter((m) => m.kind === 'ScaledObject')
        .map((m) => m.spec.scaleTargetRef.name);
      for (const target of hpaTargets)
        withContext(`${target} has both an HPA and a ScaledObject`, () =>
          expect(!kedaTargets.includes(target)).toBeTruthy(),
        );
      for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
        const scaled = [...hpaTargets, ...kedaTargets].includes(deployment.metadata.name);
        withContext(`${deployment.metadata.name}: replicas only without autoscaling`, () =>
          expect('replicas' in deployment.spec).toBe(!scaled),
        );
      }
    });

    test('When the API shuts down, then the grace period covers the preStop delay', () => {
      const api = rendered[name]!.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
      const pod = podSpecOf(api);
      const delay = pod.containers[0].lifecycle.preStop.sleep.seconds;
      expect(pod.terminationGracePeriodSeconds > delay + 5).toBeTruthy();
    });
  });
}

describe('chart behaviour per value set', () => {
  test('When production values are used, then the apps reach PostgreSQL through a PgBouncer Pooler and migrations go straight to the primary', () => {
    const manifests = rendered.production!;
    const pooler = manifests.find((m) => m.kind === 'Pooler')!;
    expect(pooler.spec).toMatchObject({ type: 'rw', instances: 2, pgbouncer: { poolMode: 'transaction' } });
    const envOf = (m: any) =>
      Object.fromEntries(podSpecOf(m).containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    expect(envOf(api).DATABASE_URL).toMatch(/@tb-trading-backend-pg-pooler-rw:5432\/trading$/);
    const migrate = manifests.find((m) => m.kind === 'Job' && m.metadata.name.endsWith('-migrate'))!;
    expect(envOf(migrate).DATABASE_URL).toEqual({
      secretKeyRef: { name: 'tb-trading-backend-pg-app', key: 'uri' },
    });
    const config = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-config'))!;
    expect(config.data.DATABASE_POOL_SIZE).toBe('10');
    const policy = manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name.endsWith('-api'))!;
    expect(JSON.stringify(policy.spec.egress)).toContain(
      '"cnpg.io/poolerName":"tb-trading-backend-pg-pooler-rw"',
    );
  });

  test('When production values are used, then Redis runs as a master, replicas and Sentinels, and the apps find the master through them', () => {
    const manifests = rendered.production!;
    const redis = manifests.find((m) => m.kind === 'StatefulSet' && m.metadata.name.endsWith('-redis'))!;
    expect(redis.spec.replicas).toBe(3);
    expect(redis.spec.serviceName).toBe('tb-trading-backend-redis-headless');
    const pod = podSpecOf(redis);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['redis', 'sentinel']);
    expect(pod.initContainers[0].args[0]).toContain('sentinel monitor mymaster $master 6379 2');
    expect(pod.affinity.podAntiAffinity).toBeTruthy();
    expect(
      manifests.some(
        (m) => m.kind === 'PodDisruptionBudget' && m.metadata.name === 'tb-trading-backend-redis',
      ),
    ).toBe(true);
    const headless = manifests.find(
      (m) => m.kind === 'Service' && m.metadata.name.endsWith('-redis-headless'),
    )!;
    expect(headless.spec.clusterIP).toBe('None');
    const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    const env = Object.fromEntries(
      podSpecOf(api).containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
    );
    expect(env.REDIS_SENTINELS.split(',')).toEqual(
      [0, 1, 2].map((i) => `tb-trading-backend-redis-${i}.tb-trading-backend-redis-headless:26379`),
    );
    expect(env.REDIS_SENTINEL_MASTER).toBe('mymaster');
    expect(env.REDIS_URL).toBeUndefined();
    const policy = manifests.find(
      (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'tb-trading-backend-redis',
    )!;
    expect(JSON.stringify(policy.spec.ingress)).toContain('26379');
    // The cache store is Sentinel-managed too, under its own master name, found through its own Sentinels.
    const cache = manifests.find(
      (m) => m.kind === 'StatefulSet' && m.metadata.name.endsWith('-redis-cache'),
    )!;
    expect(cache.spec.replicas).toBe(3);
    expect(podSpecOf(cache).containers.map((c: any) => c.name)).toEqual(['redis', 'sentinel']);
    expect(podSpecOf(cache).initContainers[0].args[0]).toContain('sentinel monitor cache $master 6379 2');
    expect(env.CACHE_REDIS_SENTINELS.split(',')).toEqual(
      [0, 1, 2].map(
        (i) => `tb-trading-backend-redis-cache-${i}.tb-trading-backend-redis-cache-headless:26379`,
      ),
    );
    expect(env.CACHE_REDIS_SENTINEL_MASTER).toBe('cache');
    expect(env.CACHE_REDIS_PASSWORD).toStrictEqual({
      secretKeyRef: { name: 'tb-trading-backend-redis', key: 'redis-password' },
    });
    expect(env.CACHE_REDIS_URL).toBeUndefined();
    const cachePolicy = manifests.find(
      (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'tb-trading-backend-redis-cache',
    )!;
    expect(JSON.stringify(cachePolicy.spec.ingress)).toContain('26379');
  });

  test('When CloudNativePG backups are enabled, then the Cluster archives to object storage and a ScheduledBackup runs; without a destination it refuses', () => {
    const manifests = render([
      '--set',
      'postgresql.cnpg.backup.enabled=true',
      '--set',
      'postgresql.cnpg.backup.destinationPath=s3://backups/tb',
      '--set',
      'postgresql.cnpg.backup.s3CredentialsSecret=backup-s3',
    ]);
    const cluster = manifests.find((m) => m.kind === 'Cluster')!;
    expect(cluster.spec.backup).toMatchObject({
      retentionPolicy: '30d',
      barmanObjectStore: {
        destinationPath: 's3://backups/tb',
        s3Credentials: { accessKeyId: { name: 'backup-s3', key: 'ACCESS_KEY_ID' } },
      },
    });
    expect(manifests.find((m) => m.kind === 'ScheduledBackup')!.spec).toMatchObject({
      schedule: '0 0 3 * * *',
      cluster: { name: 'tb-trading-backend-pg' },
    });
    expect(render([]).some((m) => m.kind === 'ScheduledBackup')).toBe(false);
    expect(renderError(['--set', 'postgresql.cnpg.backup.enabled=true'])).toMatch(
      /needs destinationPath and s3CredentialsSecret/,
    );
  });

  test('When production values are used, then it is highly available and autoscaled', () => {
    const manifests = rendered.production!;
    const cluster = manifests.find((m) => m.kind === 'Cluster')!;
    expect(cluster.spec.instances).toBe(3);
    const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec.metrics.map((metric: any) => metric.type)).toStrictEqual(['Resource', 'Pods']);
    expect(hpa.spec.metrics[1].pods.metric.name).toBe('http_requests_per_second');
    const scaled = manifests.find((m) => m.kind === 'ScaledObject')!;
    expect(scaled.spec.triggers[0].metadata.query).toMatch(
      // Dead letters wait for an operator, not for workers: they never count as backlog.
      /bullmq_queue_jobs\{namespace="trading",queue!="dead-letter",state=~"waiting\|prioritized"\}/,
    );
    // api, worker and (with Sentinels) both Redis stores.
    expect(manifests.filter((m) => m.kind === 'PodDisruptionBudget').length).toBe(4);
    expect(manifests.find((m) => m.kind === 'Ingress')?.spec.tls.length).toBeTruthy();
    expect(manifests.find((m) => m.kind === 'ServiceMonitor')!.metadata.labels!.release).toBe(
      'kube-prometheus-stack',
    );
  });

  test('When CloudNativePG is on, then apps read DATABASE_URL from the <cluster>-app secret key uri', () => {
    const api = rendered.default!.find(
      (m) => m.kind === 'Deployment' && m.metadata.name === 'tb-trading-backend-api',
    )!;
    const variable = podSpecOf(api).containers[0].env.find(
      (e: { name: string }) => e.name === 'DATABASE_URL',
    );
    expect(variable.valueFrom.secretKeyRef).toStrictEqual({ name: 'tb-trading-backend-pg-app', key: 'uri' });
    const migrate = rendered.default!.find((m) => m.kind === 'Job' && m.metadata.name.endsWith('-migrate'))!;
    expect(migrate.metadata.annotations!['helm.sh/hook']).toBe('post-install,pre-upgrade');
  });

  test('When external services are used, then no database or Redis is created and URLs come from secrets', () => {
    const manifests = rendered.external!;
    expect(!manifests.some((m) => m.kind === 'Cluster' || m.kind === 'StatefulSet')).toBeTruthy();
    const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    const env = podSpecOf(api).containers[0].env;
    expect(env.find((e: { name: string }) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef).toStrictEqual(
      {
        name: 'trading-backend-database',
        key: 'uri',
      },
    );
    expect(env.find((e: { name: string }) => e.name === 'REDIS_URL').valueFrom.secretKeyRef).toStrictEqual({
      name: 'trading-backend-redis',
      key: 'redis-url',
    });
    expect(
      env.find((e: { name: string }) => e.name === 'CACHE_REDIS_URL').valueFrom.secretKeyRef,
    ).toStrictEqual({ name: 'trading-backend-redis', key: 'cache-redis-url' });
    const migrate = manifests.find((m) => m.kind === 'Job' && m.metadata.name.endsWith('-migrate'))!;
    expect(migrate.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    // Without a cache URL the cache shares the one external Redis.
    const shared = render([
      '-f',
      path.join(CHART, 'ci', 'values-external.yaml'),
      '--set',
      'redis.external.cacheSecretKey=',
    ]);
    const sharedApi = shared.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    expect(
      podSpecOf(sharedApi).containers[0].env.some((e: { name: string }) => e.name.startsWith('CACHE_')),
    ).toBe(false);
  });

  test('When a bootstrap admin email is set, then a Secret holds it with a generated password, and both apps read it', () => {
    const manifests = render(['--set', 'bootstrapAdmin.email=ops@example.com']);
    const secret = manifests.find(
      (m) => m.kind === 'Secret' && m.metadata.name === 'tb-trading-backend-bootstrap-admin',
    )!;
    expect(Buffer.from(secret.data.BOOTSTRAP_ADMIN_EMAIL, 'base64').toString()).toBe('ops@example.com');
    expect(Buffer.from(secret.data.BOOTSTRAP_ADMIN_PASSWORD, 'base64').toString()).toMatch(
      /^[A-Za-z0-9]{24}$/,
    );
    for (const name of ['tb-trading-backend-api', 'tb-trading-backend-worker']) {
      const env = podSpecOf(manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === name)!)
        .containers[0].env;
      for (const key of ['BOOTSTRAP_ADMIN_EMAIL', 'BOOTSTRAP_ADMIN_PASSWORD']) {
        expect(env.find((e: { name: string }) => e.name === key).valueFrom.secretKeyRef).toStrictEqual({
          name: 'tb-trading-backend-bootstrap-admin',
          key,
        });
      }
    }
    const existing = render(['--set', 'bootstrapAdmin.existingSecret=ops-admin']);
    expect(existing.some((m) => m.metadata.name.endsWith('-bootstrap-admin'))).toBe(false);
    const api = existing.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    expect(
      podSpecOf(api).containers[0].env.find((e: { name: string }) => e.name === 'BOOTSTRAP_ADMIN_PASSWORD')
        .valueFrom.secretKeyRef.name,
    ).toBe('ops-admin');
    // Without either, no bootstrap variables at all (the app then creates no admin).
    const none = rendered.default!.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    expect(
      podSpecOf(none).containers[0].env.some((e: { name: string }) => e.name.startsWith('BOOTSTRAP_')),
    ).toBe(false);
  });

  test('When a JWT signing key and previous public keys are given, then they go to the Secret and the apps', () => {
    const manifests = render([
      '--set-string',
      'secrets.jwtPrivateKey=-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----',
      '--set-string',
      'secrets.jwtPreviousPublicKeys=-----BEGIN PUBLIC KEY-----y-----END PUBLIC KEY-----',
    ]);
    const secret = manifests.find(
      (m) => m.kind === 'Secret' && m.metadata.name === 'tb-trading-backend-app',
    )!;
    expect(Buffer.from(secret.data.JWT_PRIVATE_KEY, 'base64').toString()).toContain('PRIVATE KEY');
    expect(Buffer.from(secret.data.JWT_PREVIOUS_PUBLIC_KEYS, 'base64').toString()).toContain('PUBLIC KEY');
    const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    const names = podSpecOf(api).containers[0].env.map((e: { name: string }) => e.name);
    expect(names).toEqual(expect.arrayContaining(['JWT_PRIVATE_KEY', 'JWT_PREVIOUS_PUBLIC_KEYS']));
    const config = rendered.default!.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-config'),
    )!;
    expect(config.data).toMatchObject({
      PUBLIC_MARKET_DATA: 'true',
      AUTH_SIGNUP: 'closed',
      AUDIT_RETENTION_DAYS: '365',
    });
  });

  test('When a SECRET_KEY rotation keeps the previous key, then it goes to the Secret and every app reads it', () => {
    const manifests = render(['--set-string', `secrets.secretKeyPrevious=${'p'.repeat(48)}`]);
    const secret = manifests.find(
      (m) => m.kind === 'Secret' && m.metadata.name === 'tb-trading-backend-app',
    )!;
    expect(Buffer.from(secret.data.SECRET_KEY_PREVIOUS, 'base64').toString()).toBe('p'.repeat(48));
    for (const name of ['-api', '-worker']) {
      const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith(name))!;
      const variable = podSpecOf(deployment).containers[0].env.find(
        (e: { name: string }) => e.name === 'SECRET_KEY_PREVIOUS',
      );
      withContext(name, () =>
        expect(variable.valueFrom.secretKeyRef).toMatchObject({ key: 'SECRET_KEY_PREVIOUS', optional: true }),
      );
    }
  });

  test('When webhook receivers use a private CA, then the pods that deliver mount its bundle as WEBHOOK_CA_FILE, and no others', () => {
    const deliverer = (manifests: TManifest[], suffix: string) =>
      podSpecOf(manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith(suffix))!);
    const caFile = (spec: any) =>
      spec.containers[0].env.find((e: { name: string }) => e.name === 'WEBHOOK_CA_FILE')?.value;
    const split = render(['--set', 'webhookWorker.caConfigMap=corp-ca']);
    const hooks = deliverer(split, '-webhook-worker');
    expect(caFile(hooks)).toBe('/etc/trading-backend/webhook-ca/ca.crt');
    expect(hooks.volumes).toContainEqual({ name: 'webhook-ca', configMap: { name: 'corp-ca' } });
    expect(hooks.containers[0].volumeMounts).toContainEqual({
      name: 'webhook-ca',
      mountPath: '/etc/trading-backend/webhook-ca',
      readOnly: true,
    });
    expect(caFile(deliverer(split, '-worker'))).toBeUndefined();
    const single = render([
      '--set',
      'webhookWorker.caConfigMap=corp-ca',
      '--set',
      'webhookWorker.enabled=false',
    ]);
    expect(caFile(deliverer(single, '-worker'))).toBe('/etc/trading-backend/webhook-ca/ca.crt');
    expect(caFile(deliverer(rendered.default!, '-webhook-worker'))).toBeUndefined();
  });

  test('When the API is exposed through an Ingress, then it routes the public paths and never /metrics or the probes', () => {
    /** What an Ingress rule set sends to the API for `path`, by the Kubernetes matching rules. */
    const routes = (ingress: TManifest, path: string) =>
      ingress.spec.rules.some((rule: any) =>
        rule.http.paths.some((entry: { path: string; pathType: string }) =>
          entry.pathType === 'Exact'
            ? entry.path === path
            : entry.path === '/' ||
              path === entry.path ||
              path.startsWith(`${entry.path.replace(/\/$/, '')}/`),
        ),
      );
    for (const ingress of [
      rendered.production!.find((m) => m.kind === 'Ingress')!,
      render(['--set', 'api.ingress.enabled=true']).find((m) => m.kind === 'Ingress')!,
    ]) {
      for (const path of [
        '/api/v1/cryptocurrencies/',
        '/.well-known/jwks.json',
        '/docs/',
        '/openapi.json',
        '/health',
        '/admin/queues/',
        '/',
      ])
        withContext(path, () => expect(routes(ingress, path)).toBe(true));
      for (const path of ['/metrics', '/readyz', '/livez', '/metricsx'])
        withContext(path, () => expect(routes(ingress, path)).toBe(false));
    }
    for (const [path, type] of [
      ['/', 'Prefix'],
      ['/metrics', 'Exact'],
      ['/metrics/', 'ImplementationSpecific'],
    ])
      expect(
        renderError([
          '--set',
          'api.ingress.enabled=true',
          '--set',
          `api.ingress.hosts[0].host=x.example.com`,
          '--set',
          `api.ingress.hosts[0].paths[0].path=${path}`,
          '--set',
          `api.ingress.hosts[0].paths[0].pathType=${type}`,
        ]),
      ).toMatch(`the path ${path} (${type}) would route /metrics through the ingress`);
  });

  test('When Redis runs in the release, then it persists and never evicts', () => {
    const config = rendered.default!.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-redis-config'),
    )!;
    for (const line of [
      'appendonly yes',
      'appendfsync everysec',
      'maxmemory 256mb',
      'maxmemory-policy noeviction',
    ]) {
      withContext(line, () => expect(config.data['redis.conf'].includes(line)).toBeTruthy());
    }
    const redis = rendered.default!.find(
      (m) => m.kind === 'StatefulSet' && m.metadata.name === 'tb-trading-backend-redis',
    )!;
    expect(redis.spec.replicas).toBe(1);
    expect(redis.spec.volumeClaimTemplates.length).toBe(1);
  });

  test('When Redis runs in the release, then the cache store is a second Redis that evicts within its bound, keeps nothing, and the apps use it', () => {
    const manifests = rendered.default!;
    const config = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name === 'tb-trading-backend-redis-cache-config',
    )!;
    const conf = config.data['redis.conf'] as string;
    for (const line of ['maxmemory 128mb', 'maxmemory-policy allkeys-lru', 'appendonly no', 'save ""'])
      withContext(line, () => expect(conf.split('\n')).toContain(line));
    expect(conf).not.toContain('noeviction');
    const cache = manifests.find(
      (m) => m.kind === 'StatefulSet' && m.metadata.name === 'tb-trading-backend-redis-cache',
    )!;
    expect(cache.spec.volumeClaimTemplates).toBeUndefined();
    expect(podSpecOf(cache).volumes.find((v: any) => v.name === 'data').emptyDir).toBeTruthy();
    for (const component of ['api', 'worker', 'webhook-worker']) {
      const deployment = manifests.find(
        (m) => m.kind === 'Deployment' && m.metadata.labels!['app.kubernetes.io/component'] === component,
      )!;
      const env = podSpecOf(deployment).containers[0].env;
      withContext(component, () =>
        expect(env.find((e: { name: string }) => e.name === 'CACHE_REDIS_URL').value).toBe(
          'redis://:$(REDIS_PASSWORD)@tb-trading-backend-redis-cache:6379',
        ),
      );
    }
    const api = manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name.endsWith('-api'))!;
    expect(JSON.stringify(api.spec.egress)).toContain('"app.kubernetes.io/component":"redis-cache"');
    expect(
      manifests.some(
        (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'tb-trading-backend-redis-cache',
      ),
    ).toBe(true);
    // One Redis for both when asked: no second store, no cache URL.
    const single = render(['--set', 'redis.cache.enabled=false']);
    expect(single.some((m) => m.metadata.name.includes('redis-cache'))).toBe(false);
    const singleApi = single.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    expect(
      podSpecOf(singleApi).containers[0].env.some((e: { name: string }) => e.name.startsWith('CACHE_')),
    ).toBe(false);
  });

  test('When webhooks are delivered by their own pool, then only its pods serve deliver-webhook and only its NetworkPolicy reaches the internet', () => {
    const manifests = rendered.default!;
    const deployment = (component: string) =>
      manifests.find(
        (m) => m.kind === 'Deployment' && m.metadata.labels!['app.kubernetes.io/component'] === component,
      )!;
    const env = (component: string) =>
      Object.fromEntries(
        deployment(component).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
      );
    expect(env('webhook-worker')).toMatchObject({
      WORKER_QUEUES: 'deliver-webhook',
      QUEUE_CONCURRENCY: 'deliver-webhook=16',
    });
    expect(env('worker')).toMatchObject({ WORKER_SKIP_QUEUES: 'deliver-webhook' });
    expect(env('worker').WORKER_QUEUES).toBeUndefined();
    const policy = (component: string) =>
      manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name.endsWith(`-${component}`))!;
    const open = (component: string) =>
      policy(component).spec.egress.filter((rule: any) =>
        rule.to?.some((to: any) => to.ipBlock?.cidr === '0.0.0.0/0'),
      );
    expect(open('webhook-worker')).toHaveLength(1);
    expect(open('webhook-worker')[0].to[0].ipBlock.except).toContain('169.254.0.0/16');
    expect(open('api')).toHaveLength(0);
  });

  test('When monitoring is on, then ServiceMonitors, alerts with runbooks and the dashboard are rendered', () => {
    const manifests = rendered.default!;
    expect(
      manifests
        .filter((m) => m.kind === 'ServiceMonitor')
        .map((m) => m.spec.endpoints[0].port)
        .sort(),
    ).toStrictEqual(['http', 'metrics', 'metrics']);
    const rules = manifests
      .find((m) => m.kind === 'PrometheusRule')!
      .spec.groups.flatMap((group: any) => group.rules);
    expect(rules.map((rule: any) => rule.alert).sort()).toStrictEqual([
      'TradingBackendApiHighErrorRatio',
      'TradingBackendApiHighLatencyP95',
      'TradingBackendDeadLetterGrowing',
      'TradingBackendJobsFailing',
      'TradingBackendMarketDataStale',
      'TradingBackendQueueBacklogGrowing',
      'TradingBackendRedisMemoryNearLimit',
      'TradingBackendWorkerAbsent',
    ]);
    for (const rule of rules)
      withContext(`${rule.alert} has a runbook`, () =>
        expect(rule.annotations.runbook.length > 40).toBeTruthy(),
      );
    const dashboard = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'),
    )!;
    expect(dashboard.metadata.labels!.grafana_dashboard).toBe('1');
    const titles = JSON.parse(dashboard.data['trading-backend.json']).panels.map(
      (panel: { title: string }) => panel.title,
    );
    for (const wanted of [
      'Request rate by route',
      'Error ratio (5xx)',
      'Latency p50 / p95 / p99 by route',
      'Cache hit ratio',
      'Queue depth by state',
      'Job duration p95 by queue',
      'Provider requests by outcome',
      'Sync freshness (seconds since last successful sync)',
    ]) {
      withContext(wanted, () => expect(titles.includes(wanted)).toBeTruthy());
    }
  });

  test('When otel.endpoint is set, then every workload gets the endpoint and sampling, the policies open its port, and the latency panel links to the traces datasource', () => {
    const endpoint = 'http://otel-collector.observability:4318';
    const off = rendered.operator!;
    const on = render([
      '--set',
      'operator.enabled=true',
      '--set',
      `otel.endpoint=${endpoint}`,
      '--set-json',
      'otel.samplingRatio=0.25',
      '--set',
      'metrics.grafanaDashboard.tracesDatasourceUid=jaeger-prod',
    ]);
    const config = (manifests: typeof on) =>
      manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-config'))!.data;
    expect(config(off).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(config(on)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    // The containers that do not read the ConfigMap get the env themselves.
    const containers = on.flatMap((m) => {
      const pod = m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec : m.spec?.template?.spec;
      // The app's containers: the image's entrypoints (api/main.js, worker/trigger.js …), not Redis.
      return (pod?.containers ?? [])
        .filter((container: any) => container.args?.some((arg: string) => arg.endsWith('.js')))
        .map((container: any) => ({ kind: m.kind, name: m.metadata.name, container }));
    });
    expect(containers.length).toBeGreaterThan(4);
    for (const { name, container } of containers) {
      const fromConfig = (container.envFrom ?? []).some((from: any) =>
        from.configMapRef?.name.endsWith('-config'),
      );
      const own = Object.fromEntries((container.env ?? []).map((entry: any) => [entry.name, entry.value]));
      withContext(name, () =>
        expect(
          fromConfig ||
            (own.OTEL_EXPORTER_OTLP_ENDPOINT === endpoint && own.OTEL_TRACES_SAMPLER_ARG === '0.25'),
        ).toBe(true),
      );
    }
    const egressPorts = (manifests: typeof on) =>
      manifests
        .filter((m) => m.kind === 'NetworkPolicy' && m.spec.policyTypes.includes('Egress'))
        .map((m) => m.spec.egress.some((rule: any) => rule.ports?.some((port: any) => port.port === 4318)));
    expect(egressPorts(off).every((open) => !open)).toBe(true);
    expect(egressPorts(on).every((open) => open)).toBe(true);
    const dashboard = JSON.parse(
      on.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'))!.data[
        'trading-backend.json'
      ],
    );
    expect(dashboard.templating.list.find((variable: any) => variable.name === 'traces').query).toBe(
      'jaeger-prod',
    );
    const panel = dashboard.panels.find((p: any) => p.title === 'API latency p95 with trace exemplars');
    expect(panel.targets[0].exemplar).toBe(true);
    expect(panel.links[0].url).toContain('${traces}');
  });

  test('When network policies are on, then the API admits only the ingress controller, Prometheus and tests', () => {
    const policies = rendered.default!.filter((m) => m.kind === 'NetworkPolicy');
    const api = policies.find((p) => p.metadata.name.endsWith('-api'))!;
    expect(api.spec.ingress.length).toBe(1);
    expect(api.spec.ingress[0].from.length).toBe(3);
    const worker = policies.find((p) => p.metadata.name.endsWith('-worker'))!;
    const egressPorts = worker.spec.egress
      .flatMap((rule: any) => rule.ports.map((port: any) => port.port))
      .sort((a: number, b: number) => a - b);
    expect(egressPorts).toStrictEqual([53, 53, 443, 5432, 6379, 6379]); // the queue store and the cache store
  });
});

describe('bad values fail with a clear message', () => {
  test('When a key is unknown, then the schema rejects it', () => {
    expect(renderError(['--set', 'api.replicas=3'])).toMatch(/additional properties 'replicas' not allowed/);
  });
  test('When a value has the wrong type, then the schema names it', () => {
    expect(renderError(['--set-string', 'api.replicaCount=three'])).toMatch(
      /\/api\/replicaCount.*want integer/,
    );
    expect(renderError(['--set', 'config.marketDataProvider=yahoo'])).toMatch(/marketDataProvider/);
  });
  test('When CloudNativePG is enabled but its CRD is missing, then the hint says what to install', () => {
    expect(renderError([], [])).toMatch(
      /CloudNativePG API \(postgresql.cnpg.io\/v1\) is not installed.*k8s\/README.md/,
    );
  });
  test('When worker autoscaling is on without KEDA, then the hint says so', () => {
    expect(
      renderError(
        ['--set', 'worker.autoscaling.enabled=true'],
        ['postgresql.cnpg.io/v1', 'monitoring.coreos.com/v1'],
      ),
    ).toMatch(/KEDA/);
  });
  test('When the image tag is latest, then rendering stops', () => {
    expect(renderError(['--set', 'image.tag=latest'])).toMatch(/must not be "latest"/);
  });
  test('When there is neither CloudNativePG nor an external database, then rendering stops', () => {
    expect(renderError(['--set', 'postgresql.cnpg.enabled=false'])).toMatch(/No database/);
    // With generation off (production, GitOps), a render never invents a secret.
    expect(renderError(['--set', 'secrets.generate=false'])).toMatch(
      /secrets.generate is false and no SECRET_KEY exists/,
    );
    expect(
      renderError([
        '--set',
        'secrets.generate=false',
        '--set',
        'secrets.secretKey=' + 'k'.repeat(40),
        '--set',
        'bootstrapAdmin.email=a@example.com',
      ]),
    ).toMatch(/no bootstrap admin password exists/);
  });
});

describe('generated files and the compose file', () => {
  test('When values.yaml changes, then values.schema.json and the chart README are regenerated', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'chart-docs.ts'), '--check'], {
      encoding: 'utf8',
    });
    withContext(result.stderr, () => expect(result.status).toBe(0));
  });

  test('When the feed schema changes, then the committed CRD and its kubeconform schema are regenerated from it', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'generate-crd.ts'), '--check'], {
      encoding: 'utf8',
    });
    withContext(result.stderr, () => expect(result.status).toBe(0));
  });

  test('When the operator is enabled, then feeds replace the static CronJobs and it gets least-privilege RBAC in its namespace', () => {
    const manifests = rendered.operator!;
    // Feeds replace the market CronJobs; the report schedules stay.
    expect(
      manifests
        .filter((m) => m.kind === 'CronJob')
        .map((m) => m.spec.schedule)
        .sort(),
    ).toEqual(['29 3 * * *', '41 * * * *']);
    const feeds = manifests.filter((m) => m.kind === 'MarketDataFeed');
    expect(feeds.map((feed) => [feed.metadata.name, feed.spec.topN, feed.spec.schedule])).toEqual([
      ['sync-top200', 200, '7 * * * *'],
      ['sync-top50', 50, '*/5 * * * *'],
    ]);
    const role = manifests.find((m) => m.kind === 'Role' && m.metadata.name.endsWith('-operator'))!;
    const rules = (role as any).rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    expect(rules.flatMap((rule) => rule.resources).sort()).toEqual(
      ['cronjobs', 'events', 'jobs', 'leases', 'marketdatafeeds', 'marketdatafeeds/status'].sort(),
    );
    // Exactly the verbs the operator calls (operator/operator-rbac.int.test.ts checks them against the
    // API server's audit log); its own Lease only, by name, which the chart creates.
    expect(rules.find((rule) => rule.resources.includes('jobs'))!.verbs).toEqual(['list', 'watch']);
    expect(rules.find((rule) => rule.resources.includes('leases'))).toMatchObject({
      resourceNames: ['tb-trading-backend-operator'],
      verbs: ['get', 'update'],
    });
    expect(
      manifests.find((m) => m.kind === 'Lease' && m.metadata.name === 'tb-trading-backend-operator'),
    ).toBeDefined();
    expect(manifests.some((m) => m.kind === 'ClusterRole')).toBe(false);
    const deployment = manifests.find(
      (m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-operator'),
    )!;
    const env = Object.fromEntries(
      deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
    );
    const template = JSON.parse(env.OPERATOR_TRIGGER_TEMPLATE);
    expect(template.metadata.labels).toMatchObject({
      'app.kubernetes.io/component': 'trigger',
      'app.kubernetes.io/instance': 'tb',
    });
    expect(template.spec.containers[0].env.map((e: any) => e.name)).toContain('DATABASE_URL');
    expect(deployment.spec.replicas).toBe(2);
    expect(
      manifests.some((m) => m.kind === 'PodDisruptionBudget' && m.metadata.name.endsWith('-operator')),
    ).toBe(true);
  });

  test('When a platform team copies the load-test workflow, then it takes the image, kubeconfig and namespace from their settings and stops naming what is missing', () => {
    const workflow = parse(readFileSync(path.join(ROOT, '.github/workflows/load-tests.yml'), 'utf8'));
    const job = workflow.jobs.k6;
    expect(job.env).toMatchObject({
      IMAGE_REPOSITORY: '${{ vars.IMAGE_REPOSITORY }}',
      NAMESPACE: "${{ vars.NAMESPACE || 'trading-loadtest' }}",
    });
    const steps = job.steps as { name?: string; run?: string; env?: Record<string, string> }[];
    const check = steps.find((step) => step.name === 'Check the settings')!;
    expect(check.env!.KUBECONFIG_DATA).toBe('${{ secrets.KUBECONFIG }}');
    for (const setting of ['secrets.KUBECONFIG', 'vars.IMAGE_REPOSITORY', 'vars.IMAGE_TAG'])
      expect(check.run).toContain(setting);
    const deploy = steps.find((step) => step.name === 'Deploy the chart')!.run!;
    expect(deploy).toContain('--set image.repository="$IMAGE_REPOSITORY" --set image.tag="$IMAGE_TAG"');
    expect(deploy).toContain('-n "$NAMESPACE"');
    expect(steps.at(-1)!.run).toContain('helm uninstall');
  });

  test('When docker-compose.yml is loaded like docker compose config does, then it is valid and complete', () => {
    const output = execFileSync('compose-config', [path.join(ROOT, 'docker-compose.yml')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, SECRET_KEY: 'k'.repeat(64) },
    });
    const project = parse(output);
    expect(project.services.api.environment.SECRET_KEY).toBe('k'.repeat(64));
    for (const service of ['api', 'worker', 'postgres', 'redis', 'redis-cache', 'migrate'])
      withContext(service, () => expect(project.services[service]).toBeTruthy());
    const redis = project.services.redis.command.join(' ');
    expect(redis).toMatch(/--appendonly yes --appendfsync everysec .*--maxmemory-policy noeviction/);
    // The cache store evicts within its bound; the apps reach it apart from the queue store.
    const cache = project.services['redis-cache'].command.join(' ');
    expect(cache).toMatch(/--maxmemory \d+mb --maxmemory-policy allkeys-lru/);
    for (const app of ['api', 'worker'])
      withContext(app, () =>
        expect(project.services[app].environment.CACHE_REDIS_URL).toMatch(/@redis-cache:6379$/),
      );
    expect(project.services.api.read_only).toBe(true);
  });

  test('When docker-compose.yml is loaded without SECRET_KEY, then it refuses to start rather than use a published default', () => {
    // A copy in a folder of its own: a developer's .env beside the real file must not supply the key.
    const folder = mkdtempSync(path.join(tmpdir(), 'compose-'));
    writeFileSync(
      path.join(folder, 'docker-compose.yml'),
      readFileSync(path.join(ROOT, 'docker-compose.yml')),
    );
    const result = spawnSync('compose-config', [path.join(folder, 'docker-compose.yml')], {
      encoding: 'utf8',
      cwd: folder,
      env: { PATH: process.env.PATH },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/SECRET_KEY.*set SECRET_KEY in \.env or the environment/);
  });

  test('When the chart version is read, then it matches the app version in package.json', async () => {
    const chart = parse(
      await import('node:fs/promises').then((fs) => fs.readFile(path.join(CHART, 'Chart.yaml'), 'utf8')),
    );
    const pkg = JSON.parse(
      await import('node:fs/promises').then((fs) => fs.readFile(path.join(ROOT, 'package.json'), 'utf8')),
    );
    expect(chart.appVersion).toBe(pkg.version);
  });
});

describe('cluster prerequisites (k8s/)', () => {
  test('When the namespaces file is read, then it creates every namespace the chart and its prerequisites use', () => {
    // (No Namespace schema ships in k8s/schemas, so this is checked structurally rather than by kubeconform.)
    const namespaces = parseAllDocuments(readFileSync(path.join(ROOT, 'k8s', 'namespaces.yaml'), 'utf8')).map(
      (doc) => doc.toJSON(),
    );
    for (const namespace of namespaces)
      expect([namespace.apiVersion, namespace.kind]).toStrictEqual(['v1', 'Namespace']);
    expect(namespaces.map((namespace) => namespace.metadata.name).sort()).toStrictEqual([
      'cnpg-system',
      'ingress-nginx',
      'keda',
      'monitoring',
      'trading',
    ]);
    const app = namespaces.find((namespace) => namespace.metadata.name === 'trading');
    expect(app.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('When prometheus-adapter uses the shipped rule, then it serves the metric the HPA asks for', () => {
    const adapter = parse(readFileSync(path.join(ROOT, 'k8s', 'prometheus-adapter-values.yaml'), 'utf8'));
    const [rule] = adapter.rules.custom;
    expect(rule.seriesQuery).toMatch(/^http_requests_total\{/);
    expect(rule.name.as).toBe('http_requests_per_second');
    const hpa = rendered.production!.find((m) => m.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec.metrics[1].pods.metric.name).toBe(rule.name.as);
  });

  test('When the Grafana sidecar settings are read, then they match the dashboard ConfigMap label', () => {
    const stack = parse(readFileSync(path.join(ROOT, 'k8s', 'kube-prometheus-stack-values.yaml'), 'utf8'));
    const { label, labelValue } = stack.grafana.sidecar.dashboards;
    const dashboard = rendered.default!.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'),
    )!;
    expect(dashboard.metadata.labels![label]).toBe(labelValue);
  });

  test('When skaffold.yaml is read, then it builds the image with the buildah script and deploys the chart with dev, production and cluster profiles', () => {
    const skaffold = parse(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'));
    // v4beta13: what Skaffold v2.16.1, the newest the Go module proxy serves, reads.
    expect(skaffold.apiVersion).toBe('skaffold/v4beta13');
    expect(skaffold.build.artifacts[0].custom.buildCommand).toBe('bash scripts/image.sh --skaffold');
    expect(skaffold.build.artifacts[0].custom.dependencies.paths).toContain('Dockerfile');
    expect(skaffold.deploy.helm.releases[0].chartPath).toBe('charts/trading-backend');
    expect(skaffold.profiles.map((profile: { name: string }) => profile.name)).toStrictEqual([
      'dev',
      'production',
      'cluster',
    ]);
    expect(skaffold.portForward[0].localPort).toBe(8000);
  });
});
