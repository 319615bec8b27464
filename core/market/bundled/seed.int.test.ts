import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { seedBundledData } from './seed.ts';
import { readTimeline } from './timeline.repository.ts';

let database: TTestDatabase;
const at = (iso: string) => new Date(iso);

async function btcDays(): Promise<string[]> {
  const rows: { day: string }[] = await database.db.query(
    `SELECT to_char(h."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM price_history h
     JOIN cryptocurrencies c ON c.id = h.cryptocurrency_id WHERE c.symbol = 'BTC' ORDER BY h."timestamp"`,
  );
  return rows.map((row) => row.day);
}

beforeAll(async () => {
  database = await createTestDatabase(testConfig());
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
});

describe('seeding the offline market over time', () => {
  test('When the database is seeded, then its timeline is stored and history ends on the day of the seed', async () => {
    const result = await seedBundledData(database.db, { symbols: ['BTC'], now: at('2026-12-01T08:00:00Z') });
    expect(result.timeline.shift_days).toBe(631);
    expect(await readTimeline(database.db)).toStrictEqual(result.timeline);
    const days = await btcDays();
    expect(days[0]).toBe('2016-09-23'); // 2015-01-01 + 631 days
    expect(days.at(-1)).toBe('2026-12-01');
  });

  test('When it is seeded again three days later, then only the three recorded days that passed are added', async () => {
    await seedBundledData(database.db, { symbols: ['BTC'], now: at('2026-12-01T08:00:00Z') });
    const before = await btcDays();
    const again = await seedBundledData(database.db, { symbols: ['BTC'], now: at('2026-12-04T08:00:00Z') });
    expect(again.timeline.shift_days).toBe(631); // the stored timeline is kept
    expect(again.history_points).toBe(3);
    expect(await btcDays()).toStrictEqual([...before, '2026-12-02', '2026-12-03', '2026-12-04']);
    const [btc] = await database.db.query(`SELECT current_price::float8 AS price FROM cryptocurrencies`);
    // The recorded close of 2025-03-13 (2026-12-04 minus 631 days).
    expect(btc.price).toBe(83884.24578828987);
  });

  test('When it is re-anchored, then history is laid out again to end on the new day, with nothing left of the old shift', async () => {
    await seedBundledData(database.db, { symbols: ['BTC'], now: at('2026-12-01T08:00:00Z') });
    const count = (await btcDays()).length;
    const moved = await seedBundledData(database.db, {
      symbols: ['BTC'],
      now: at('2027-06-01T08:00:00Z'),
      timeline: 'reanchor',
    });
    expect(moved.timeline.shift_days).toBe(631 + 182);
    const days = await btcDays();
    expect(days.length).toBe(count);
    expect(days.at(-1)).toBe('2027-06-01');
  });

  test('When only the recent month is asked for, then 32 days are stored and the market fields are still derived', async () => {
    const result = await seedBundledData(database.db, {
      symbols: ['BTC', 'ETH'],
      history: 'month',
      now: at('2026-12-01T08:00:00Z'),
    });
    expect(result.history_points).toBe(64);
    const rows = await database.db.query(
      `SELECT symbol, price_change_percentage_30d IS NOT NULL AS has_30d, market_cap_rank FROM cryptocurrencies ORDER BY symbol`,
    );
    expect(rows).toStrictEqual([
      { symbol: 'BTC', has_30d: true, market_cap_rank: 1 },
      { symbol: 'ETH', has_30d: true, market_cap_rank: 2 },
    ]);
  });
});
