import type { TCoinUpsert } from '../coin.ts';
import { closeOn, loadRecording, recordedCoinUpsert } from './recording.ts';
import { DAY_MS, isExhausted, isoDay, recordedDayAt, servedAt, type TTimeline } from './timeline.ts';
import { ProviderError } from '../providers/provider-error.ts';
import type { TProviderMetrics } from '../providers/provider-metrics.ts';
import type { TMarketDataProvider, TProviderPoint } from '../providers/provider.types.ts';

export type TTimelineSource = () => Promise<TTimeline | null>;

/**
 * Offline provider over the bundled real CoinGecko recording, laid on this database's timeline
 * (docs/offline-market.md). At any time it serves the recorded close of the recorded day in effect,
 * so between two closes every sync sees the same price, and each UTC day brings the next recorded
 * day. Its coins' other market fields are derived from stored history after the sync writes
 * (`derived_from_history`). When the clock passes the end of the recording it fails: it never
 * makes up prices.
 */
export function createReplayProvider(options: {
  timeline: TTimelineSource;
  metrics?: TProviderMetrics;
}): TMarketDataProvider {
  async function currentTimeline(asOf: Date): Promise<TTimeline> {
    const timeline = await options.timeline();
    if (!timeline) {
      throw new ProviderError(
        'replay',
        'unsupported',
        'no offline timeline in this database: load the bundled data first (npm run seed)',
      );
    }
    if (isExhausted(timeline, asOf)) {
      throw new ProviderError(
        'replay',
        'exhausted',
        `the recording ended on ${timeline.recorded_last} (served ${isoDay(servedAt(timeline, timeline.recorded_last).getTime())}); ` +
          're-anchor it with npm run seed -- --reanchor',
      );
    }
    return timeline;
  }

  return {
    name: 'replay',

    async fetchMarkets(limit, asOf) {
      const timeline = await currentTimeline(asOf);
      // Counted like the HTTP providers, so dashboards show where the data came from.
      options.metrics?.requests.inc({ provider: 'replay', outcome: 'success' });
      const recording = await loadRecording();
      const day = recordedDayAt(timeline, asOf);
      const trading = recording.coins
        .map((coin) => ({ coin, close: closeOn(coin, day) }))
        .filter((entry) => entry.close !== undefined)
        .map(({ coin, close }) => ({
          coin,
          price: close!.close,
          cap: coin.circulating_supply === null ? null : coin.circulating_supply * close!.close,
        }))
        // Largest market cap first; coins whose supply the recording lacks after them.
        .sort((a, b) => (b.cap ?? -1) - (a.cap ?? -1) || a.coin.symbol.localeCompare(b.coin.symbol));
      const coins = trading.slice(0, limit).map(({ coin, price }): TCoinUpsert => ({
        ...recordedCoinUpsert(coin, timeline, day),
        current_price: price,
        last_updated: asOf.toISOString(),
      }));
      return { coins, derived_from_history: true };
    },

    async fetchHistory(coin, days, asOf) {
      const timeline = await currentTimeline(asOf);
      const recorded = (await loadRecording()).bySymbol.get(coin.symbol);
      if (!recorded) return [];
      const last = recordedDayAt(timeline, asOf);
      const first = isoDay(Date.parse(`${last}T00:00:00Z`) - (days - 1) * DAY_MS);
      return recorded.closes
        .filter((point) => point.date >= first && point.date <= last)
        .map((point): TProviderPoint => ({
          timestamp: servedAt(timeline, point.date),
          price: point.close,
          market_cap: point.market_cap,
          total_volume: point.volume,
        }));
    },
  };
}
