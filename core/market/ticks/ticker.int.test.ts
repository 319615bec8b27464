import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import pino from 'pino';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { createJobQueues, type TJobQueues } from '../../features.ts';
import { readDataVersion } from '../../platform/cache/versions.ts';
import { createWorkflows, type TWorkflows } from '../../workflows.ts';
import type { TAnnounce } from '../../platform/jobs/index.ts';
import { seedBundledData } from '../bundled/seed.ts';
import { createTicker, tickKeys, type TTickBatch } from './ticker.ts';
import { tickSlot } from './ticks.ts';

const config = testConfig();
const keys = tickKeys(config.REDIS_KEY_PREFIX);
let database: TTestDatabase;
let redis: Redis;
let cacheRedis: Redis;
let subscriber: Redis;
const announced: [string, unknown][] = [];
let queues: TJobQueues;
let queueConnection: Redis;
let workflows: TWorkflows;

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH'], history: 'month' });
  redis = new Redis(config.REDIS_URL);
  cacheRedis = new Redis(config.CACHE_REDIS_URL ?? config.REDIS_URL);
  subscriber = new Redis(config.REDIS_URL);
  queueConnection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  queues = createJobQueues(queueConnection, config.QUEUE_PREFIX);
  workflows = createWorkflows({ queues, cacheRedis, keyPrefix: config.REDIS_KEY_PREFIX });
});

afterAll(async () => {
  await queues.close();
  queueConnection.disconnect();
  await database.drop();
  for (const connection of [redis, cacheRedis, subscriber]) connection.disconnect();
});

const ticker = () =>
  createTicker({
    db: database.db,
    redis,
    announce: (async (event: string, data: unknown) => {
      announced.push([event, data]);
      // What the worker's services do: core/workflows.ts reacts (the data version, evaluate-alerts).
      await (workflows.announce as (event: string, data: unknown) => Promise<void>)(event, data);
    }) as TAnnounce,
    keyPrefix: config.REDIS_KEY_PREFIX,
    intervalSeconds: 10,
    historyResolutionSeconds: 60,
    replay: 3,
    logger: pino({ level: 'silent' }),
  });

describe('the worker ticker', () => {
  test('When a slot ticks, then the listing, the data version, the snapshot, the replay and the channel agree', async () => {
    const received: TTickBatch[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(JSON.parse(message)));
    await subscriber.subscribe(keys.channel);
    const versionBefore = await readDataVersion(cacheRedis, config.REDIS_KEY_PREFIX);
    const seq = tickSlot(Date.now(), 10);

    const batch = (await ticker().tick(seq))!;
    expect(batch.seq).toBe(seq);
    expect(batch.ticks.map((t) => t.symbol).sort()).toEqual(['BTC', 'ETH']);
    // Another replica (another ticker) asking for the same slot publishes nothing.
    expect(await ticker().tick(seq)).toBeNull();

    const rows: { symbol: string; price: string; last_updated: Date }[] = await database.db.query(
      `SELECT symbol, current_price::text AS price, last_updated FROM cryptocurrencies ORDER BY symbol`,
    );
    for (const tick of batch.ticks) {
      const row = rows.find((r) => r.symbol === tick.symbol)!;
      expect(Number(row.price)).toBe(tick.price);
      expect(row.last_updated.toISOString()).toBe(tick.at);
    }
    // What follows (the data version, the alerts) is core/workflows.ts's: the ticker announces it, once per slot.
    expect(announced).toEqual([['market.ticked', { symbols: batch.ticks.map((t) => t.symbol) }]]);
    expect(await readDataVersion(cacheRedis, config.REDIS_KEY_PREFIX)).not.toBe(versionBefore);
    // Price alerts are evaluated on ticks: one evaluate-alerts job for the ticked coins.
    const waiting = await queues.queues['evaluate-alerts'].getJobs(['waiting', 'prioritized', 'delayed']);
    expect(waiting.map((job) => job.data.symbols)).toEqual([batch.ticks.map((t) => t.symbol)]);
    expect(JSON.parse((await redis.hget(keys.last, 'BTC'))!)).toEqual(
      batch.ticks.find((t) => t.symbol === 'BTC'),
    );
    for (let wait = 0; received.length === 0 && wait < 50; wait += 1)
      await new Promise((r) => setTimeout(r, 20));
    expect(received).toEqual([batch]);

    // The replay list keeps the newest MARKET_TICK_REPLAY batches.
    for (const next of [seq + 1, seq + 2, seq + 3]) await ticker().tick(next);
    const recent = (await redis.lrange(keys.recent, 0, -1)).map((m) => (JSON.parse(m) as TTickBatch).seq);
    expect(recent).toEqual([seq + 3, seq + 2, seq + 1]);
  });

  test('When the ticker is started and stopped, then it stops cleanly', async () => {
    const running = ticker();
    running.start();
    await running.stop();
  });
});
