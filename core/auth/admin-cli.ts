// Operators' account tool (npm run admin -- …); the password is read from stdin, never from arguments.
//   npm run admin -- create-user --email ops@example.com --role admin [--name "Ops"] < password.txt
//   printf '%s' "$PASSWORD" | npm run admin -- create-user --email bot@example.com --role service
//   npm run admin -- reseal-secrets     (after a SECRET_KEY rotation: every sealed secret under the new key)
import { parseArgs } from 'node:util';
import { ROLES, type TRole } from '../platform/access/index.ts';
import { loadConfigOrExit } from '../platform/config/env.ts';
import { createDataSource } from '../platform/db/data-source.ts';
import { AppError } from '../platform/errors/app-error.ts';
import { createAuditService } from '../audit/index.ts';
import { createSecretBox, resealSecrets } from '../webhooks/index.ts';
import { createUserAdminService } from './users.service.ts';

const USAGE =
  'usage: npm run admin -- create-user --email <email> --role <admin|trader|analyst|service> [--name <display name>] (password on stdin)\n' +
  '       npm run admin -- reseal-secrets';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } },
});
const command = positionals[0];
if (
  !(command === 'reseal-secrets' && positionals.length === 1) &&
  (command !== 'create-user' || !values.email || !ROLES.includes(values.role as TRole))
) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const config = loadConfigOrExit();
if (command === 'reseal-secrets' && config.SECRET_KEY_GENERATED) {
  // Sealing under this process's own key would make every secret unreadable once it exits.
  process.stderr.write('reseal-secrets needs SECRET_KEY (the key to seal under) set\n');
  process.exit(2);
}
const db = createDataSource(config, 'trading-backend-admin');
await db.initialize();
try {
  if (command === 'reseal-secrets') {
    const report = await resealSecrets({
      db,
      box: createSecretBox(config.SECRET_KEY, config.SECRET_KEY_PREVIOUS),
      audit: createAuditService({ db }),
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
    if (report.unreadable.length) {
      process.stderr.write(
        `${report.unreadable.length} endpoint(s) sealed under a key that is neither SECRET_KEY nor in SECRET_KEY_PREVIOUS; keep that key in SECRET_KEY_PREVIOUS\n`,
      );
      process.exitCode = 1;
    }
  } else {
    const users = createUserAdminService({ db, audit: createAuditService({ db }) });
    const user = await users.createBySystem(
      {
        email: values.email!,
        password: await readPassword(),
        role: values.role as TRole,
        display_name: values.name ?? values.email!,
      },
      'cli',
    );
    process.stdout.write(`${JSON.stringify({ id: user.id, email: user.email, role: user.role })}\n`);
  }
} catch (error) {
  process.stderr.write(
    `could not ${command === 'reseal-secrets' ? 're-seal the secrets' : 'create the user'}: ${error instanceof AppError ? error.detail : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await db.destroy();
}
