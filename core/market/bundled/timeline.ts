/**
 * How the bundled recording is laid onto the clock (docs/offline-market.md). Every recorded day is
 * served `shift_days` later; the shift is fixed when a database is first seeded, so that the recorded
 * day `recorded_last - REPLAY_RESERVE_DAYS` becomes that day: everything up to it is history, the rest
 * is replayed one recorded day per real day. Values are never changed, only their dates.
 */
export type TTimeline = {
  /** Whole days added to every recorded date. */
  shift_days: number;
  /** First and last recorded day (UTC dates) of the whole recording. */
  recorded_first: string;
  recorded_last: string;
  /** When this database's timeline was anchored. */
  anchored_at: string;
};

/** Recorded days kept back at anchoring, to be replayed as real days pass. */
export const REPLAY_RESERVE_DAYS = 90;

export const DAY_MS = 86_400_000;

export const isoDay = (time: number): string => new Date(time).toISOString().slice(0, 10);
const dayStart = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const dayNumber = (time: number): number => Math.floor(time / DAY_MS);

/** The timeline that makes `recording.last - reserveDays` the UTC day of `now`. */
export function anchorTimeline(
  now: Date,
  recording: { first: string; last: string },
  reserveDays = REPLAY_RESERVE_DAYS,
): TTimeline {
  const present = dayNumber(dayStart(recording.last)) - reserveDays;
  return {
    shift_days: dayNumber(now.getTime()) - present,
    recorded_first: recording.first,
    recorded_last: recording.last,
    anchored_at: now.toISOString(),
  };
}

/** The recorded day whose close is in effect at `time`. */
export const recordedDayAt = (timeline: TTimeline, time: Date): string =>
  isoDay(time.getTime() - timeline.shift_days * DAY_MS);

/** When a recorded day is served: 00:00 UTC of its date plus the shift. */
export const servedAt = (timeline: TTimeline, recordedDate: string): Date =>
  new Date(dayStart(recordedDate) + timeline.shift_days * DAY_MS);

/** True once the clock has passed the last recorded day: nothing is left to replay. */
export const isExhausted = (timeline: TTimeline, now: Date): boolean =>
  recordedDayAt(timeline, now) > timeline.recorded_last;

/** What API users see in `GET /` and `/health`. */
export function describeTimeline(timeline: TTimeline, now: Date) {
  const exhausted = isExhausted(timeline, now);
  return {
    provider: 'replay' as const,
    description:
      `replay of recorded CoinGecko closes ${timeline.recorded_first}..${timeline.recorded_last}, ` +
      `shifted by ${timeline.shift_days} days`,
    recorded_first: timeline.recorded_first,
    recorded_last: timeline.recorded_last,
    shift_days: timeline.shift_days,
    recorded_day_now: recordedDayAt(timeline, now),
    replay_ends: isoDay(servedAt(timeline, timeline.recorded_last).getTime()),
    status: exhausted ? ('exhausted' as const) : ('replaying' as const),
    anchored_at: timeline.anchored_at,
  };
}
