import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { seedBundledData } from '../../core/market/index.ts';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { PERMISSION_NAMES } from '../../core/platform/access/index.ts';
import { createApiKey, signIn } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { withContext } from '../../test/expect-context.ts';
import { ROOT } from '../../test/processes.ts';
import { generateOpenApiDocument } from './document.ts';

// Schema-driven fuzzing of every GET operation with schemathesis (scripts/python-test-tools.sh provisions it):
// values generated from the OpenAPI document, valid and invalid, against the real API on the seeded
// offline market. It fails on any 5xx, undocumented status or content type, response that does not
// match its schema, valid request refused, invalid request accepted, or 405 without a right Allow.
const FUZZ = path.join(ROOT, 'test', 'fuzz');
let database: TTestDatabase;
let api: TTestApi;
let apiKey: string;

beforeAll(async () => {
  const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000000' });
  database = await createTestDatabase(config);
  await seedBundledData(database.db);
  api = await startTestApi(config, database.db);
  const admin = await signIn(api, 'admin');
  apiKey = (await createApiKey(api.url, admin, [...PERMISSION_NAMES])).key;
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
});

// A live stream answers and never ends; its refusals of bad input are tested in alerts.int.test.ts.
const EXCLUDED = ['/api/v1/alerts/stream'];

test('When every GET operation is fuzzed from the OpenAPI document, then every check passes', async () => {
  const bin = process.env.TEST_PYTHON_BIN ?? path.join(ROOT, '.tools', 'bin');
  const run = spawn(
    path.join(bin, 'st'),
    [
      '--config-file',
      path.join(FUZZ, 'schemathesis.toml'),
      'run',
      `${api.url}/openapi.json`,
      '--include-method',
      'GET',
      ...EXCLUDED.flatMap((template) => ['--exclude-path', template]),
      '--checks',
      'all',
      '--workers',
      '2',
      '--no-color',
      ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
    ],
    {
      // Its example database and crash cache go to a scratch folder, not into the repository.
      cwd: mkdtempSync(path.join(os.tmpdir(), 'fuzz-')),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        SCHEMATHESIS_HOOKS: 'hooks',
        PYTHONPATH: FUZZ,
        FUZZ_API_KEY: apiKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  run.stdout.on('data', (chunk) => (output += chunk));
  run.stderr.on('data', (chunk) => (output += chunk));
  // A missing tool fails at once (spawn 'error'), not after the test's deadline.
  const code = await new Promise<number | null>((resolve, reject) => {
    run.on('exit', resolve);
    run.on('error', (error) =>
      reject(new Error(`${error.message}: run scripts/python-test-tools.sh and set TEST_PYTHON_BIN`)),
    );
  });
  withContext(output.slice(-12_000), () => expect(code).toBe(0));
  // Every GET operation was reached.
  const gets = Object.entries(generateOpenApiDocument('test').paths ?? {}).filter(
    ([template, item]) => item?.get && !EXCLUDED.includes(template),
  ).length;
  expect(Number(/Tested: (\d+)/.exec(output)?.[1] ?? 0)).toBeGreaterThanOrEqual(gets);
}, 300_000);
