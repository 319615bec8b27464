import type { TSeedOptions } from '../core/market/index.ts';

/**
 * The recorded market as it stood at noon UTC on 2022-09-26, the last day of the 2015-2022 set, on the
 * recorded dates (shift 0): every coin of that set trading, with its recorded volume and market cap.
 * Tests of the API's mechanics seed this, so that their expectations are fixed recorded values.
 */
export const RECORDED_MARKET = {
  timeline: { shift_days: 0 },
  now: new Date('2022-09-26T12:00:00Z'),
} as const satisfies TSeedOptions;
