import { describe, expect, test } from '@jest/globals';
import { anchorTimeline, type TTimeline } from './timeline.ts';
import { ProviderError } from '../providers/provider-error.ts';
import { createReplayProvider } from './replay.provider.ts';

// The replay reads the bundled recording only (no database): these run in the unit project.
const timeline: TTimeline = anchorTimeline(new Date('2026-12-01T08:30:00Z'), {
  first: '2015-01-01',
  last: '2025-06-08',
});
const replay = createReplayProvider({ timeline: async () => timeline });

describe('the replay provider', () => {
  test('When markets are fetched during a day, then every coin carries that recorded day’s close', async () => {
    const morning = await replay.fetchMarkets(5, new Date('2026-12-01T00:05:00Z'));
    const evening = await replay.fetchMarkets(5, new Date('2026-12-01T23:55:00Z'));
    expect(morning.derived_from_history).toBe(true);
    expect(morning.coins.map((coin) => coin.symbol)).toStrictEqual(['BTC', 'ETH', 'XRP', 'SOL', 'ADA']);
    // BTC's recorded close of 2025-03-10 (data/market-data/coingecko-daily-2023-2025/BTC.csv).
    expect(morning.coins[0]!.current_price).toBe(80751.13893300897);
    expect(evening.coins.map((coin) => coin.current_price)).toStrictEqual(
      morning.coins.map((coin) => coin.current_price),
    );
    const tomorrow = await replay.fetchMarkets(1, new Date('2026-12-02T00:00:00Z'));
    expect(tomorrow.coins[0]!.current_price).not.toBe(morning.coins[0]!.current_price);
  });

  test('When ATH and ATL are reported, then they are the recording’s extremes up to that day, on served dates', async () => {
    const { coins } = await replay.fetchMarkets(1, new Date('2026-12-01T12:00:00Z'));
    // BTC's highest recorded close up to 2025-03-10 is 2025-01-22's, its lowest 2015-01-14's; served 631 days later.
    expect(coins[0]).toMatchObject({
      ath: 106182.2368201815,
      ath_date: '2026-10-15T00:00:00.000Z',
      atl: 172.1479,
      atl_date: '2016-10-06T00:00:00.000Z',
    });
  });

  test('When history is asked for, then it never reaches past the recorded day in effect', async () => {
    const points = await replay.fetchHistory(
      { symbol: 'BTC', coingecko_id: 'bitcoin' },
      3,
      new Date('2026-12-01T12:00:00Z'),
    );
    expect(points.map((point) => point.timestamp.toISOString())).toStrictEqual([
      '2026-11-29T00:00:00.000Z',
      '2026-11-30T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
    ]);
    expect(points[2]!.price).toBe(80751.13893300897);
  });

  test('When the recording has run out, then the replay fails instead of making up prices', async () => {
    const after = new Date('2027-03-02T00:00:00Z');
    const failure = await replay.fetchMarkets(5, after).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ provider: 'replay', kind: 'exhausted', retryable: false });
    expect((failure as Error).message).toMatch(/recording ended on 2025-06-08.*npm run seed -- --reanchor/);
  });

  test('When no timeline was stored, then the replay says the bundled data must be loaded first', async () => {
    const unseeded = createReplayProvider({ timeline: async () => null });
    await expect(unseeded.fetchMarkets(5, new Date())).rejects.toThrow(/npm run seed/);
  });
});
