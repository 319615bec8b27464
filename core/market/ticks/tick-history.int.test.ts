import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import pino from 'pino';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import type { TAnnounce } from '../../platform/jobs/index.ts';
import { createRiskRepository, createRiskService } from '../../risk/index.ts';
import { seedBundledData } from '../bundled/seed.ts';
import { createCryptocurrencyRepository } from '../cryptocurrency.repository.ts';
import { createMarketIngestion } from '../ingestion/ingestion.service.ts';
import { createPriceReader } from '../prices.repository.ts';
import { createTicker } from './ticker.ts';

// Tick points in price_history (kind 'tick'), the daily figures that must not see them, their thinning,
// and a sync that must not take the listing back from a fresher tick. Offline market (the replay).
const config = testConfig();
const MINUTE = 60_000;
let database: TTestDatabase;
let redis: Redis;
const announced: string[] = [];
const announce = (async (event: string) => {
  announced.push(event);
}) as TAnnounce;

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH'], history: 'month' });
  redis = new Redis(config.REDIS_URL);
});
afterAll(async () => {
  await database.drop();
  redis.disconnect();
});

const ticker = () =>
  createTicker({
    db: database.db,
    redis,
    announce,
    keyPrefix: config.REDIS_KEY_PREFIX,
    intervalSeconds: 10,
    historyResolutionSeconds: 60,
    replay: 5,
    logger: pino({ level: 'silent' }),
  });
const ingestion = () =>
  createMarketIngestion({
    config,
    db: database.db,
    redis,
    logger: pino({ level: 'silent' }),
    jobs: { announce },
  });

const count = async (kind: string): Promise<number> =>
  (await database.db.query(`SELECT count(*)::int AS n FROM price_history WHERE kind = $1`, [kind]))[0].n;

/** Every daily figure the platform reads: risk, the daily history page, the portfolios' closes. */
async function dailyFigures() {
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10);
  const [btc] = await database.db.query(`SELECT id FROM cryptocurrencies WHERE symbol = 'BTC'`);
  const risk = createRiskRepository(database.db);
  const prices = createPriceReader(database.db);
  const report = await createRiskService({ risk })
    .report('ETH', { window: 30, benchmark: 'BTC', risk_free_rate: 0 })
    .then(({ computed_at: _computedAt, ...rest }) => rest);
  return {
    report,
    riskCloses: await risk.dailyCloses(btc.id, from, today),
    riskClosesOf: [...(await risk.dailyClosesOf([btc.id], from, today)).entries()],
    lastTimestamp: await risk.lastTimestamp(btc.id, today),
    history: await createCryptocurrencyRepository(database.db).history(btc.id, {
      interval: 'daily',
      limit: 30,
      order: 'desc',
    }),
    closes: [...(await prices.dailyCloses(['BTC', 'ETH'], from, today)).entries()],
    closesOn: [...(await prices.closesOn(['BTC', 'ETH'], today)).entries()],
    pricesAt: [...(await prices.pricesAt(['BTC', 'ETH'], new Date())).entries()],
  };
}

