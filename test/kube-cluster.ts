import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort, ROOT } from './processes.ts';

export type TKubeCluster = {
  /** A kubeconfig file for a cluster admin (static token in system:masters). */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  server: string;
  bin: string;
  /** With `audit`: every request the API server answered (user, verb, resource, response code). */
  auditEvents: () => TAuditEvent[];
  /** Stops the API server (etcd keeps the data) and starts it again on the same port. */
  restartApiServer: () => Promise<void>;
  /**
   * Starts the garbage collector (alone: no kubelet, so no other controller has work), so owned objects
   * go with their owner as in a real cluster. Start it after custom resources are established: it learns
   * resource kinds from discovery at start and then only every 30 s, and until it knows an owner's kind
   * it leaves that owner's dependents in place.
   */
  startGarbageCollector: () => Promise<void>;
  close: () => Promise<void>;
};

export type TAuditEvent = {
  user: { username: string; groups?: string[] };
  verb: string;
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number };
  stage: string;
};

/** The folder of the Kubernetes binaries: TEST_KUBE_BIN (npm test sets it), or built (or found) by scripts/kube-tools.sh. */
export function kubeToolsBin(): string {
  if (process.env.TEST_KUBE_BIN) return process.env.TEST_KUBE_BIN;
  return execFileSync(path.join(ROOT, 'scripts/kube-tools.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

async function waitReady(
  url: string,
  token: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output().slice(-3000)}`);
    const status = await new Promise<number>((resolve) => {
      // The API server's certificate is its own self-signed one; this is loopback in a test.
      const request = https.get(
        url,
        { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      request.on('error', () => resolve(0));
    });
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${output().slice(-3000)}`);
}

function start(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  return { child, output: () => output };
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * A real Kubernetes control plane on loopback for one test file: etcd and kube-apiserver (RBAC on, a
 * static admin token, a generated service-account key), in a scratch folder removed on close.
 */
export async function startKubeCluster(options: { audit?: boolean } = {}): Promise<TKubeCluster> {
  const bin = kubeToolsBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kube-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  writeFileSync(path.join(dir, 'tokens.csv'), `${token},test-admin,test-admin,"system:masters"\n`);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));

  const etcd = start(path.join(bin, 'etcd'), [
    '--name=default',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
    '--unsafe-no-fsync',
    '--log-level=error',
  ]);
  const apiArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${path.join(dir, 'certs')}`,
    `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    '--service-cluster-ip-range=10.96.0.0/24',
    '--v=0',
  ];
  const auditLog = path.join(dir, 'audit.log');
  if (options.audit) {
    // Metadata of every request, once it is answered (one line per request, written as it happens).
    writeFileSync(
      path.join(dir, 'audit-policy.yaml'),
      JSON.stringify({
        apiVersion: 'audit.k8s.io/v1',
        kind: 'Policy',
        omitStages: ['RequestReceived', 'ResponseStarted'],
        rules: [{ level: 'Metadata' }],
      }),
    );
    apiArgs.push(
      `--audit-policy-file=${path.join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-mode=blocking',
      '--audit-log-format=json',
    );
  }
  let api = start(path.join(bin, 'kube-apiserver'), apiArgs);
  const server = `https://127.0.0.1:${apiPort}`;
  await waitReady(`${server}/readyz`, token, api.child, api.output);

  const kubeconfigPath = path.join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
      'current-context': 'test',
    }),
  );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  let controllers: ReturnType<typeof start> | undefined;
  return {
    kubeconfigPath,
    kubeConfig,
    server,
    bin,
    auditEvents: () =>
      existsSync(auditLog)
        ? readFileSync(auditLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as TAuditEvent)
        : [],
    restartApiServer: async () => {
      await stop(api.child);
      api = start(path.join(bin, 'kube-apiserver'), apiArgs);
      await waitReady(`${server}/readyz`, token, api.child, api.output);
    },
    startGarbageCollector: async () => {
      controllers ??= start(path.join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${kubeconfigPath}`,
        '--controllers=garbagecollector',
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        `--cert-dir=${path.join(dir, 'kcm-certs')}`,
        '--v=0',
      ]);
    },
    close: async () => {
      if (controllers) await stop(controllers.child);
      await stop(api.child);
      await stop(etcd.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
