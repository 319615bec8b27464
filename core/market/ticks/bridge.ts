import { createHash } from 'node:crypto';

/**
 * The offline market's intraday path (issue #24): between one recorded daily close and the next, the
 * price follows a Brownian bridge in log price, built by Lévy's midpoint construction. The value at any
 * instant needs only the normals of the dyadic midpoints above it (BRIDGE_DEPTH of them), and each
 * normal is drawn from a hash of (coin, recorded day, level, index): the same coin and day give the same
 * path on every replica and after every restart, whatever the tick interval, without keeping state.
 * Below the finest level (86,400 s / 2^16 ≈ 1.3 s) the path is linear. The bridge is pinned at both
 * ends, so at the day boundary the price is exactly the recorded close, and the daily history, risk
 * figures and portfolios stay what the recording says.
 */
export const BRIDGE_DEPTH = 16;

/** Daily closes used to estimate a coin's daily volatility (the standard deviation of log returns). */
export const VOLATILITY_WINDOW_DAYS = 30;
/** Used when the recording has too few closes before the day to estimate one. */
export const DEFAULT_DAILY_VOLATILITY = 0.03;
/** A cap, so that a recording glitch (a 10x day) does not make a path that wanders off absurdly. */
export const MAX_DAILY_VOLATILITY = 0.5;

/** A standard normal from a hash of the key (Box–Muller on two 48-bit uniforms). */
export function seededNormal(key: string): number {
  const digest = createHash('sha256').update(key).digest();
  const u1 = (digest.readUIntBE(0, 6) + 1) / (2 ** 48 + 1); // (0, 1): never log(0)
  const u2 = digest.readUIntBE(6, 6) / 2 ** 48;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** The daily volatility of log returns over `closes` (oldest first), within sane bounds. */
export function dailyVolatility(closes: readonly number[]): number {
  const returns: number[] = [];
  for (let index = 1; index < closes.length; index += 1) {
    const [before, after] = [closes[index - 1]!, closes[index]!];
    if (before > 0 && after > 0) returns.push(Math.log(after / before));
  }
  if (returns.length < 5) return DEFAULT_DAILY_VOLATILITY;
  const mean = returns.reduce((sum, value) => sum + value, 0) / returns.length;
  const variance = returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (returns.length - 1);
  return Math.min(Math.max(Math.sqrt(variance), 1e-4), MAX_DAILY_VOLATILITY);
}

export type TBridge = {
  /** The path's seed: the coin and the recorded day it starts from. */
  symbol: string;
  day: string;
  /** The recorded close at the start (fraction 0) and at the end (fraction 1) of the day. */
  from: number;
  to: number;
  /** Daily volatility of log price: the bridge's standard deviation at mid-day is volatility / 2. */
  volatility: number;
};

/**
 * The price at `fraction` (0..1) of the day. Exactly `from` at 0 and exactly `to` at 1; between them the
 * log price's deviation from the straight line has variance volatility² · f · (1 − f).
 */
export function bridgePrice(bridge: TBridge, fraction: number): number {
  if (fraction <= 0) return bridge.from;
  if (fraction >= 1) return bridge.to;
  const sigma = bridge.volatility;
  let [left, right] = [0, 1];
  let [leftValue, rightValue] = [Math.log(bridge.from), Math.log(bridge.to)];
  let index = 0;
  for (let level = 0; level < BRIDGE_DEPTH; level += 1) {
    const middle = (left + right) / 2;
    // Given both ends, the midpoint of a Brownian bridge over a span s is their mean plus N(0, s/4).
    const noise = seededNormal(`${bridge.symbol}:${bridge.day}:${level}:${index}`);
    const middleValue = (leftValue + rightValue) / 2 + sigma * Math.sqrt((right - left) / 4) * noise;
    if (fraction < middle) {
      [right, rightValue] = [middle, middleValue];
      index = 2 * index;
    } else {
      [left, leftValue] = [middle, middleValue];
      index = 2 * index + 1;
    }
  }
  const weight = (fraction - left) / (right - left);
  return Math.exp(leftValue + (rightValue - leftValue) * weight);
}
