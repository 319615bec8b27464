import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { DataSource } from 'typeorm';
import { testConfig } from '../../../test/config.ts';
import { withSearchPath } from '../../../test/db.ts';
import { startProcess } from '../../../test/processes.ts';
import { startTcpProxy, type TTcpProxy } from '../../../test/tcp-proxy.ts';
import { MIGRATIONS as migrations } from '../../features.ts';

const config = testConfig();
const schema = `m_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let admin: DataSource;
let proxy: TTcpProxy;
beforeAll(async () => {
  admin = new DataSource({ type: 'postgres', url: config.DATABASE_URL });
  await admin.initialize();
  await admin.query(`CREATE SCHEMA ${schema}`);
  proxy = await startTcpProxy(Number(new URL(config.DATABASE_URL).port || 5432));
});
afterAll(async () => {
  await proxy.close();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.destroy();
});

test('When the migrate Job starts before PostgreSQL answers, then it waits, applies every migration once it does, and exits 0', async () => {
  proxy.cut();
  const url = new URL(withSearchPath(config.DATABASE_URL, schema));
  url.port = String(proxy.port);
  const run = startProcess(
    'core/platform/db/migrate.ts',
    { DATABASE_URL: url.toString(), LOG_LEVEL: 'info' },
    ['run'],
  );
  // However long the child takes to start (a loaded machine: seconds), restore only once it was refused.
  const deadline = Date.now() + 30_000;
  while (!run.output().includes('database not reachable yet') && run.process.exitCode === null) {
    if (Date.now() > deadline) throw new Error(`no refused attempt within 30 s:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(run.process.exitCode).toBeNull(); // still waiting, not failed
  proxy.restore();
  expect(await run.exited).toBe(0);
  expect(run.output()).toContain('database not reachable yet');
  expect(run.output()).toContain('applied:');
  const [{ count }] = await admin.query(`SELECT count(*)::int AS count FROM ${schema}.migrations`);
  expect(count).toBe(migrations.length);
}, 60_000);
