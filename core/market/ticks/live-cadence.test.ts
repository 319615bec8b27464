import { describe, expect, test } from '@jest/globals';
import { SYNC_CADENCES } from '../../schedules.ts';
import { testConfig } from '../../../test/config.ts';
import { cronRunsPerHour, liveTickCadence, MONTH_SECONDS } from './live-cadence.ts';

const budgets = (overrides: Record<string, string> = {}) => testConfig(overrides);

describe('the live ticker cadence within the call budget', () => {
  test('When the schedules are read, then the syncs are the top 50 every 5 minutes and the top 200 hourly', () => {
    expect(SYNC_CADENCES).toEqual([
      { cron: '*/5 * * * *', limit: 50 },
      { cron: '7 * * * *', limit: 200 },
    ]);
    expect(cronRunsPerHour('*/5 * * * *')).toBe(12);
    expect(cronRunsPerHour('7 * * * *')).toBe(1);
    expect(cronRunsPerHour('0,30 * * * *')).toBe(2);
    expect(cronRunsPerHour('17 3 * * *')).toBeCloseTo(1 / 24);
    // Unreadable: counted as every minute (slower ticks, never an overrun).
    expect(cronRunsPerHour('@hourly')).toBe(60);
  });

  test('When only a per-minute budget is set, then TICK_INTERVAL_SECONDS holds while the budget allows it', () => {
    const cadence = liveTickCadence(budgets(), ['coingecko'], SYNC_CADENCES);
    // 30 calls/min, 1 kept for syncs: a call every 60/29 s at most; 10 s is slower.
    expect(cadence).toMatchObject({ seconds: 10, reserve: { coingecko: 1 } });
    expect(cadence.limits[0]!.min_seconds).toBeCloseTo(60 / 29);
    const tight = liveTickCadence(budgets({ COINGECKO_CALLS_PER_MINUTE: '4' }), ['coingecko'], []);
    expect(tight.seconds).toBe(20); // 3 spare calls a minute
  });

  test('When CoinGecko Demo (10,000 calls a month) is shared with the default syncs, then the ticks get what the syncs leave', () => {
    const cadence = liveTickCadence(
      budgets({ COINGECKO_CALLS_PER_MONTH: '10000' }),
      ['coingecko'],
      SYNC_CADENCES,
    );
    // 13 syncs an hour × 24 × 31 = 9,672 calls; 328 left for the month: one tick every 8,166 s.
    expect(cadence.limits[0]!.sync_calls_per_month).toBe(9672);
    expect(cadence.seconds).toBe(Math.ceil(MONTH_SECONDS / 328));
    // Fewer syncs (the hourly top 200 only) leave more: 10,000 − 744 = 9,256 → every 290 s.
    const hourly = liveTickCadence(
      budgets({ COINGECKO_CALLS_PER_MONTH: '10000' }),
      ['coingecko'],
      [{ cron: '7 * * * *', limit: 200 }],
    );
    expect(hourly.seconds).toBe(Math.ceil(MONTH_SECONDS / 9256));
  });

  test('When the syncs alone spend the month, then there is no live tick at all', () => {
    const cadence = liveTickCadence(
      budgets({ COINGECKO_CALLS_PER_MONTH: '9000' }),
      ['coingecko'],
      SYNC_CADENCES,
    );
    expect(cadence.seconds).toBe(Infinity);
  });

  test('When CoinMarketCap is the fallback, then it takes ticks only if its own budget affords the cadence', () => {
    const config = budgets({
      COINGECKO_CALLS_PER_MINUTE: '500',
      COINGECKO_CALLS_PER_MONTH: '500000',
      COINMARKETCAP_CALLS_PER_MONTH: '20000',
    });
    const cadence = liveTickCadence(config, ['coingecko', 'coinmarketcap'], SYNC_CADENCES);
    // CoinGecko Analyst (the primary) sets ten seconds. CMC: the top-50 syncs cost 1 credit, the top-200
    // ones 2: 14 credits an hour, 10,416 a month; 9,584 of 20,000 left, one tick every 280 s at most:
    // not at ten seconds, so CMC stays the syncs' fallback only.
    expect(cadence.seconds).toBe(10);
    expect(cadence.limits[1]!.sync_calls_per_month).toBe(10_416);
    expect(cadence.limits[1]!.min_seconds).toBeCloseTo(MONTH_SECONDS / 9584);
    expect(cadence.providers).toEqual(['coingecko']);
    // On CoinGecko Demo (one tick every 8,166 s) the same CMC budget affords the ticks: both are used.
    const demo = liveTickCadence(
      budgets({ COINGECKO_CALLS_PER_MONTH: '10000', COINMARKETCAP_CALLS_PER_MONTH: '20000' }),
      ['coingecko', 'coinmarketcap'],
      SYNC_CADENCES,
    );
    expect(demo).toMatchObject({ seconds: 8166, providers: ['coingecko', 'coinmarketcap'] });
    // CMC Basic's 10,000 credits do not even cover those syncs: never a tick there.
    const basic = budgets({ COINGECKO_CALLS_PER_MONTH: '10000', COINMARKETCAP_CALLS_PER_MONTH: '10000' });
    expect(liveTickCadence(basic, ['coingecko', 'coinmarketcap'], SYNC_CADENCES).providers).toEqual([
      'coingecko',
    ]);
  });

  test('When a free key is configured, then its monthly cap is the default (10,000)', () => {
    expect(budgets({ COINGECKO_API_KEY: 'k' }).COINGECKO_CALLS_PER_MONTH).toBe(10_000);
    expect(budgets({ COINGECKO_API_KEY: 'k', COINGECKO_API_PLAN: 'pro' }).COINGECKO_CALLS_PER_MONTH).toBe(
      undefined,
    );
    expect(budgets().COINGECKO_CALLS_PER_MONTH).toBe(undefined);
    expect(budgets({ COINMARKETCAP_API_KEY: 'k' }).COINMARKETCAP_CALLS_PER_MONTH).toBe(10_000);
    expect(
      budgets({ COINGECKO_API_KEY: 'k', COINGECKO_CALLS_PER_MONTH: '100000' }).COINGECKO_CALLS_PER_MONTH,
    ).toBe(100_000);
  });
});
