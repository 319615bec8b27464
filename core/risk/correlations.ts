import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TDeadline } from '../platform/deadline.ts';
import { align, correlation, simpleReturns } from './risk-math.ts';
import type { TRiskRepository } from './risk.repository.ts';
import { MIN_RETURNS, windowDates } from './risk-window.ts';

/** Pearson correlations of daily returns on the dates every symbol has (closes of all symbols in one query). */
export function createCorrelations(deps: { risk: TRiskRepository; now: () => Date }) {
  const { risk } = deps;
  return async function correlations(symbols: string[], window: number, to?: Date, deadline?: TDeadline) {
    const ids = new Map((await risk.coinsBySymbol(symbols)).map((coin) => [coin.symbol, coin.id]));
    const unknown = symbols.filter((symbol) => !ids.has(symbol));
    if (unknown.length) {
      throw new AppError(ErrorCode.NotFound, {
        detail: `No cryptocurrency with symbol ${unknown.map((symbol) => `"${symbol}"`).join(', ')}.`,
        extensions: { unknown_symbols: unknown },
      });
    }
    const dates = windowDates(window, to ?? deps.now());
    const closes = await risk.dailyClosesOf([...ids.values()], dates.from, dates.to, deadline);
    const series = symbols.map((symbol) => simpleReturns(closes.get(ids.get(symbol)!)?.closes ?? []));
    const short = symbols.filter((_, index) => series[index]!.length < MIN_RETURNS);
    if (short.length) {
      throw new AppError(ErrorCode.InsufficientHistory, {
        detail: `insufficient history: fewer than ${MIN_RETURNS} daily returns between ${dates.from} and ${dates.to} for ${short.join(', ')}.`,
        extensions: { symbols: short, required: MIN_RETURNS },
      });
    }
    const shared = series.reduce<Set<string>>(
      (common, returns) => new Set(returns.map((point) => point.date).filter((date) => common.has(date))),
      new Set(series[0]!.map((point) => point.date)),
    );
    const onShared = series.map((returns) => returns.filter((point) => shared.has(point.date)));
    if (shared.size < MIN_RETURNS) {
      throw new AppError(ErrorCode.InsufficientHistory, {
        detail: `insufficient history: the symbols share only ${shared.size} daily returns; at least ${MIN_RETURNS} are needed.`,
        extensions: { observations: shared.size, required: MIN_RETURNS },
      });
    }
    const matrix = onShared.map((a, i) =>
      onShared.map((b, j) => (i === j ? 1 : correlation(...align(a, b)))),
    );
    return { symbols, window_days: window, ...dates, observations: shared.size, matrix };
  };
}
