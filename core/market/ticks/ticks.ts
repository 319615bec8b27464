import { z } from 'zod';
import { indexOnOrBefore, closeOn, type TRecordedCoin } from '../bundled/recording.ts';
import { DAY_MS, isoDay, recordedDayAt, servedAt, type TTimeline } from '../bundled/timeline.ts';
import { bridgePrice, dailyVolatility, VOLATILITY_WINDOW_DAYS } from './bridge.ts';

/** One tick of one coin, as the ticker publishes it and the streams send it. */
export const ZTick = z.strictObject({
  symbol: z.string().meta({ example: 'BTC' }),
  price: z.number().positive().meta({ description: 'USD price at `at`', example: 43_112.5 }),
  change_24h: z
    .number()
    .nullable()
    .meta({ description: 'Percent change over the last 24 hours (null when unknown)', example: -1.25 }),
  volume_24h: z
    .number()
    .nullable()
    .meta({ description: 'USD volume over the last 24 hours', example: 2.1e10 }),
  at: z.iso.datetime().meta({ description: 'When the tick was taken (the start of its slot)' }),
  seq: z.number().int().nonnegative().meta({
    description:
      'The tick slot: floor(at / TICK_INTERVAL_SECONDS). It grows by one per tick of a symbol, so a gap shows missed (or conflated) ticks. Also the SSE event id.',
  }),
});
export type TTick = z.infer<typeof ZTick>;

/** The slot a time falls in, and when that slot starts. */
export const tickSlot = (atMs: number, intervalSeconds: number): number =>
  Math.floor(atMs / (intervalSeconds * 1000));
export const slotStart = (seq: number, intervalSeconds: number): Date =>
  new Date(seq * intervalSeconds * 1000);

/** Ten significant digits: more than any recorded close has, and no float noise in the JSON. */
const round = (value: number): number => Number(value.toPrecision(10));

/**
 * The offline price of `coin` at `atMs` on `timeline`: on the Brownian bridge from the recorded close in
 * effect to the next recorded close (flat when the next day is not recorded). Undefined when the coin
 * is not trading then (no close in the last week, as the replay provider decides).
 */
export function replayPriceAt(coin: TRecordedCoin, timeline: TTimeline, atMs: number): number | undefined {
  const day = recordedDayAt(timeline, new Date(atMs));
  const current = closeOn(coin, day);
  if (!current) return undefined;
  const index = indexOnOrBefore(coin, day);
  const next = coin.closes[index + 1];
  const nextDay = isoDay(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
  if (current.date !== day || next?.date !== nextDay) return current.close;
  const window = coin.closes.slice(Math.max(0, index - VOLATILITY_WINDOW_DAYS), index + 1);
  const fraction = (atMs - servedAt(timeline, day).getTime()) / DAY_MS;
  return bridgePrice(
    {
      symbol: coin.symbol,
      day,
      from: current.close,
      to: next.close,
      volatility: dailyVolatility(window.map((point) => point.close)),
    },
    fraction,
  );
}

/** The 24-hour volume at `atMs`: the recorded daily volumes of the day and the next, interpolated. */
function volumeAt(coin: TRecordedCoin, timeline: TTimeline, atMs: number): number | null {
  const day = recordedDayAt(timeline, new Date(atMs));
  const index = indexOnOrBefore(coin, day);
  const current = coin.closes[index];
  if (!current || current.volume === null) return null;
  const next = coin.closes[index + 1];
  if (current.date !== day || !next || next.volume === null) return current.volume;
  const fraction = (atMs - servedAt(timeline, day).getTime()) / DAY_MS;
  return current.volume + (next.volume - current.volume) * fraction;
}

/** The tick of `coin` for slot `seq`, or null when the coin is not trading then. */
export function replayTick(
  coin: TRecordedCoin,
  timeline: TTimeline,
  seq: number,
  intervalSeconds: number,
): TTick | null {
  const at = slotStart(seq, intervalSeconds);
  const price = replayPriceAt(coin, timeline, at.getTime());
  if (price === undefined) return null;
  const before = replayPriceAt(coin, timeline, at.getTime() - DAY_MS);
  const volume = volumeAt(coin, timeline, at.getTime());
  return {
    symbol: coin.symbol,
    price: round(price),
    change_24h: before ? round((price / before - 1) * 100) : null,
    volume_24h: volume === null ? null : Math.round(volume),
    at: at.toISOString(),
    seq,
  };
}
