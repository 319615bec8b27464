/**
 * XIRR: the annual rate r with Σ amount_i / (1 + r)^(days_i / 365) = 0, Actual/365 from the first
 * flow. A bracketing solver: the net present value is sampled on a logarithmic grid of the growth
 * factor x = 1 + r from 1e-9 to 1e4 (a rate of -99.9999999 % to +999,900 %), every sign change is
 * narrowed by bisection to machine precision, and the root nearest 0 % is returned. Roots near -100 %,
 * which Newton's method started at +10 % misses, are found like any other.
 */
export type TFlow = { date: string; amount: number };
export type TXirr =
  { rate: number; reason: null } | { rate: null; reason: 'no_sign_change' | 'no_root' | 'too_few_flows' };

const DAY_MS = 86_400_000;
const GRID = 240;
const LOW = 1e-9;
const HIGH = 1e4;

export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

export function xirr(flows: readonly TFlow[]): TXirr {
  const used = flows.filter((flow) => flow.amount !== 0);
  if (used.length < 2) return { rate: null, reason: 'too_few_flows' };
  if (!used.some((flow) => flow.amount > 0) || !used.some((flow) => flow.amount < 0))
    return { rate: null, reason: 'no_sign_change' };
  const first = used.reduce((earliest, flow) => (flow.date < earliest ? flow.date : earliest), used[0]!.date);
  const years = used.map((flow) => daysBetween(first, flow.date) / 365);
  const amounts = used.map((flow) => flow.amount);
  // NPV as a function of the growth factor x = 1 + r.
  const npv = (x: number) => {
    let total = 0;
    for (let index = 0; index < amounts.length; index += 1) total += amounts[index]! * x ** -years[index]!;
    return total;
  };

  const roots: number[] = [];
  const step = Math.log(HIGH / LOW) / GRID;
  let previousX = LOW;
  let previous = npv(previousX);
  for (let index = 1; index <= GRID; index += 1) {
    const x = LOW * Math.exp(step * index);
    const value = npv(x);
    if (value === 0) roots.push(x);
    else if (
      Number.isFinite(previous) &&
      Number.isFinite(value) &&
      Math.sign(value) !== Math.sign(previous) &&
      previous !== 0
    )
      roots.push(bisect(npv, previousX, x, previous));
    previousX = x;
    previous = value;
  }
  if (!roots.length) return { rate: null, reason: 'no_root' };
  const rates = roots.map((x) => x - 1);
  return {
    rate: rates.reduce((best, rate) => (Math.abs(rate) < Math.abs(best) ? rate : best)),
    reason: null,
  };
}

function bisect(f: (x: number) => number, low: number, high: number, fLow: number): number {
  let a = low;
  let b = high;
  let fa = fLow;
  for (let iteration = 0; iteration < 200; iteration += 1) {
    const middle = (a + b) / 2;
    if (middle === a || middle === b) break;
    const value = f(middle);
    if (value === 0) return middle;
    if (Math.sign(value) === Math.sign(fa)) {
      a = middle;
      fa = value;
    } else {
      b = middle;
    }
  }
  return (a + b) / 2;
}
