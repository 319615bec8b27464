import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { seedBundledData } from '../../core/market/index.ts';
import { PERMISSION_NAMES } from '../../core/platform/access/index.ts';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { createApiKey, signIn } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { withContext } from '../../test/expect-context.ts';
import { ROOT } from '../../test/processes.ts';
import { generateOpenApiDocument } from './document.ts';

// Schema-driven fuzzing of every operation, every method, with schemathesis (scripts/python-test-tools.sh
// provisions it): values generated from the OpenAPI document, valid and invalid, against the real API on
// the seeded offline market, with a fixed seed (FUZZ_SEED overrides it). It fails on any 5xx, undocumented
// status, content type or header value, response that does not match its schema, valid request refused,
// invalid request accepted, or 405 without a right Allow. Three runs, side by side:
// - a trader's bearer token on everything a trader may call, writes included; on what needs another role
//   the trader's 403 is the documented answer;
// - an admin's API key (every permission) on the admin and job operations (no stateful phase, no ids
//   taken from answers: chained calls would let the fuzzer suspend the admin it acts as, or the trader);
// - no credentials on the public operations (market data, risk, system, log-in and sign-up).
const FUZZ = path.join(ROOT, 'test', 'fuzz');
const SEED = process.env.FUZZ_SEED ?? '20';
let database: TTestDatabase;
let api: TTestApi;
let adminKey: string;
let traderToken: string;

beforeAll(async () => {
  const config = testConfig({
    RATE_LIMIT_PER_MINUTE: '100000000',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000000,service=100000000,trader=100000000,analyst=100000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000000',
    SYNC_RATE_LIMIT_PER_MINUTE: '100000000',
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    AUTH_SIGNUP: 'open',
  });
  database = await createTestDatabase(config);
  await seedBundledData(database.db);
  api = await startTestApi(config, database.db);
  const admin = await signIn(api, 'admin');
  adminKey = (await createApiKey(api.url, admin, [...PERMISSION_NAMES])).key;
  traderToken = (await signIn(api, 'trader')).accessToken;
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
});

// A live stream answers and never ends, and a WebSocket needs an upgrade (their refusals of bad input
// are tested in alerts.int.test.ts and live-stream.int.test.ts);
// logging out ends the session the trader's run uses (auth.int.test.ts tests it).
const EXCLUDED = [
  'GET /api/v1/cryptocurrencies/stream',
  'GET /api/v1/ws',
  'GET /api/v1/alerts/stream',
  'POST /api/v1/auth/logout',
];
const ADMIN_TAGS = ['Admin', 'Admin: jobs', 'Jobs'];
const PUBLIC_TAGS = ['Market data', 'Risk', 'System', 'Auth'];

const document = generateOpenApiDocument('test');
const operations = Object.entries(document.paths ?? {}).flatMap(([template, item]) =>
  Object.entries(item as Record<string, { tags?: string[] }>).map(([method, operation]) => ({
    name: `${method.toUpperCase()} ${template}`,
    tags: operation.tags ?? [],
  })),
);
const tagged = (tags: string[]) =>
  operations.filter((op) => op.tags.some((tag) => tags.includes(tag)) && !EXCLUDED.includes(op.name));

