import type { TCoinUpsert } from '../market/market.writer.ts';
import {
  loadDailyHistory,
  loadSnapshot,
  MARKETS_SNAPSHOT,
  type TDailyPoint,
} from '../market-data/bundled.ts';
import { coinFromCoinGecko } from './coingecko.mapper.ts';
import { ZCoinGeckoMarkets } from './coingecko.schemas.ts';
import type { TProviderMetrics } from './provider-metrics.ts';
import type { TMarketDataProvider, TProviderPoint } from './provider.types.ts';

/** Each replay step advances the recorded market by one real day. */
export const REPLAY_STEP_MS = 5 * 60_000;
/** The continuous part of the bundled CoinGecko closes (data/market-data/coingecko-daily-2023-2025). */
const REPLAY_FIRST_DAY = '2023-08-12';
const REPLAY_LAST_DAY = '2025-06-08';
const DAY_MS = 86_400_000;

type TReplayData = {
  coins: TCoinUpsert[];
  closes: Map<string, Map<string, number>>;
  series: Map<string, TDailyPoint[]>;
};

const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
const pct = (now: number, then: number | undefined) => (then ? (now / then - 1) * 100 : null);

/**
 * Offline provider over the real CoinGecko data bundled in data/: the coins of the recorded top-100
 * snapshot, priced with the recorded daily closes of 2023-08-12 … 2025-06-08. The replay day follows
 * the clock (one recorded day per REPLAY_STEP_MS, looping), so successive syncs move prices like a live
 * feed, and the same `asOf` always gives the same numbers (idempotent jobs).
 */
export function createReplayProvider(
  options: { stepMs?: number; metrics?: TProviderMetrics } = {},
): TMarketDataProvider {
  const stepMs = options.stepMs ?? REPLAY_STEP_MS;
  const firstTime = Date.parse(`${REPLAY_FIRST_DAY}T00:00:00Z`);
  const days = Math.round((Date.parse(`${REPLAY_LAST_DAY}T00:00:00Z`) - firstTime) / DAY_MS) + 1;
  let data: Promise<TReplayData> | undefined;

  async function load(): Promise<TReplayData> {
    const markets = ZCoinGeckoMarkets.parse(await loadSnapshot(MARKETS_SNAPSHOT));
    const coins = markets.map(coinFromCoinGecko);
    const closes = new Map<string, Map<string, number>>();
    const series = new Map<string, TDailyPoint[]>();
    for (const coin of coins) {
      const points = await loadDailyHistory(coin.symbol);
      series.set(coin.symbol, points);
      const recent = points.filter((point) => point.date >= REPLAY_FIRST_DAY);
      if (recent.length) closes.set(coin.symbol, new Map(recent.map((point) => [point.date, point.close])));
    }
    return { coins, closes, series };
  }

  /** The recorded close on `day`, or the latest one before it (some days are missing in the data). */
  function closeOn(byDay: Map<string, number>, time: number): number | undefined {
    for (let back = 0; back < 7; back += 1) {
      const value = byDay.get(isoDay(time - back * DAY_MS));
      if (value !== undefined) return value;
    }
    return undefined;
  }

  return {
    name: 'replay',

    async fetchMarkets(limit, asOf) {
      // Counted like the HTTP providers, so dashboards show where the data came from.
      options.metrics?.requests.inc({ provider: 'replay', outcome: 'success' });
      const { coins, closes } = await (data ??= load());
      const step = Math.floor(asOf.getTime() / stepMs);
      const dayTime = firstTime + (((step % days) + days) % days) * DAY_MS;
      const replayed = coins.slice(0, limit).map((coin): TCoinUpsert => {
        const byDay = closes.get(coin.symbol);
        const price = byDay && closeOn(byDay, dayTime);
        if (!byDay || price === undefined) return { ...coin, last_updated: asOf.toISOString() };
        const yesterday = closeOn(byDay, dayTime - DAY_MS);
        const supply = coin.circulating_supply ?? null;
        return {
          ...coin,
          current_price: price,
          market_cap: supply !== null ? supply * price : coin.market_cap,
          fully_diluted_valuation: coin.max_supply ? coin.max_supply * price : coin.fully_diluted_valuation,
          high_24h: yesterday === undefined ? price : Math.max(price, yesterday),
          low_24h: yesterday === undefined ? price : Math.min(price, yesterday),
          price_change_24h: yesterday === undefined ? null : price - yesterday,
          price_change_percentage_1h: null,
          price_change_percentage_24h: pct(price, yesterday),
          price_change_percentage_7d: pct(price, closeOn(byDay, dayTime - 7 * DAY_MS)),
          price_change_percentage_30d: pct(price, closeOn(byDay, dayTime - 30 * DAY_MS)),
          ath_change_percentage: coin.ath ? pct(price, coin.ath) : null,
          last_updated: asOf.toISOString(),
        };
      });
      return { coins: replayed };
    },

    async fetchHistory(coin, days) {
      const { series } = await (data ??= load());
      const points = series.get(coin.symbol) ?? (await loadDailyHistory(coin.symbol));
      return points.slice(-days).map((point): TProviderPoint => ({
        timestamp: new Date(`${point.date}T00:00:00Z`),
        price: point.close,
        market_cap: point.market_cap,
        total_volume: point.volume,
      }));
    },
  };
}
