/**
 * XIRR: the annual rate r with Σ amount_i / (1 + r)^(days_i / 365) = 0, Actual/365 from the first
 * flow. It is solved for the growth over the whole span, g = (1 + r)^(span / 365), so that a few days'
 * gain (an astronomic annual rate) and a near-total loss are found alike: the net present value is
 * sampled on a logarithmic grid of g from 1e-9 to 1e4, every sign change is narrowed by bisection to
 * machine precision, and the root nearest no growth is returned. `period` is g − 1; `rate` is null
 * when the annual figure is beyond floating point (a short span).
 */
export type TFlow = { date: string; amount: number };
export type TXirr =
  | { rate: number | null; period: number; reason: null }
  | { rate: null; period: null; reason: 'no_sign_change' | 'no_root' | 'too_few_flows' };

const DAY_MS = 86_400_000;
const GRID = 240;
const LOW = 1e-9;
const HIGH = 1e4;

export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

export function xirr(flows: readonly TFlow[]): TXirr {
  const used = flows.filter((flow) => flow.amount !== 0);
  if (used.length < 2) return { rate: null, period: null, reason: 'too_few_flows' };
  if (!used.some((flow) => flow.amount > 0) || !used.some((flow) => flow.amount < 0))
    return { rate: null, period: null, reason: 'no_sign_change' };
  const dates = used.map((flow) => flow.date).sort();
  const span = daysBetween(dates[0]!, dates.at(-1)!);
  if (span === 0) return { rate: null, period: null, reason: 'too_few_flows' };
  const fractions = used.map((flow) => daysBetween(dates[0]!, flow.date) / span);
  const amounts = used.map((flow) => flow.amount);
  // NPV as a function of the growth over the span, g = (1 + r)^(span / 365).
  const npv = (g: number) => {
    let total = 0;
    for (let index = 0; index < amounts.length; index += 1)
      total += amounts[index]! * g ** -fractions[index]!;
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
  if (!roots.length) return { rate: null, period: null, reason: 'no_root' };
  const growth = roots.reduce((best, g) => (Math.abs(Math.log(g)) < Math.abs(Math.log(best)) ? g : best));
  const annual = growth ** (365 / span) - 1;
  return { rate: Number.isFinite(annual) ? annual : null, period: growth - 1, reason: null };
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
