import { describe, expect, test } from '@jest/globals';
import {
  anchorTimeline,
  describeTimeline,
  isExhausted,
  recordedDayAt,
  REPLAY_RESERVE_DAYS,
  servedAt,
} from './timeline.ts';

const recording = { first: '2015-01-01', last: '2025-06-08' };
const now = new Date('2026-12-01T08:30:00Z');

describe('laying the recording onto the clock', () => {
  test('When a timeline is anchored, then the recorded day kept back by the reserve becomes today', () => {
    const timeline = anchorTimeline(now, recording);
    // 2025-06-08 minus 90 days is 2025-03-10; from there to 2026-12-01 is 631 days.
    expect(REPLAY_RESERVE_DAYS).toBe(90);
    expect(timeline.shift_days).toBe(631);
    expect(recordedDayAt(timeline, now)).toBe('2025-03-10');
    expect(servedAt(timeline, '2025-03-10').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(servedAt(timeline, '2015-01-01').toISOString()).toBe('2016-09-23T00:00:00.000Z');
  });

  test('When the clock passes midnight UTC, then the next recorded day is in effect', () => {
    const timeline = anchorTimeline(now, recording);
    expect(recordedDayAt(timeline, new Date('2026-12-01T23:59:59.999Z'))).toBe('2025-03-10');
    expect(recordedDayAt(timeline, new Date('2026-12-02T00:00:00Z'))).toBe('2025-03-11');
  });

  test('When the last recorded day has been served, then the timeline is exhausted the next day', () => {
    const timeline = anchorTimeline(now, recording);
    // 2025-06-08 is 90 recorded days after 2025-03-10, so it is served on 2027-03-01.
    expect(isExhausted(timeline, new Date('2027-03-01T23:59:59Z'))).toBe(false);
    expect(isExhausted(timeline, new Date('2027-03-02T00:00:00Z'))).toBe(true);
    const described = describeTimeline(timeline, new Date('2027-03-02T00:00:00Z'));
    expect(described.status).toBe('exhausted');
    expect(described.replay_ends).toBe('2027-03-01');
  });

  test('When the timeline is described, then it names the recording and the shift', () => {
    expect(describeTimeline(anchorTimeline(now, recording), now)).toStrictEqual({
      provider: 'replay',
      description: 'replay of recorded CoinGecko closes 2015-01-01..2025-06-08, shifted by 631 days',
      recorded_first: '2015-01-01',
      recorded_last: '2025-06-08',
      shift_days: 631,
      recorded_day_now: '2025-03-10',
      replay_ends: '2027-03-01',
      status: 'replaying',
      anchored_at: '2026-12-01T08:30:00.000Z',
    });
  });
});
