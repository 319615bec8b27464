// Generates charts/trading-backend/values.schema.json and README.md from the comments and defaults of
// values.yaml (`# -- description` above a key, helm-docs style), so values, schema and docs cannot drift.
//   node scripts/chart-docs.ts          write both files
//   node scripts/chart-docs.ts --check  exit 1 when either is out of date
import { structural } from '../operator/crd.ts';
import { ZFeedSpec } from '../operator/feed.schema.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from 'yaml';

const CHART = path.resolve(import.meta.dirname, '..', 'charts', 'trading-backend');

type TSchema = Record<string, unknown>;
type TRow = { key: string; type: string; default: string; description: string };

// Kubernetes objects and free-form maps: any properties are allowed below these keys.
const OPEN = [
  /(^|\.)(annotations|podAnnotations|podLabels|nodeSelector|affinity|additionalLabels|labels|extraEnv|parameters|resources)$/,
  /^commonLabels$/,
  /^(podSecurityContext|securityContext)$/,
  /^networkPolicy\.\w+Selector$/,
];
const ENUMS: Record<string, string[]> = {
  'image.pullPolicy': ['Always', 'IfNotPresent', 'Never'],
  'redis.image.pullPolicy': ['Always', 'IfNotPresent', 'Never'],
  'api.service.type': ['ClusterIP', 'NodePort', 'LoadBalancer'],
  'config.logLevel': ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  'config.marketDataProvider': ['coingecko', 'coinmarketcap', 'replay'],
  'config.coingeckoApiPlan': ['demo', 'pro'],
  'api.topologySpread.whenUnsatisfiable': ['ScheduleAnyway', 'DoNotSchedule'],
  'worker.topologySpread.whenUnsatisfiable': ['ScheduleAnyway', 'DoNotSchedule'],
  'operator.topologySpread.whenUnsatisfiable': ['ScheduleAnyway', 'DoNotSchedule'],
};
const INGRESS_PATH: TSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'pathType'],
  properties: {
    path: { type: 'string' },
    pathType: { enum: ['Prefix', 'Exact', 'ImplementationSpecific'] },
  },
};
const ITEMS: Record<string, TSchema> = {
  imagePullSecrets: { type: 'string' },
  assumeApiVersions: { type: 'string' },
  'api.tolerations': { type: 'object' },
  'worker.tolerations': { type: 'object' },
  'operator.apiServerPorts': { type: 'integer' },
  'api.ingress.tls': {
    type: 'object',
    additionalProperties: false,
    properties: { secretName: { type: 'string' }, hosts: { type: 'array', items: { type: 'string' } } },
  },
  'api.ingress.hosts': {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: { host: { type: 'string' }, paths: { type: 'array', items: INGRESS_PATH } },
  },
  'api.ingress.paths': INGRESS_PATH,
};
const INT_OR_STRING = new Set(['api.pdb.minAvailable', 'worker.pdb.maxUnavailable']);
const CRON_SCHEDULES = 'cronJobs.schedules';
const FEEDS = 'operator.feeds';

function scalarSchema(key: string, value: unknown): TSchema {
  if (ENUMS[key]) return { type: 'string', enum: ENUMS[key] };
  if (INT_OR_STRING.has(key)) return { type: ['integer', 'string'] };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' };
  return { type: 'string' };
}

function describe(node: { commentBefore?: string | null } | undefined): string {
  const comment = node?.commentBefore ?? '';
  const match = comment.match(/--\s*([\s\S]*)$/);
  return match ? match[1]!.replace(/\s*\n\s*/g, ' ').trim() : '';
}

