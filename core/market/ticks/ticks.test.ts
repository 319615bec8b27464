import { describe, expect, test } from '@jest/globals';
import { loadRecording } from '../bundled/recording.ts';
import { anchorTimeline, DAY_MS, servedAt } from '../bundled/timeline.ts';
import { bridgePrice, dailyVolatility, DEFAULT_DAILY_VOLATILITY, seededNormal } from './bridge.ts';
import { replayPriceAt, replayTick, tickSlot } from './ticks.ts';

const bridge = { symbol: 'BTC', day: '2025-03-10', from: 80_000, to: 82_000, volatility: 0.03 };
const timeline = anchorTimeline(new Date('2026-12-01T08:30:00Z'), {
  first: '2015-01-01',
  last: '2025-06-08',
});

describe('the Brownian bridge between two recorded closes', () => {
  test('When the same coin and day are asked twice, then the path is the same; another day is another path', () => {
    const fractions = [0.001, 0.25, 0.5, 0.731, 0.999];
    const first = fractions.map((f) => bridgePrice(bridge, f));
    expect(fractions.map((f) => bridgePrice({ ...bridge }, f))).toEqual(first);
    const otherDay = fractions.map((f) => bridgePrice({ ...bridge, day: '2025-03-11' }, f));
    expect(otherDay).not.toEqual(first);
    const otherCoin = fractions.map((f) => bridgePrice({ ...bridge, symbol: 'ETH' }, f));
    expect(otherCoin).not.toEqual(first);
  });

  test('When the day starts and ends, then the price is exactly the recorded close', () => {
    expect(bridgePrice(bridge, 0)).toBe(80_000);
    expect(bridgePrice(bridge, 1)).toBe(82_000);
    // Close to the end the path converges on the close (within a fraction of a percent a second before).
    expect(Math.abs(bridgePrice(bridge, 1 - 1 / 86_400) / 82_000 - 1)).toBeLessThan(0.002);
    expect(Math.abs(bridgePrice(bridge, 1 / 86_400) / 80_000 - 1)).toBeLessThan(0.002);
  });

  test('When many days are drawn, then the mid-day deviation has the standard deviation volatility / 2', () => {
    for (const volatility of [0.01, 0.05]) {
      const deviations: number[] = [];
      for (let day = 0; day < 4000; day += 1) {
        const price = bridgePrice({ ...bridge, from: 100, to: 100, day: `d${day}`, volatility }, 0.5);
        deviations.push(Math.log(price / 100));
      }
      const mean = deviations.reduce((a, b) => a + b, 0) / deviations.length;
      const sd = Math.sqrt(deviations.reduce((a, b) => a + (b - mean) ** 2, 0) / (deviations.length - 1));
      expect(Math.abs(mean)).toBeLessThan(volatility * 0.05);
      expect(sd / (volatility / 2)).toBeGreaterThan(0.9);
      expect(sd / (volatility / 2)).toBeLessThan(1.1);
    }
  });

  test('When normals are drawn from keys, then they look standard (mean 0, variance 1)', () => {
    const draws = Array.from({ length: 20_000 }, (_, index) => seededNormal(`k${index}`));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  test('When the daily volatility is estimated, then it is the standard deviation of log returns, bounded', () => {
    const closes = [100];
    for (let index = 0; index < 30; index += 1) closes.push(closes.at(-1)! * (index % 2 ? 1.02 : 1 / 1.02));
    expect(dailyVolatility(closes)).toBeCloseTo(Math.log(1.02) * Math.sqrt(30 / 29), 4);
    expect(dailyVolatility([1, 2])).toBe(DEFAULT_DAILY_VOLATILITY);
    expect(dailyVolatility(Array.from({ length: 10 }, (_, i) => (i % 2 ? 1 : 100)))).toBe(0.5);
  });
});

describe('ticks of the recorded coins', () => {
  test('When a recorded day ends, then the tick at the boundary is exactly the next recorded close', async () => {
    const btc = (await loadRecording()).bySymbol.get('BTC')!;
    const index = btc.closes.findIndex((point) => point.date === '2025-03-10');
    const [today, tomorrow] = [btc.closes[index]!, btc.closes[index + 1]!];
    const start = servedAt(timeline, today.date).getTime();
    expect(replayPriceAt(btc, timeline, start)).toBe(today.close);
    expect(replayPriceAt(btc, timeline, start + DAY_MS)).toBe(tomorrow.close);
    const noon = replayPriceAt(btc, timeline, start + DAY_MS / 2)!;
    expect(noon).not.toBe(today.close);
    // Within a few daily standard deviations of the closes (a sane scale, not a random walk off to nowhere).
    expect(Math.abs(Math.log(noon / today.close))).toBeLessThan(0.3);
  });

  test('When a tick is taken twice for one slot, then it is the same tick, with the slot as seq', async () => {
    const eth = (await loadRecording()).bySymbol.get('ETH')!;
    const at = servedAt(timeline, '2025-03-10').getTime() + 5 * 3_600_000 + 7_000;
    const seq = tickSlot(at, 10);
    const tick = replayTick(eth, timeline, seq, 10)!;
    expect(replayTick(eth, timeline, seq, 10)).toEqual(tick);
    expect(tick).toMatchObject({ symbol: 'ETH', seq, at: new Date(seq * 10_000).toISOString() });
    expect(tick.price).toBeGreaterThan(0);
    expect(tick.change_24h).not.toBeNull();
    // The 2023-2025 recording has closes only: volume is null there, a number where recorded.
    expect(tick.volume_24h === null || tick.volume_24h > 0).toBe(true);
    expect(replayTick(eth, timeline, seq + 1, 10)!.price).not.toBe(tick.price);
  });
});
