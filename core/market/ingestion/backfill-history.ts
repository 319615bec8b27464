import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AppError, ErrorCode } from '../../platform/errors/app-error.ts';
import { upsertHistory } from '../market.writer.ts';
import type { TProviderChain } from '../provider-chain.ts';
import { ProviderError } from '../providers/provider-error.ts';
import type { TProviderName } from '../providers/provider.types.ts';

export type TBackfillInput = {
  symbol?: string;
  top?: number;
  days: number;
  provider?: TProviderName;
  as_of: string;
};
export type TBackfillResult = {
  coins: number;
  history_points: number;
  days_requested: number;
  failed: string[];
  duration_ms: number;
};

/**
 * Fills price_history from the provider's market_chart for one symbol or the top N coins. Points are
 * snapped to their bucket by the provider and upserted, so a rerun changes nothing. Each coin commits on
 * its own: one coin's upstream error does not throw away the others' history.
 */
export async function backfillHistory(
  deps: {
    db: DataSource;
    providers: TProviderChain;
    logger: Logger;
    invalidateCache: () => Promise<unknown>;
    onProgress?: (done: number, total: number) => Promise<void>;
  },
  input: TBackfillInput,
): Promise<TBackfillResult> {
  const started = performance.now();
  const coins: { id: number; symbol: string; coingecko_id: string | null }[] = input.symbol
    ? await deps.db.query('SELECT id, symbol, coingecko_id FROM cryptocurrencies WHERE symbol = $1', [
        input.symbol.toUpperCase(),
      ])
    : await deps.db.query(
        'SELECT id, symbol, coingecko_id FROM cryptocurrencies ORDER BY market_cap DESC NULLS LAST, id LIMIT $1',
        [input.top ?? 50],
      );
  if (input.symbol && !coins.length) {
    throw new AppError(ErrorCode.NotFound, { detail: `No cryptocurrency with symbol "${input.symbol}".` });
  }
  const provider = deps.providers.historyProvider(input.provider);
  let written = 0;
  const failed: string[] = [];
  for (const [index, coin] of coins.entries()) {
    try {
      const points = await provider.fetchHistory(coin, input.days, new Date(input.as_of));
      written += await deps.db.transaction((manager) =>
        upsertHistory(
          manager,
          points.map((point) => ({ ...point, cryptocurrency_id: coin.id })),
        ),
      );
    } catch (error) {
      // A rate limit stops the whole backfill: every further call would be refused too. The job is
      // retried once the cooldown ends, and rewrites the coins already done to the same rows.
      if (error instanceof ProviderError && error.kind === 'rate_limited') throw error;
      failed.push(coin.symbol);
      deps.logger.warn({ err: error, symbol: coin.symbol }, 'backfill failed for one coin');
    }
    await deps.onProgress?.(index + 1, coins.length);
  }
  if (written) await deps.invalidateCache();
  if (failed.length === coins.length && coins.length) {
    throw new Error(`backfill failed for every coin (${failed.join(', ')})`);
  }
  return {
    coins: coins.length - failed.length,
    history_points: written,
    days_requested: input.days,
    failed,
    duration_ms: Math.round(performance.now() - started),
  };
}