describe('tick points in price_history', () => {
  test('When ticks come every 10 s, then one point per coin per minute is stored, and no daily figure changes', async () => {
    const before = await dailyFigures();
    expect(before.report.observations).toBeGreaterThan(10);
    // Three minutes of 10-second ticks, from a minute boundary twenty minutes ago: 18 ticks, 3 points a coin.
    const start = Math.floor((Date.now() - 20 * MINUTE) / MINUTE) * MINUTE;
    const running = ticker();
    const prices: number[] = [];
    for (let index = 0; index < 18; index += 1) {
      const batch = (await running.tick(start / 10_000 + index))!;
      prices.push(batch.ticks.find((tick) => tick.symbol === 'BTC')!.price);
    }
    expect(await count('tick')).toBe(6);
    const points: { at: Date; price: number }[] = await database.db.query(
      `SELECT h."timestamp" AS at, h.price::float8 AS price FROM price_history h
       JOIN cryptocurrencies c ON c.id = h.cryptocurrency_id
       WHERE c.symbol = 'BTC' AND h.kind = 'tick' ORDER BY h."timestamp"`,
    );
    expect(points.map((point) => point.at.getTime())).toEqual([start, start + MINUTE, start + 2 * MINUTE]);
    // Each is the tick of its minute's first slot.
    expect(points.map((point) => point.price)).toEqual([prices[0], prices[6], prices[12]]);
    // The tick points are the newest of today: a daily read that took them would answer otherwise.
    expect(new Set(prices).size).toBeGreaterThan(1);
    expect(await dailyFigures()).toEqual(before);
    // The raw history shows them (intraday), the daily one does not.
    const [btc] = await database.db.query(`SELECT id FROM cryptocurrencies WHERE symbol = 'BTC'`);
    const raw = await createCryptocurrencyRepository(database.db).history(btc.id, {
      interval: 'raw',
      limit: 3,
      order: 'desc',
    });
    expect(raw.map((point) => point.timestamp)).toEqual(
      [2, 1, 0].map((minutes) => new Date(start + minutes * MINUTE).toISOString()),
    );
  });

  test('When the cleanup runs, then raw ticks past TICK_HISTORY_RAW_DAYS keep the last point of each hour, once, and market points stay', async () => {
    const [btc] = await database.db.query(`SELECT id FROM cryptocurrencies WHERE symbol = 'BTC'`);
    const hour = Math.floor((Date.now() - 10 * 86_400_000) / 3_600_000) * 3_600_000;
    const minutes = Array.from({ length: 120 }, (_, index) => new Date(hour + index * MINUTE));
    // Two old hours of raw ticks at one a minute (the first minute is a market point's: 00 stays market),
    // and a raw tick three days old (within the 7 raw days).
    await database.db.query(
      `INSERT INTO price_history (cryptocurrency_id, "timestamp", price, kind)
       SELECT $1, at, 100 + extract(epoch FROM at) / 60 % 1000, 'tick' FROM unnest($2::timestamptz[]) AS at
       ON CONFLICT DO NOTHING`,
      [btc.id, [...minutes, new Date(Date.now() - 3 * 86_400_000)]],
    );
    const marketBefore: unknown[] = await database.db.query(
      `SELECT cryptocurrency_id, "timestamp", price FROM price_history WHERE kind = 'market' ORDER BY 1, 2`,
    );
    const before = await dailyFigures();
    announced.length = 0;
    const first = await ingestion().cleanup({ batch_size: 1000, as_of: new Date().toISOString() });
    expect(first.ticks_thinned).toMatchObject({ deleted: 118, kept: 2, batches: 1 });
    expect(announced).toEqual(['market.changed']);
    const hourly: { at: Date }[] = await database.db.query(
      `SELECT "timestamp" AS at FROM price_history WHERE kind = 'tick_hourly' ORDER BY 1`,
    );
    // The last tick of each hour: xx:59.
    expect(hourly.map((row) => row.at.getTime())).toEqual([hour + 59 * MINUTE, hour + 119 * MINUTE]);
    expect(await count('tick')).toBe(6 + 1); // today's and the three-day-old one: still raw
    expect(
      await database.db.query(
        `SELECT cryptocurrency_id, "timestamp", price FROM price_history WHERE kind = 'market' ORDER BY 1, 2`,
      ),
    ).toEqual(marketBefore);
    expect(await dailyFigures()).toEqual(before);
    // Idempotent: nothing left to thin, no version bump.
    announced.length = 0;
    const second = await ingestion().cleanup({ batch_size: 1000, as_of: new Date().toISOString() });
    expect(second.ticks_thinned).toMatchObject({ deleted: 0, kept: 0, batches: 0 });
    expect(announced).toEqual([]);
  });

  test("When a replay sync writes the day's close after a tick, then the listing keeps the tick's price", async () => {
    const now = Date.now();
    const batch = (await ticker().tick(Math.floor(now / 10_000)))!;
    const tick = batch.ticks.find((t) => t.symbol === 'BTC')!;
    const asOf = new Date(Math.floor(now / (5 * MINUTE)) * 5 * MINUTE);
    const result = await ingestion().sync({ limit: 2, provider: 'replay', as_of: asOf.toISOString() });
    expect(result.provider).toBe('replay');
    const [close] = await database.db.query(
      `SELECT h.price::float8 AS price FROM price_history h JOIN cryptocurrencies c ON c.id = h.cryptocurrency_id
       WHERE c.symbol = 'BTC' AND h."timestamp" = $1 AND h.kind = 'market'`,
      [asOf],
    );
    expect(close.price).not.toBe(tick.price);
    const [row] = await database.db.query(
      `SELECT current_price::float8 AS price, last_updated FROM cryptocurrencies WHERE symbol = 'BTC'`,
    );
    expect(row).toEqual({ price: tick.price, last_updated: new Date(tick.at) });
    // A sync later than the tick sets the close (until the next tick).
    await ingestion().sync({
      limit: 2,
      provider: 'replay',
      as_of: new Date(Date.parse(tick.at) + MINUTE).toISOString(),
    });
    const [later] = await database.db.query(
      `SELECT current_price::float8 AS price FROM cryptocurrencies WHERE symbol = 'BTC'`,
    );
    expect(later.price).toBe(close.price);
  });
});
