import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
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
      assert.equal(result.status, 0, result.output);
    });

    test('When rendered, then every manifest validates with kubeconform -strict', () => {
      const result = kubeconform(renderText(args));
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /Invalid: 0, Errors: 0, Skipped: 0/);
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
          assert.ok(manifest.metadata.labels?.[label], `${where} has label ${label}`);
        }
        if (!WORKLOADS.has(manifest.kind)) continue;
        const pod = podSpecOf(manifest);
        assert.ok(
          podLabelsOf(manifest)['app.kubernetes.io/component'],
          `${where} pods carry a component label`,
        );
        assert.equal(pod.automountServiceAccountToken, false, `${where} mounts no service-account token`);
        assert.equal(pod.securityContext?.runAsNonRoot, true, `${where} runAsNonRoot`);
        assert.equal(typeof pod.securityContext?.runAsUser, 'number', `${where} numeric user`);
        assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${where} seccomp`);
        for (const container of pod.containers) {
          const at = `${where}/${container.name}`;
          const security = container.securityContext ?? {};
          assert.equal(security.readOnlyRootFilesystem, true, `${at} read-only root`);
          assert.equal(security.allowPrivilegeEscalation, false, `${at} no privilege escalation`);
          assert.deepEqual(security.capabilities?.drop, ['ALL'], `${at} drops ALL`);
          for (const kind of ['requests', 'limits']) {
            assert.ok(
              container.resources?.[kind]?.cpu && container.resources?.[kind]?.memory,
              `${at} has cpu/memory ${kind}`,
            );
          }
          assert.doesNotMatch(container.image, /:latest$/, `${at} image is pinned`);
          assert.match(container.image, /[:@]/, `${at} image has a tag or digest`);
          assert.ok(
            (container.volumeMounts ?? []).some(
              (mount: { mountPath: string }) => mount.mountPath === '/tmp' || mount.mountPath === '/data',
            ),
            `${at} has a writable /tmp or data volume`,
          );
          for (const variable of container.env ?? []) {
            if (!SECRET_NAMES.test(variable.name)) continue;
            assert.ok(
              variable.valueFrom?.secretKeyRef,
              `${at} reads ${variable.name} by secretKeyRef, not by value`,
            );
          }
          for (const variable of container.env ?? []) {
            if (variable.name === 'REDIS_URL' && variable.value)
              assert.match(variable.value, /\$\(REDIS_PASSWORD\)/, `${at} REDIS_URL references the secret`);
          }
          if (manifest.kind === 'Deployment' || manifest.kind === 'StatefulSet') {
            for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
              assert.ok(container[probe], `${at} has ${probe}`);
          }
        }
        if (manifest.kind === 'Deployment') {
          const [container] = pod.containers;
          assert.equal(container.readinessProbe.httpGet.path, '/readyz');
          assert.equal(container.livenessProbe.httpGet.path, '/livez');
          assert.ok(
            manifest.spec.template.metadata.annotations['checksum/config'],
            `${where} rolls on config changes`,
          );
          assert.ok(pod.topologySpreadConstraints?.length, `${where} spreads across nodes`);
        }
      }
    });

    test('When rendered, then CronJobs never overlap and clean up after themselves', () => {
      const cronJobs = rendered[name]!.filter((manifest) => manifest.kind === 'CronJob');
      assert.equal(cronJobs.length, 3);
      for (const cronJob of cronJobs) {
        assert.equal(cronJob.spec.concurrencyPolicy, 'Forbid');
        assert.ok(cronJob.spec.startingDeadlineSeconds > 0);
        assert.ok(cronJob.spec.successfulJobsHistoryLimit >= 1 && cronJob.spec.failedJobsHistoryLimit >= 1);
        assert.ok(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds > 0);
        assert.ok(cronJob.spec.jobTemplate.spec.ttlSecondsAfterFinished > 0);
        assert.equal(podSpecOf(cronJob).containers[0].args[0], 'worker/trigger.js');
      }
      const schedules = cronJobs
        .map(
          (cronJob) => `${cronJob.spec.schedule} ${podSpecOf(cronJob).containers[0].args.slice(1).join(' ')}`,
        )
        .sort();
      assert.deepEqual(schedules, [
        '*/5 * * * * sync --limit 50',
        '17 3 * * * cleanup',
        '7 * * * * sync --limit 200',
      ]);
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
        assert.ok(!kedaTargets.includes(target), `${target} has both an HPA and a ScaledObject`);
      for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
        const scaled = [...hpaTargets, ...kedaTargets].includes(deployment.metadata.name);
        assert.equal(
          'replicas' in deployment.spec,
          !scaled,
          `${deployment.metadata.name}: replicas only without autoscaling`,
        );
      }
    });

    test('When the API shuts down, then the grace period covers the preStop delay', () => {
      const api = rendered[name]!.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
      const pod = podSpecOf(api);
      const delay = pod.containers[0].lifecycle.preStop.sleep.seconds;
      assert.ok(pod.terminationGracePeriodSeconds > delay + 5);
    });
  });
}

describe('chart behaviour per value set', () => {
  test('When production values are used, then it is highly available and autoscaled', () => {
    const manifests = rendered.production!;
    const cluster = manifests.find((m) => m.kind === 'Cluster')!;
    assert.equal(cluster.spec.instances, 3);
    const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')!;
    assert.deepEqual(
      hpa.spec.metrics.map((metric: any) => metric.type),
      ['Resource', 'Pods'],
    );
    assert.equal(hpa.spec.metrics[1].pods.metric.name, 'http_requests_per_second');
    const scaled = manifests.find((m) => m.kind === 'ScaledObject')!;
    assert.match(
      scaled.spec.triggers[0].metadata.query,
      /bullmq_queue_jobs\{namespace="trading",state=~"waiting\|prioritized"\}/,
    );
    assert.equal(manifests.filter((m) => m.kind === 'PodDisruptionBudget').length, 2);
    assert.ok(manifests.find((m) => m.kind === 'Ingress')?.spec.tls.length);
    assert.equal(
      manifests.find((m) => m.kind === 'ServiceMonitor')!.metadata.labels!.release,
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
    assert.deepEqual(variable.valueFrom.secretKeyRef, { name: 'tb-trading-backend-pg-app', key: 'uri' });
    const migrate = rendered.default!.find((m) => m.kind === 'Job' && m.metadata.name.endsWith('-migrate'))!;
    assert.equal(migrate.metadata.annotations!['helm.sh/hook'], 'post-install,pre-upgrade');
  });

  test('When external services are used, then no database or Redis is created and URLs come from secrets', () => {
    const manifests = rendered.external!;
    assert.ok(!manifests.some((m) => m.kind === 'Cluster' || m.kind === 'StatefulSet'));
    const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'))!;
    const env = podSpecOf(api).containers[0].env;
    assert.deepEqual(env.find((e: { name: string }) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef, {
      name: 'trading-backend-database',
      key: 'uri',
    });
    assert.deepEqual(env.find((e: { name: string }) => e.name === 'REDIS_URL').valueFrom.secretKeyRef, {
      name: 'trading-backend-redis',
      key: 'redis-url',
    });
    const migrate = manifests.find((m) => m.kind === 'Job' && m.metadata.name.endsWith('-migrate'))!;
    assert.equal(migrate.metadata.annotations!['helm.sh/hook'], 'pre-install,pre-upgrade');
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
      assert.ok(config.data['redis.conf'].includes(line), line);
    }
    const redis = rendered.default!.find((m) => m.kind === 'StatefulSet')!;
    assert.equal(redis.spec.replicas, 1);
    assert.equal(redis.spec.volumeClaimTemplates.length, 1);
  });

  test('When monitoring is on, then ServiceMonitors, alerts with runbooks and the dashboard are rendered', () => {
    const manifests = rendered.default!;
    assert.deepEqual(
      manifests
        .filter((m) => m.kind === 'ServiceMonitor')
        .map((m) => m.spec.endpoints[0].port)
        .sort(),
      ['http', 'metrics'],
    );
    const rules = manifests
      .find((m) => m.kind === 'PrometheusRule')!
      .spec.groups.flatMap((group: any) => group.rules);
    assert.deepEqual(rules.map((rule: any) => rule.alert).sort(), [
      'TradingBackendApiHighErrorRatio',
      'TradingBackendApiHighLatencyP95',
      'TradingBackendJobsFailing',
      'TradingBackendMarketDataStale',
      'TradingBackendQueueBacklogGrowing',
      'TradingBackendRedisMemoryNearLimit',
      'TradingBackendWorkerAbsent',
    ]);
    for (const rule of rules) assert.ok(rule.annotations.runbook.length > 40, `${rule.alert} has a runbook`);
    const dashboard = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'),
    )!;
    assert.equal(dashboard.metadata.labels!.grafana_dashboard, '1');
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
      assert.ok(titles.includes(wanted), wanted);
    }
  });

  test('When network policies are on, then the API admits only the ingress controller, Prometheus and tests', () => {
    const policies = rendered.default!.filter((m) => m.kind === 'NetworkPolicy');
    const api = policies.find((p) => p.metadata.name.endsWith('-api'))!;
    assert.equal(api.spec.ingress.length, 1);
    assert.equal(api.spec.ingress[0].from.length, 3);
    const worker = policies.find((p) => p.metadata.name.endsWith('-worker'))!;
    const egressPorts = worker.spec.egress
      .flatMap((rule: any) => rule.ports.map((port: any) => port.port))
      .sort((a: number, b: number) => a - b);
    assert.deepEqual(egressPorts, [53, 53, 443, 5432, 6379]);
  });
});

describe('bad values fail with a clear message', () => {
  test('When a key is unknown, then the schema rejects it', () => {
    assert.match(renderError(['--set', 'api.replicas=3']), /additional properties 'replicas' not allowed/);
  });
  test('When a value has the wrong type, then the schema names it', () => {
    assert.match(
      renderError(['--set-string', 'api.replicaCount=three']),
      /\/api\/replicaCount.*want integer/,
    );
    assert.match(renderError(['--set', 'config.marketDataProvider=yahoo']), /marketDataProvider/);
  });
  test('When CloudNativePG is enabled but its CRD is missing, then the hint says what to install', () => {
    assert.match(
      renderError([], []),
      /CloudNativePG API \(postgresql.cnpg.io\/v1\) is not installed.*k8s\/README.md/,
    );
  });
  test('When worker autoscaling is on without KEDA, then the hint says so', () => {
    assert.match(
      renderError(
        ['--set', 'worker.autoscaling.enabled=true'],
        ['postgresql.cnpg.io/v1', 'monitoring.coreos.com/v1'],
      ),
      /KEDA/,
    );
  });
  test('When the image tag is latest, then rendering stops', () => {
    assert.match(renderError(['--set', 'image.tag=latest']), /must not be "latest"/);
  });
  test('When there is neither CloudNativePG nor an external database, then rendering stops', () => {
    assert.match(renderError(['--set', 'postgresql.cnpg.enabled=false']), /No database/);
  });
});

describe('generated files and the compose file', () => {
  test('When values.yaml changes, then values.schema.json and the chart README are regenerated', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'chart-docs.ts'), '--check'], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
  });

  test('When docker-compose.yml is loaded like docker compose config does, then it is valid and complete', () => {
    const output = execFileSync('compose-config', [path.join(ROOT, 'docker-compose.yml')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    const project = parse(output);
    for (const service of ['api', 'worker', 'postgres', 'redis', 'migrate'])
      assert.ok(project.services[service], service);
    const redis = project.services.redis.command.join(' ');
    assert.match(redis, /--appendonly yes --appendfsync everysec .*--maxmemory-policy noeviction/);
    assert.equal(project.services.api.read_only, true);
  });

  test('When the chart version is read, then it matches the app version in package.json', async () => {
    const chart = parse(
      await import('node:fs/promises').then((fs) => fs.readFile(path.join(CHART, 'Chart.yaml'), 'utf8')),
    );
    const pkg = JSON.parse(
      await import('node:fs/promises').then((fs) => fs.readFile(path.join(ROOT, 'package.json'), 'utf8')),
    );
    assert.equal(chart.appVersion, pkg.version);
  });
});

describe('cluster prerequisites (k8s/)', () => {
  test('When the namespaces file is read, then it creates every namespace the chart and its prerequisites use', () => {
    // (No Namespace schema ships in k8s/schemas, so this is checked structurally rather than by kubeconform.)
    const namespaces = parseAllDocuments(readFileSync(path.join(ROOT, 'k8s', 'namespaces.yaml'), 'utf8')).map(
      (doc) => doc.toJSON(),
    );
    for (const namespace of namespaces)
      assert.deepEqual([namespace.apiVersion, namespace.kind], ['v1', 'Namespace']);
    assert.deepEqual(namespaces.map((namespace) => namespace.metadata.name).sort(), [
      'cnpg-system',
      'ingress-nginx',
      'keda',
      'monitoring',
      'trading',
    ]);
    const app = namespaces.find((namespace) => namespace.metadata.name === 'trading');
    assert.equal(app.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  test('When prometheus-adapter uses the shipped rule, then it serves the metric the HPA asks for', () => {
    const adapter = parse(readFileSync(path.join(ROOT, 'k8s', 'prometheus-adapter-values.yaml'), 'utf8'));
    const [rule] = adapter.rules.custom;
    assert.match(rule.seriesQuery, /^http_requests_total\{/);
    assert.equal(rule.name.as, 'http_requests_per_second');
    const hpa = rendered.production!.find((m) => m.kind === 'HorizontalPodAutoscaler')!;
    assert.equal(hpa.spec.metrics[1].pods.metric.name, rule.name.as);
  });

  test('When the Grafana sidecar settings are read, then they match the dashboard ConfigMap label', () => {
    const stack = parse(readFileSync(path.join(ROOT, 'k8s', 'kube-prometheus-stack-values.yaml'), 'utf8'));
    const { label, labelValue } = stack.grafana.sidecar.dashboards;
    const dashboard = rendered.default!.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard'),
    )!;
    assert.equal(dashboard.metadata.labels![label], labelValue);
  });

  test('When skaffold.yaml is read, then it builds the image and deploys the chart with dev and production profiles', () => {
    const skaffold = parse(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'));
    assert.equal(skaffold.apiVersion, 'skaffold/v4beta14');
    assert.equal(skaffold.build.artifacts[0].docker.dockerfile, 'Dockerfile');
    assert.equal(skaffold.deploy.helm.releases[0].chartPath, 'charts/trading-backend');
    assert.deepEqual(
      skaffold.profiles.map((profile: { name: string }) => profile.name),
      ['dev', 'production'],
    );
    assert.equal(skaffold.portForward[0].localPort, 8000);
  });
});
