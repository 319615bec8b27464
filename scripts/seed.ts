// Loads the bundled real CoinGecko data into the configured database (idempotent).
import { loadConfigOrExit } from '../core/config/env.ts';
import { createDataSource } from '../core/db/data-source.ts';
import { seedBundledData } from '../core/market-data/seed.ts';

const config = loadConfigOrExit();
const db = createDataSource(config, 'trading-backend-seed');
await db.initialize();
try {
  const started = performance.now();
  const result = await seedBundledData(db);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `seeded ${result.coins} coins, ${result.history_points} history points, ${result.categories} categories in ${seconds}s\n`,
  );
} finally {
  await db.destroy();
}
