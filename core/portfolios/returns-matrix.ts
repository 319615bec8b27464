import { percentile } from '../risk/index.ts';

/**
 * The daily returns of a coin set as a matrix, built once per set of returns (the closes memo keeps the
 * returns of a coin set and day per market data version, and this matrix with them), so the VaR of a
 * weight vector is a matrix-vector product over the shared dates and a selection, not a walk of date
 * maps. Every float operation is the one the per-date sum made, in the same order: the answers are the
 * same to the last bit.
 */
export type TReturnsMatrix = {
  /** Row of each coin. */
  row: ReadonlyMap<string, number>;
  /** Per coin, its returns on the date axis (0 where it has none). */
  values: readonly Float64Array[];
  /** Per coin, 1 where it has a return on the date. */
  present: readonly Uint8Array[];
  /** Per coin, the axis positions of its dates in the order its returns list them. */
  order: readonly Int32Array[];
};

const kept = new WeakMap<ReadonlyMap<string, ReadonlyMap<string, number>>, TReturnsMatrix>();

/** The matrix of `returns` (symbol → date → return), built on first use and kept as long as `returns` is. */
export function returnsMatrix(returns: ReadonlyMap<string, ReadonlyMap<string, number>>): TReturnsMatrix {
  const known = kept.get(returns);
  if (known) return known;
  const axis = new Map<string, number>();
  for (const daily of returns.values())
    for (const date of daily.keys()) if (!axis.has(date)) axis.set(date, axis.size);
  const row = new Map<string, number>();
  const values: Float64Array[] = [];
  const present: Uint8Array[] = [];
  const order: Int32Array[] = [];
  for (const [symbol, daily] of returns) {
    const coinValues = new Float64Array(axis.size);
    const coinPresent = new Uint8Array(axis.size);
    const coinOrder = new Int32Array(daily.size);
    let next = 0;
    for (const [date, value] of daily) {
      const at = axis.get(date)!;
      coinValues[at] = value;
      coinPresent[at] = 1;
      coinOrder[next++] = at;
    }
    row.set(symbol, values.length);
    values.push(coinValues);
    present.push(coinPresent);
    order.push(coinOrder);
  }
  const matrix = { row, values, present, order };
  kept.set(returns, matrix);
  return matrix;
}

/**
 * The portfolio's daily returns: for every date the first coin has and every other coin has too (in
 * the first coin's order), Σ weight × return, summed from 0 in the coins' order. null when a coin has no
 * returns.
 */
export function weightedReturns(
  matrix: TReturnsMatrix,
  coins: readonly { symbol: string; weight: number }[],
): Float64Array | null {
  const rows: number[] = [];
  for (const coin of coins) {
    const index = matrix.row.get(coin.symbol);
    if (index === undefined) return null;
    rows.push(index);
  }
  const present = rows.map((index) => matrix.present[index]!);
  const dates: number[] = [];
  for (const at of matrix.order[rows[0]!]!) if (present.every((has) => has[at] === 1)) dates.push(at);
  const combined = new Float64Array(dates.length);
  for (const [position, index] of rows.entries()) {
    const weight = coins[position]!.weight;
    const column = matrix.values[index]!;
    for (let day = 0; day < dates.length; day += 1)
      combined[day] = combined[day]! + weight * column[dates[day]!]!;
  }
  return combined;
}

/** The k-th smallest of `values` (0-based), rearranging them (Hoare's selection). */
function select(values: Float64Array, k: number): number {
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    const pivot = values[(low + high) >>> 1]!;
    let left = low;
    let right = high;
    while (left <= right) {
      while (values[left]! < pivot) left += 1;
      while (values[right]! > pivot) right -= 1;
      if (left <= right) {
        const swap = values[left]!;
        values[left] = values[right]!;
        values[right] = swap;
        left += 1;
        right -= 1;
      }
    }
    if (k <= right) high = right;
    else if (k >= left) low = left;
    else return values[k]!;
  }
  return values[k]!;
}

/**
 * numpy.percentile (linear interpolation) of `values` by selection instead of a sort: the two order
 * statistics it interpolates between are the ones the sorted array has, so the answer is the risk
 * engine's `percentile` exactly (a zero's sign cannot reach it). With a NaN or an infinity among the
 * values it is that sort. `values` is rearranged.
 */
export function selectedPercentile(values: Float64Array, p: number): number {
  for (const value of values) if (!Number.isFinite(value)) return percentile([...values], p);
  const position = ((values.length - 1) * p) / 100;
  const lower = Math.floor(position);
  const low = select(values, lower);
  let high = low;
  if (lower + 1 < values.length) {
    high = values[lower + 1]!;
    for (let index = lower + 2; index < values.length; index += 1) high = Math.min(high, values[index]!);
  }
  return low + (position - lower) * (high - low);
}
