import type { TPriceReader } from '../market/index.ts';
import { returnsMatrix } from './returns-matrix.ts';

/** Year-long close series of a coin set kept per process (each ~2 MB for 50 coins). */
const CLOSES_MEMO_ENTRIES = 16;

export type TCloses = {
  raw: Map<string, { date: string; price: string }[]>;
  returns: Map<string, Map<string, number>>;
};

/**
 * The daily closes of a coin set over a range, their daily returns and the returns matrix the VaR is
 * computed on (returns-matrix.ts), for the limits. A year of closes of every held coin would be most of a
 * pre-trade check's time (a 50-coin portfolio: 18,000 points); the same set and range under the same
 * market data version reads the same rows, so under a version they are kept (every write of stored
 * prices bumps it); without one they are read every time.
 */
export function createClosesMemo(prices: TPriceReader) {
  const closesMemo = new Map<string, Promise<TCloses>>();
  async function readCloses(symbols: string[], from: string, to: string): Promise<TCloses> {
    const raw = await prices.dailyCloses(symbols, from, to);
    // Returns are statistics, computed in floating point as the risk engine does; amounts stay decimal.
    const returns = new Map(
      [...raw].map(([symbol, series]) => {
        const daily = new Map<string, number>();
        for (let index = 1; index < series.length; index += 1) {
          const previous = Number(series[index - 1]!.price);
          if (previous !== 0) daily.set(series[index]!.date, Number(series[index]!.price) / previous - 1);
        }
        return [symbol, daily];
      }),
    );
    returnsMatrix(returns); // built once with the entry, kept as long as it is
    return { raw, returns };
  }
  /** The closes under market data version `version` (read every time without one). */
  async function closesOf(symbols: string[], from: string, to: string, version?: string): Promise<TCloses> {
    if (version === undefined) return readCloses(symbols, from, to);
    const key = `${version}|${from}|${to}|${[...symbols].sort().join(',')}`;
    let found = closesMemo.get(key);
    if (!found) {
      found = readCloses(symbols, from, to);
      closesMemo.set(key, found);
      found.catch(() => closesMemo.delete(key));
      if (closesMemo.size > CLOSES_MEMO_ENTRIES) closesMemo.delete(closesMemo.keys().next().value!);
    }
    return found;
  }
  return closesOf;
}
