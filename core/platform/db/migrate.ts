import { pathToFileURL } from 'node:url';
import type { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../config/env.ts';
import { createLogger } from '../logging/logger.ts';
import { connectWithRetry } from './connect.ts';
import { MIGRATIONS } from '../../features.ts';
import { createDataSource } from './data-source.ts';

// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_KEY = 74_311_002;

/** Runs pending migrations under a PostgreSQL advisory lock so that concurrent runs serialise. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

async function main(command: string): Promise<void> {
  // Migrations seal nothing: the pre-install hook runs before the chart's Secret exists and needs no key.
  const config = loadConfigOrExit({ secretKey: 'unused' });
  // The migration CLI is a root (the chart's pre-install/upgrade hook): it runs every feature's migrations.
  const dataSource = createDataSource(config, 'trading-backend-migrate', MIGRATIONS);
  // A fresh cluster's database may still be starting (CloudNativePG): wait for it, within the Job's
  // own deadline, rather than failing the install on the first refused connection.
  await connectWithRetry(
    dataSource,
    createLogger({ level: config.LOG_LEVEL, name: 'trading-backend-migrate' }),
  );
  try {
    if (command === 'run') {
      const applied = await runMigrations(dataSource);
      process.stdout.write(
        applied.length ? `applied: ${applied.join(', ')}\n` : 'database schema is up to date\n',
      );
    } else if (command === 'revert') {
      await dataSource.undoLastMigration({ transaction: 'all' });
      process.stdout.write('reverted the last migration\n');
    } else if (command === 'show') {
      const pending = await dataSource.showMigrations();
      process.stdout.write(pending ? 'there are pending migrations\n' : 'database schema is up to date\n');
    } else {
      throw new Error(`unknown command "${command}" (use run, revert or show)`);
    }
  } finally {
    await dataSource.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv[2] ?? 'run').catch((error: unknown) => {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