type TRun = { name: string; auth: string; args: string[]; operations: typeof operations };
const runs = (): TRun[] => [
  {
    name: 'trader',
    auth: `[auth.openapi.bearerAuth]\nbearer = "${traderToken}"\n
[[operations]]
include-tag-regex = "^(Admin|Admin: jobs|Jobs)$"
# A trader holds none of these permissions: the documented answer is a 403 problem.
checks.positive_data_acceptance.expected-statuses = ["403"]\n`,
    args: ['--exclude-tag', 'Auth', ...EXCLUDED.flatMap((name) => ['--exclude-name', name])],
    operations: operations.filter((op) => !op.tags.includes('Auth') && !EXCLUDED.includes(op.name)),
  },
  {
    name: 'admin',
    // Values seen in answers are not reused either: ids from the user list would let it suspend the
    // trader of the other run, or the admin it acts as.
    auth: `[auth.openapi.bearerAuth]\nbearer = "${adminKey}"\n[auth.openapi.apiKeyAuth]\napi_key = "${adminKey}"\n
[phases.coverage.extra-data-sources]
responses = false
[phases.fuzzing.extra-data-sources]
responses = false\n`,
    args: [...ADMIN_TAGS.flatMap((tag) => ['--include-tag', tag]), '--phases', 'examples,coverage,fuzzing'],
    operations: tagged(ADMIN_TAGS),
  },
  {
    name: 'anonymous',
    auth: '',
    args: [
      ...PUBLIC_TAGS.flatMap((tag) => ['--include-tag', tag]),
      ...EXCLUDED.flatMap((name) => ['--exclude-name', name]),
    ],
    operations: tagged(PUBLIC_TAGS),
  },
];

/** One schemathesis run in its own scratch folder (its example database and crash cache go there). */
async function fuzz(run: TRun): Promise<{ code: number | null; output: string }> {
  const bin = process.env.TEST_PYTHON_BIN ?? path.join(ROOT, '.tools', 'bin');
  const scratch = mkdtempSync(path.join(os.tmpdir(), `fuzz-${run.name}-`));
  const configFile = path.join(scratch, 'schemathesis.toml');
  writeFileSync(configFile, `${readFileSync(path.join(FUZZ, 'schemathesis.toml'), 'utf8')}\n${run.auth}`);
  const child = spawn(
    path.join(bin, 'st'),
    [
      '--config-file',
      configFile,
      'run',
      `${api.url}/openapi.json`,
      ...run.args,
      '--checks',
      'all',
      // One worker per run: CPython 3.11's ast.parse is not safe across threads, and hypothesis calls it
      // while describing strategies ("AST constructor recursion depth mismatch"). The runs go side by side.
      '--workers',
      '1',
      '--seed',
      SEED,
      '--no-color',
    ],
    {
      cwd: scratch,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        SCHEMATHESIS_HOOKS: 'hooks',
        PYTHONPATH: FUZZ,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  // A missing tool fails at once (spawn 'error'), not after the test's deadline.
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('exit', resolve);
    child.on('error', (error) =>
      reject(new Error(`${error.message}: run scripts/python-test-tools.sh and set TEST_PYTHON_BIN`)),
    );
  });
  return { code, output };
}

test('When every operation is fuzzed from the OpenAPI document as a trader, an admin and anonymously, then every check passes', async () => {
  const planned = runs();
  // Every operation is in some run, apart from those that cannot be fuzzed (EXCLUDED).
  const covered = new Set(planned.flatMap((run) => run.operations.map((op) => op.name)));
  expect(operations.map((op) => op.name).filter((name) => !covered.has(name))).toEqual(EXCLUDED);
  const results = await Promise.all(planned.map(fuzz));
  const outcomes = planned.map((run, index) => {
    const { code, output } = results[index]!;
    const tested = Number(/Tested: (\d+)/.exec(output)?.[1] ?? 0);
    return { run, code, output, tested };
  });
  // Every operation of the run was reached (schemathesis may leave out the document's own URL).
  const reached = ({ run, tested }: (typeof outcomes)[number]) =>
    tested >= run.operations.filter((op) => op.name !== 'GET /openapi.json').length;
  const failed = outcomes.filter((outcome) => outcome.code !== 0 || !reached(outcome));
  withContext(
    failed.map(({ run, output }) => `${run.name} (seed ${SEED}):\n${output.slice(-10_000)}`).join('\n\n'),
    () =>
      expect(
        outcomes.map(
          (outcome) => `${outcome.run.name}: exit ${outcome.code}, all reached ${reached(outcome)}`,
        ),
      ).toEqual(planned.map((run) => `${run.name}: exit 0, all reached true`)),
  );
}, 600_000);
