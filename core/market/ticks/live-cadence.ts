import type { TConfig } from '../../platform/config/env.ts';
import { SIMPLE_PRICE_IDS } from '../providers/coingecko.provider.ts';
import { CMC_TICK_LIMIT } from '../providers/coinmarketcap.provider.ts';
import type { TProviderName } from '../providers/provider.types.ts';

/** A recurring sync as the schedules declare it (core/schedules.ts: cron, in UTC, and its coin limit). */
export type TSyncCadence = { cron: string; limit: number };

/** The longest month: a monthly cap paced over 31 days holds in every month. */
export const MONTH_SECONDS = 31 * 86_400;

/**
 * Runs of a cron expression per hour, read from its minute and hour fields only ("*\/5", "7", "0,30";
 * an hour field other than "*" counts its hours out of 24). Anything else is counted as every minute:
 * too many syncs make the ticker slower, never the budget overrun.
 */
export function cronRunsPerHour(cron: string): number {
  const [minute = '*', hour = '*'] = cron.trim().split(/\s+/);
  const count = (field: string, size: number): number | null => {
    if (field === '*') return size;
    const step = /^\*\/(\d+)$/.exec(field);
    if (step) return Math.ceil(size / Number(step[1]));
    if (/^\d+(,\d+)*$/.test(field)) return field.split(',').length;
    return null;
  };
  const minutes = count(minute, 60) ?? 60;
  const hours = count(hour, 24) ?? 24;
  return (minutes * hours) / 24;
}

/** Calls (CoinMarketCap: credits) one sync of `limit` coins costs a provider. */
export function callsPerSync(provider: TProviderName, limit: number): number {
  if (provider === 'coingecko') return Math.ceil(limit / 250); // /coins/markets pages of 250
  if (provider === 'coinmarketcap') return Math.ceil(limit / 100); // one credit per 100 listings
  return 0;
}

/** One call per tick: /simple/price for up to 250 ids, listings/latest for the top 100 (one credit). */
export const CALLS_PER_TICK = { coingecko: 1, coinmarketcap: 1, replay: 0 } as const;
export const COINS_PER_TICK = { coingecko: SIMPLE_PRICE_IDS, coinmarketcap: CMC_TICK_LIMIT } as const;

export type TLiveCadence = {
  /** Seconds between two live ticks: the slot unit of their seq. Infinity: the budget leaves none. */
  seconds: number;
  /**
   * The providers the ticks use, in fallback order: the primary, and each fallback whose own budget
   * affords the cadence (the others stay the syncs' fallback only).
   */
  providers: TProviderName[];
  /** Calls of each minute the ticker leaves to the syncs, per provider (the most one sync needs). */
  reserve: Partial<Record<TProviderName, number>>;
  /** What set the cadence, per provider: for the log and GET / (docs/offline-market.md, live ticks). */
  limits: {
    provider: TProviderName;
    per_minute: number;
    per_month: number | null;
    sync_calls_per_month: number;
    min_seconds: number;
  }[];
};

export type TBudgetConfig = Pick<
  TConfig,
  | 'TICK_INTERVAL_SECONDS'
  | 'COINGECKO_CALLS_PER_MINUTE'
  | 'COINGECKO_CALLS_PER_MONTH'
  | 'COINMARKETCAP_CALLS_PER_MINUTE'
  | 'COINMARKETCAP_CALLS_PER_MONTH'
>;

/**
 * The live ticker's cadence: TICK_INTERVAL_SECONDS, or slower when the primary provider's budget allows
 * no more after the syncs' share. A fallback provider takes ticks only when its own budget affords that
 * cadence too (else a long outage of the primary would spend the fallback's month on ticks). Per minute: the ticker makes at most (calls per minute − reserve) calls, leaving `reserve`
 * for the syncs (their calls wait for room; the ticker's never do). Per month: the syncs' calls of a
 * 31-day month come first; the ticker spreads what is left over the month.
 */
export function liveTickCadence(
  config: TBudgetConfig,
  providers: readonly TProviderName[],
  syncs: readonly TSyncCadence[],
): TLiveCadence {
  const limits: TLiveCadence['limits'] = [];
  const reserve: TLiveCadence['reserve'] = {};
  for (const provider of providers) {
    if (provider === 'replay') continue;
    const perMinute =
      provider === 'coingecko' ? config.COINGECKO_CALLS_PER_MINUTE : config.COINMARKETCAP_CALLS_PER_MINUTE;
    const perMonth =
      (provider === 'coingecko' ? config.COINGECKO_CALLS_PER_MONTH : config.COINMARKETCAP_CALLS_PER_MONTH) ??
      null;
    const syncReserve = Math.max(1, ...syncs.map((sync) => callsPerSync(provider, sync.limit)));
    reserve[provider] = syncReserve;
    const syncCallsPerMonth = Math.ceil(
      syncs.reduce(
        (sum, sync) => sum + cronRunsPerHour(sync.cron) * 24 * 31 * callsPerSync(provider, sync.limit),
        0,
      ),
    );
    const tickCalls = CALLS_PER_TICK[provider];
    const spareMinute = perMinute - syncReserve;
    const byMinute = spareMinute >= tickCalls ? (60 * tickCalls) / spareMinute : Infinity;
    const spareMonth = perMonth === null ? null : perMonth - syncCallsPerMonth;
    const byMonth =
      spareMonth === null ? 0 : spareMonth >= tickCalls ? (MONTH_SECONDS * tickCalls) / spareMonth : Infinity;
    limits.push({
      provider,
      per_minute: perMinute,
      per_month: perMonth,
      sync_calls_per_month: syncCallsPerMonth,
      min_seconds: Math.max(byMinute, byMonth),
    });
  }
  const primary = limits[0]?.min_seconds ?? Infinity;
  const seconds = Math.max(config.TICK_INTERVAL_SECONDS, primary);
  if (!Number.isFinite(seconds)) return { seconds: Infinity, providers: [], reserve, limits };
  const cadence = Math.ceil(seconds);
  return {
    seconds: cadence,
    providers: limits.filter((limit) => limit.min_seconds <= cadence).map((limit) => limit.provider),
    reserve,
    limits,
  };
}
