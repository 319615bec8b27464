import type { DataSource } from 'typeorm';
import { deriveMarketFields, upsertCoins, upsertHistory, type THistoryInsert } from '../market.writer.ts';
import { loadCategories } from './bundled.ts';
import { indexOnOrBefore, loadRecording, recordedCoinUpsert } from './recording.ts';
import { readTimeline, saveTimeline } from './timeline.repository.ts';
import { anchorTimeline, DAY_MS, isoDay, recordedDayAt, servedAt, type TTimeline } from './timeline.ts';

export type TSeedOptions = {
  /** Only these symbols (default: every bundled coin). */
  symbols?: string[];
  /**
   * 'all' (default): every recorded day up to today. 'month': only the last 31 days, which is what the
   * market fields are derived from (faster, for tests that do not read long history).
   */
  history?: 'all' | 'month';
  /** The clock (default: now). */
  now?: Date;
  /**
   * 'keep' (default): this database's timeline, or a new one anchored at `now` when it has none.
   * 'reanchor': a new timeline anchored at `now`; stored history is replaced. `{ shift_days }`: a fixed
   * shift (tests use 0 to work on the recorded dates).
   */
  timeline?: 'keep' | 'reanchor' | { shift_days: number };
};

export type TSeedResult = {
  coins: number;
  history_points: number;
  categories: number;
  timeline: TTimeline;
};

/**
 * Loads the bundled real CoinGecko recording onto this database's timeline (docs/offline-market.md):
 * each coin's recorded closes up to today (its history, dates shifted), its description, and market
 * fields derived from that history. Idempotent: running it again writes the same rows, plus the
 * recorded days that have become "today" since.
 */
export async function seedBundledData(db: DataSource, options: TSeedOptions = {}): Promise<TSeedResult> {
  const now = options.now ?? new Date();
  const recording = await loadRecording();
  const categories = await loadCategories();
  const wanted = options.symbols ? new Set(options.symbols.map((symbol) => symbol.toUpperCase())) : null;
  const mode = options.timeline ?? 'keep';

  return db.transaction(async (manager) => {
    const stored = await readTimeline(manager);
    const timeline: TTimeline =
      typeof mode === 'object'
        ? { ...anchorTimeline(now, recording), shift_days: mode.shift_days }
        : mode === 'keep' && stored
          ? stored
          : anchorTimeline(now, recording);
    if (mode === 'reanchor' || (stored && stored.shift_days !== timeline.shift_days)) {
      // History laid on another shift would sit beside this one at other dates.
      await manager.query('TRUNCATE price_history, risk_metrics');
    }
    const today = recordedDayAt(timeline, now);
    const firstDay =
      options.history === 'month' ? isoDay(Date.parse(`${today}T00:00:00Z`) - 31 * DAY_MS) : '';
    const selected = recording.coins.filter(
      (coin) => (!wanted || wanted.has(coin.symbol)) && indexOnOrBefore(coin, today) >= 0,
    );

    await manager.query(
      `INSERT INTO categories (slug, name) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, updated_at = now()`,
      [categories.map((c) => c.slug), categories.map((c) => c.name)],
    );
    const ids = await upsertCoins(
      manager,
      selected.map((coin) => recordedCoinUpsert(coin, timeline, today)),
    );
    const newest = await newestPoints(manager, [...ids.values()]);
    const points: THistoryInsert[] = [];
    for (const coin of selected) {
      const id = ids.get(coin.symbol)!;
      const after = newest.get(id) ?? -Infinity;
      for (const close of coin.closes) {
        if (close.date > today) break;
        if (close.date < firstDay) continue;
        const timestamp = servedAt(timeline, close.date);
        // Recorded days already stored are left alone: a re-run only adds the days that came since.
        if (timestamp.getTime() <= after) continue;
        points.push({
          cryptocurrency_id: id,
          timestamp,
          price: close.close,
          market_cap: close.market_cap,
          total_volume: close.volume,
        });
      }
    }
    const written = await upsertHistory(manager, points);
    // Every stored coin, not only the ones loaded now: ranks are over the whole market, and a coin the
    // recording does not describe (left by an older version, say) must not keep old market fields.
    const all: { id: number }[] = await manager.query('SELECT id FROM cryptocurrencies');
    await deriveMarketFields(
      manager,
      all.map((row) => row.id),
      now,
    );
    await saveTimeline(manager, timeline);
    return { coins: ids.size, history_points: written, categories: categories.length, timeline };
  });
}

async function newestPoints(manager: Pick<DataSource, 'query'>, ids: number[]): Promise<Map<number, number>> {
  const rows: { id: number; newest: Date }[] = await manager.query(
    `SELECT c.id, p."timestamp" AS newest FROM unnest($1::integer[]) AS c(id)
     CROSS JOIN LATERAL (SELECT "timestamp" FROM price_history h WHERE h.cryptocurrency_id = c.id AND h.kind = 'market'
                         ORDER BY "timestamp" DESC LIMIT 1) p`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row.newest.getTime()]));
}
