// Loads the bundled real CoinGecko data into the configured database (idempotent).
import { loadConfigOrExit } from '../config/env.ts';
import { createDataSource } from '../db/data-source.ts';
import { seedBundledData } from './seed.ts';

const config = loadConfigOrExit();
const db = createDataSource(config, 'trading-backend-seed');
await db.initialize();
try {
  const ifEmpty = process.argv.includes('--if-empty');
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM cryptocurrencies');
  if (ifEmpty && n > 0) {
    process.stdout.write(`database already holds ${n} coins; not seeding (run npm run seed to reload)\n`);
  } else {
    const started = performance.now();
    const result = await seedBundledData(db);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `seeded ${result.coins} coins, ${result.history_points} history points, ${result.categories} categories in ${seconds}s\n`,
    );
  }
} finally {
  await db.destroy();
}
