import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { withContext } from '../../test/expect-context.ts';
import { startProcess } from '../../test/processes.ts';

let database: TTestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(testConfig());
});
afterAll(() => database.drop());
beforeEach(() => database.truncate());

const cli = (args: string[], stdin?: string) =>
  startProcess('core/auth/admin-cli.ts', { DATABASE_URL: database.url, LOG_LEVEL: 'silent' }, args, {
    ...(stdin === undefined ? {} : { stdin }),
  });

test('When an operator runs create-user with the password on stdin, then the account exists with that role and password, and the audit says cli', async () => {
  const run = cli(
    ['create-user', '--email', 'Ops@Example.com', '--role', 'admin', '--name', 'Ops'],
    'a long operator passphrase\n',
  );
  const code = await run.exited;
  withContext(run.output(), () => expect(code).toBe(0));
  const printed = JSON.parse(run.output().trim());
  expect(printed).toMatchObject({ email: 'Ops@Example.com', role: 'admin' });
  expect(run.output()).not.toContain('passphrase');
  const [user] = await database.db.query(
    'SELECT display_name, role, password_hash FROM users WHERE id = $1',
    [printed.id],
  );
  expect(user).toMatchObject({ display_name: 'Ops', role: 'admin' });
  expect(user.password_hash).toMatch(/^\$argon2id\$/);
  const [event] = await database.db.query(`SELECT details FROM audit_events WHERE action = 'user.create'`);
  expect(event.details).toMatchObject({ via: 'cli', role: 'admin' });
});

test('When the input is wrong, then the CLI exits non-zero with the reason and creates nothing', async () => {
  expect(
    await cli(['create-user', '--email', 'ops@example.com', '--role', 'admin'], 'a long operator passphrase')
      .exited,
  ).toBe(0);
  const badRole = cli(
    ['create-user', '--email', 'x@example.com', '--role', 'root'],
    'a long operator passphrase',
  );
  expect(await badRole.exited).toBe(2);
  expect(badRole.output()).toContain('usage:');
  const weak = cli(['create-user', '--email', 'y@example.com', '--role', 'trader'], 'short');
  expect(await weak.exited).toBe(1);
  expect(weak.output()).toMatch(/password: must be at least 12 characters/);
  const taken = cli(
    ['create-user', '--email', 'OPS@example.com', '--role', 'trader'],
    'a long operator passphrase',
  );
  expect(await taken.exited).toBe(1);
  expect(taken.output()).toContain('already exists');
  expect((await database.db.query('SELECT count(*)::int AS n FROM users'))[0].n).toBe(1);
});
