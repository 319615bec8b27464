import type { DataSource } from 'typeorm';
import type { TProviderName } from '../providers/provider.types.ts';
import { readTimeline } from './timeline.repository.ts';
import { describeTimeline, type TTimeline } from './timeline.ts';

export type TMarketSource = {
  provider: TProviderName;
  description: string;
  status: 'live' | 'replaying' | 'exhausted' | 'not_loaded' | 'unknown';
  recorded_first?: string;
  recorded_last?: string;
  shift_days?: number;
  recorded_day_now?: string;
  replay_ends?: string;
  anchored_at?: string;
};

const LIVE: Record<Exclude<TProviderName, 'replay'>, string> = {
  coingecko: 'live CoinGecko API (CoinMarketCap as fallback when configured)',
  coinmarketcap: 'live CoinMarketCap API',
};

/**
 * Where this deployment's market data comes from, for GET / and /health: a live provider, or the
 * offline replay with its timeline (read from the database, at most once a minute).
 */
export function createMarketSource(deps: { db: DataSource; provider: TProviderName; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  let cached: { at: number; timeline: TTimeline | null } | undefined;

  return async function describe(): Promise<TMarketSource> {
    const { provider } = deps;
    if (provider !== 'replay') return { provider, description: LIVE[provider], status: 'live' };
    try {
      if (!cached || Date.now() - cached.at > 60_000) {
        cached = { at: Date.now(), timeline: await readTimeline(deps.db) };
      }
    } catch {
      return { provider, description: 'replay of the bundled CoinGecko recording', status: 'unknown' };
    }
    if (!cached.timeline) {
      return {
        provider,
        description: 'replay: the bundled data is not loaded (npm run seed)',
        status: 'not_loaded',
      };
    }
    return describeTimeline(cached.timeline, now());
  };
}
