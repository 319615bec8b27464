import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CHART = path.join(ROOT, 'charts', 'trading-backend');
export const NAMESPACE = 'trading';
export const ASSUME = ['postgresql.cnpg.io/v1', 'monitoring.coreos.com/v1', 'keda.sh/v1alpha1'];

/** The value sets CI renders: defaults, dev, production (HA), external PostgreSQL/Redis, and the operator on. */
export const VALUE_SETS: Record<string, string[]> = {
  default: [],
  dev: ['-f', path.join(CHART, 'values-dev.yaml')],
  production: ['-f', path.join(CHART, 'values-production.yaml')],
  external: ['-f', path.join(CHART, 'ci', 'values-external.yaml')],
  operator: ['--set', 'operator.enabled=true'],
};

export type TManifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: any;
};

const assumeArgs = (apis: string[]) =>
  apis.length ? ['--set', `assumeApiVersions={${apis.join(',')}}`] : [];

export function helm(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('helm', args, { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

export function renderText(extra: string[] = [], apis = ASSUME): string {
  return execFileSync(
    'helm',
    ['template', 'tb', CHART, '-n', NAMESPACE, '--kube-version', '1.30.0', ...assumeArgs(apis), ...extra],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
}

export function render(extra: string[] = [], apis = ASSUME): TManifest[] {
  return parseAllDocuments(renderText(extra, apis))
    .map((document) => document.toJSON() as TManifest | null)
    .filter((manifest): manifest is TManifest => Boolean(manifest));
}

/** Same as render but returns the failure text (for values that must be rejected). */
export function renderError(extra: string[], apis = ASSUME): string {
  const result = helm([
    'template',
    'tb',
    CHART,
    '-n',
    NAMESPACE,
    '--kube-version',
    '1.30.0',
    ...assumeArgs(apis),
    ...extra,
  ]);
  if (result.status === 0) throw new Error(`rendering succeeded but should have failed: ${extra.join(' ')}`);
  return result.stderr;
}

export function lint(extra: string[]): { status: number; output: string } {
  const result = helm([
    'lint',
    '--strict',
    '--kube-version',
    '1.30.0',
    CHART,
    ...assumeArgs(ASSUME),
    ...extra,
  ]);
  return { status: result.status, output: result.stdout + result.stderr };
}

/** Pod spec of any workload kind. */
export function podSpecOf(manifest: TManifest): any | undefined {
  switch (manifest.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'Job':
      return manifest.spec.template.spec;
    case 'CronJob':
      return manifest.spec.jobTemplate.spec.template.spec;
    case 'Pod':
      return manifest.spec;
    default:
      return undefined;
  }
}

export function podLabelsOf(manifest: TManifest): Record<string, string> {
  if (manifest.kind === 'Pod') return manifest.metadata.labels ?? {};
  if (manifest.kind === 'CronJob') return manifest.spec.jobTemplate.spec.template.metadata?.labels ?? {};
  return manifest.spec.template.metadata?.labels ?? {};
}
