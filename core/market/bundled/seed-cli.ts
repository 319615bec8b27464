// Loads the bundled real CoinGecko recording onto the configured database's timeline.
//   npm run seed                      load it (keeps this database's timeline; adds the days that passed)
//   npm run seed -- --reanchor        start the timeline over: the recording again ends today
//   node core/market/bundled/seed-cli.ts --prepare
//                                     what npm run dev / npm start and the chart's seed hook run: load when
//                                     the database is empty; with the replay provider, start over when the
//                                     recording has run out (or the data predates timelines), otherwise add
//                                     the recorded days that passed; a live provider's data is left alone
import { invalidateMarketCache } from '../market-cache.ts';
import { createCacheRedis } from '../../platform/redis/redis.ts';
import { loadConfigOrExit } from '../../platform/config/env.ts';
import { createDataSource } from '../../platform/db/data-source.ts';
import { seedBundledData, type TSeedOptions } from './seed.ts';
import { readTimeline } from './timeline.repository.ts';
import { describeTimeline, isExhausted } from './timeline.ts';

const config = loadConfigOrExit();
const db = createDataSource(config, 'trading-backend-seed');
await db.initialize();
try {
  const now = new Date();
  let timeline: TSeedOptions['timeline'] = process.argv.includes('--reanchor') ? 'reanchor' : 'keep';
  if (process.argv.includes('--prepare')) {
    const [{ n }] = await db.query('SELECT count(*)::int AS n FROM cryptocurrencies');
    const stored = await readTimeline(db);
    if (n > 0 && config.MARKET_DATA_PROVIDER !== 'replay') {
      // A live provider's data is never replaced by the recording.
      process.stdout.write(
        `the database holds ${n} coins from ${config.MARKET_DATA_PROVIDER}; not seeding\n`,
      );
      process.exit(0);
    }
    if (n > 0 && (!stored || isExhausted(stored, now))) {
      process.stdout.write(
        stored
          ? `the recording ran out on ${describeTimeline(stored, now).replay_ends}; starting the timeline over\n`
          : 'the stored market data has no timeline (an older version loaded it); starting over\n',
      );
      timeline = 'reanchor';
    }
  }
  const started = performance.now();
  const result = await seedBundledData(db, { timeline, now });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  // A running API must not keep serving what it cached before the seed.
  const redis = createCacheRedis(config.CACHE_REDIS, { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined); // Redis is optional here: without it there is no cache to clear
  await redis
    .connect()
    .then(() => invalidateMarketCache(redis, config.REDIS_KEY_PREFIX))
    .catch(() => undefined)
    .finally(() => redis.disconnect());
  process.stdout.write(
    `${result.coins} coins, ${result.history_points} new history points in ${seconds}s; ` +
      `${describeTimeline(result.timeline, now).description}\n`,
  );
} finally {
  await db.destroy();
}