function walk(map: YAMLMap, prefix: string, rows: TRow[]): TSchema {
  const properties: Record<string, TSchema> = {};
  for (const [index, pair] of map.items.entries()) {
    const name = String((pair.key as { value: unknown }).value);
    const key = prefix ? `${prefix}.${name}` : name;
    // The comment above a map's first key is attached to the map itself by the YAML parser.
    const description =
      describe(pair.key as { commentBefore?: string }) || (index === 0 ? describe(map) : '');
    const value = pair.value as Node | null;
    const json = value && 'toJSON' in value ? (value as { toJSON: () => unknown }).toJSON() : null;
    let schema: TSchema;
    if (key === CRON_SCHEDULES) {
      schema = {
        type: 'object',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['schedule', 'args'],
          properties: {
            schedule: { type: 'string' },
            args: { type: 'array', items: { type: 'string' } },
            // Kept when the operator runs (its feeds replace only the market schedules).
            withOperator: { type: 'boolean' },
          },
        },
      };
      for (const entry of (value as YAMLMap).items) {
        const entryKey = `${key}.${String((entry.key as { value: unknown }).value)}`;
        rows.push({
          key: entryKey,
          type: 'object',
          default: JSON.stringify((entry.value as Node).toJSON()),
          description: describe(entry.key as { commentBefore?: string }),
        });
      }
    } else if (key === FEEDS) {
      // Each default feed is checked against the MarketDataFeed spec schema (the CRD's own).
      schema = { type: 'object', additionalProperties: structural(ZFeedSpec) };
      rows.push({ key, type: 'object', default: JSON.stringify(json), description });
    } else if (OPEN.some((pattern) => pattern.test(key))) {
      schema = { type: 'object' };
      rows.push({ key, type: 'object', default: JSON.stringify(json), description });
    } else if (isMap(value)) {
      schema = walk(value, key, rows);
      if (description) rows.push({ key, type: 'object', default: JSON.stringify(json), description });
    } else if (isSeq(value)) {
      schema = { type: 'array', items: ITEMS[key] ?? {} };
      rows.push({ key, type: 'list', default: JSON.stringify(json), description });
    } else if (isScalar(value) || value === null) {
      schema = scalarSchema(key, json);
      rows.push({ key, type: String(schema.type), default: JSON.stringify(json), description });
    } else {
      throw new Error(`unsupported value at ${key}`);
    }
    if (description) schema.description = description;
    properties[name] = schema;
  }
  return { type: 'object', additionalProperties: false, properties };
}

const document = parseDocument(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
const rows: TRow[] = [];
const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'trading-backend values',
  ...walk(document.contents as YAMLMap, '', rows),
};
rows.sort((a, b) => a.key.localeCompare(b.key));
const missing = rows.filter((row) => !row.description && row.type !== 'object');
if (missing.length) {
  process.stderr.write(`values without a "# --" description: ${missing.map((row) => row.key).join(', ')}\n`);
  process.exit(1);
}

const escape = (text: string) => text.replace(/\|/g, '\\|');
const readme = `${readFileSync(path.join(CHART, 'README.md.gotmpl'), 'utf8').trimEnd()}

## Values

Generated from the comments in \`values.yaml\` by \`node scripts/chart-docs.ts\`; \`values.schema.json\` comes
from the same file and rejects unknown keys and wrong types.

| Key | Type | Default | Description |
|-----|------|---------|-------------|
${rows.map((row) => `| \`${row.key}\` | ${row.type} | \`${escape(row.default)}\` | ${escape(row.description)} |`).join('\n')}
`;

const outputs: [string, string][] = [
  [path.join(CHART, 'values.schema.json'), `${JSON.stringify(schema, null, 2)}\n`],
  [path.join(CHART, 'README.md'), readme],
];
if (process.argv.includes('--check')) {
  const stale = outputs.filter(([file, content]) => {
    try {
      return readFileSync(file, 'utf8') !== content;
    } catch {
      return true;
    }
  });
  if (stale.length) {
    process.stderr.write(
      `out of date (run node scripts/chart-docs.ts): ${stale.map(([file]) => path.relative(process.cwd(), file)).join(', ')}\n`,
    );
    process.exit(1);
  }
} else {
  for (const [file, content] of outputs) writeFileSync(file, content);
  process.stdout.write('wrote values.schema.json and README.md\n');
}
