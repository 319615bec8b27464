import { Decimal, dec, money, sum, ZERO } from './decimal.ts';
import { returnsMatrix, selectedPercentile, weightedReturns } from './returns-matrix.ts';

/**
 * Portfolio limits and the pre-trade check, as pure functions of a portfolio's positions. Every
 * measure is a decimal string in answers; weights are of the portfolio's value (coins at market plus
 * cash); VaR is the one-day 95 % historical VaR of the portfolio as it stands (its current weights over
 * the coins' aligned daily returns, the risk engine's numpy-percentile convention); drawdown is the
 * current fall of the portfolio's TWR index from its high over the risk window.
 */
export const LIMIT_TYPES = [
  'max_position_weight',
  'max_position_value',
  'max_var_95',
  'max_drawdown',
  'max_hhi',
  'min_cash_weight',
] as const;
export type TLimitType = (typeof LIMIT_TYPES)[number];

/** Limits that may name a coin (without one they apply to every coin: the largest counts). */
export const PER_COIN_LIMITS: readonly TLimitType[] = ['max_position_weight', 'max_position_value'];

export type TLimit = { id: string; type: TLimitType; symbol: string | null; value: string; hard: boolean };
export type TLimitState = 'ok' | 'warning' | 'breached';

export type TPosition = { quantity: Decimal; price: Decimal | null };
export type TPositions = {
  coins: ReadonlyMap<string, TPosition>;
  cash: Decimal;
};

/** What the measures need beyond positions: daily simple returns per coin on shared dates, and the drawdown. */
export type TMarketContext = {
  /** Each coin's daily returns, date → return. */
  returns: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** null when no drawdown limit asked for it, or the portfolio has too little history. */
  drawdown: number | null;
};

export const REJECT_CODES = {
  max_position_weight: 'POSITION_WEIGHT_EXCEEDS_MAX',
  max_position_value: 'POSITION_VALUE_EXCEEDS_MAX',
  max_var_95: 'VAR_EXCEEDS_MAX',
  max_drawdown: 'DRAWDOWN_EXCEEDS_MAX',
  max_hhi: 'CONCENTRATION_EXCEEDS_MAX',
  min_cash_weight: 'CASH_BELOW_MIN',
} as const satisfies Record<TLimitType, string>;

const valueOf = (position: TPosition): Decimal =>
  position.price ? position.quantity.times(position.price) : ZERO;

type TValuation = {
  /** Each coin's market value (0 without a price), in the positions' order. */
  values: Map<string, Decimal>;
  /** Coins at market plus cash. */
  total: Decimal;
  /** Each coin's weight of the total (0 when the total is). */
  weights: Map<string, Decimal>;
};

// Positions are values: never changed once made, so what every limit's measure needs of them is worked
// out once per positions (a pre-trade check measures each side once per limit).
const valuations = new WeakMap<TPositions, TValuation>();

function valuationOf(positions: TPositions): TValuation {
  const known = valuations.get(positions);
  if (known) return known;
  const values = new Map([...positions.coins].map(([symbol, position]) => [symbol, valueOf(position)]));
  const total = sum(values.values()).plus(positions.cash);
  const weights = new Map(
    [...values].map(([symbol, value]) => [symbol, total.isZero() ? ZERO : value.div(total)]),
  );
  const valuation = { values, total, weights };
  valuations.set(positions, valuation);
  return valuation;
}

/**
 * The one-day 95 % historical VaR of the positions' current weights; null with fewer than 30 shared days.
 * The coins' returns matrix is kept with their returns (returns-matrix.ts): the VaR is a matrix-vector
 * product over the dates every held coin has and a selection of the 5th percentile.
 */
export function portfolioVar95(positions: TPositions, context: TMarketContext): number | null {
  const held = [...valuationOf(positions).weights]
    .filter(([, weight]) => !weight.isZero())
    .map(([symbol, weight]) => ({ symbol, weight: weight.toNumber() }));
  if (!held.length) return 0;
  const combined = weightedReturns(returnsMatrix(context.returns), held);
  if (!combined || combined.length < 30) return null;
  // historicalVar(combined, 0.95) of the risk engine, the percentile by selection.
  return 0 - selectedPercentile(combined, 100 * (1 - 0.95));
}

/** The measure a limit watches, for the positions as they are. */
export function measure(
  limit: Pick<TLimit, 'type' | 'symbol'>,
  positions: TPositions,
  context: TMarketContext,
) {
  const valuation = valuationOf(positions);
  const pick = (values: Map<string, Decimal>): Decimal =>
    limit.symbol
      ? (values.get(limit.symbol) ?? ZERO).abs()
      : [...values.values()].reduce((max, value) => Decimal.max(max, value.abs()), ZERO);
  switch (limit.type) {
    case 'max_position_weight':
      return pick(valuation.weights);
    case 'max_position_value':
      return pick(valuation.values);
    case 'max_hhi': {
      const gross = sum([...valuation.values.values()].map((value) => value.abs()));
      if (gross.isZero()) return ZERO;
      return sum([...valuation.values.values()].map((value) => value.abs().div(gross).pow(2)));
    }
    case 'min_cash_weight': {
      const { total } = valuation;
      return total.isZero() ? ZERO : positions.cash.div(total);
    }
    case 'max_var_95': {
      const value = portfolioVar95(positions, context);
      return value === null ? null : dec(value);
    }
    case 'max_drawdown':
      return context.drawdown === null ? null : dec(context.drawdown);
  }
}

const isMinimum = (type: TLimitType) => type === 'min_cash_weight';

/** Within the limit: at most the threshold for a maximum, at least it for a minimum. */
function within(type: TLimitType, value: Decimal, threshold: Decimal): boolean {
  return isMinimum(type) ? value.gte(threshold) : value.lte(threshold);
}

export type TLimitStatus = TLimit & {
  current: string | null;
  headroom: string | null;
  state: TLimitState;
  /** Why there is no current value (too little shared history for VaR or drawdown). */
  reason: string | null;
};

/** Each limit with its current value, the room left before it, and its state (a hard limit beyond: breached; a soft one: warning). */
export function limitStatus(
  limits: readonly TLimit[],
  positions: TPositions,
  context: TMarketContext,
): TLimitStatus[] {
  return limits.map((limit) => {
    const value = measure(limit, positions, context);
    const threshold = dec(limit.value);
    if (value === null)
      return { ...limit, current: null, headroom: null, state: 'ok', reason: 'insufficient_history' };
    const headroom = isMinimum(limit.type) ? value.minus(threshold) : threshold.minus(value);
    const state: TLimitState = within(limit.type, value, threshold)
      ? 'ok'
      : limit.hard
        ? 'breached'
        : 'warning';
    return { ...limit, current: money(value), headroom: money(headroom), state, reason: null };
  });
}

export type TOrder = {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: Decimal;
  price: Decimal;
  fee: Decimal;
};

export type TCheckCode = 'INSUFFICIENT_QUANTITY' | 'INSUFFICIENT_CASH' | (typeof REJECT_CODES)[TLimitType];

export type TCheck = {
  code: TCheckCode;
  limit: TLimit | null;
  current: string | null;
  after: string | null;
  threshold: string | null;
  passed: boolean;
  /** A failed soft limit warns; a failed hard limit or balance check blocks. */
  blocking: boolean;
};

/**
 * What the positions would be after the order, and every check on them (none short-circuits, so the
 * caller sees every breach). A limit passes when the order leaves it within its threshold, or does not
 * move it further beyond (an order that reduces a breach is allowed). Balance checks come first: a sell
 * of more than is held (unless the portfolio allows negative positions) and, with cash tracking, a buy
 * costing more than the cash.
 */
export function preTradeCheck(input: {
  positions: TPositions;
  order: TOrder;
  limits: readonly TLimit[];
  context: TMarketContext;
  cashTracking: boolean;
  allowNegative: boolean;
}) {
  const { positions, order, context } = input;
  const held = positions.coins.get(order.symbol) ?? { quantity: ZERO, price: order.price };
  const signed = order.side === 'buy' ? order.quantity : order.quantity.neg();
  const quantityAfter = held.quantity.plus(signed);
  const gross = order.quantity.times(order.price);
  const cashAfter = input.cashTracking
    ? order.side === 'buy'
      ? positions.cash.minus(gross).minus(order.fee)
      : positions.cash.plus(gross).minus(order.fee)
    : positions.cash;
  const after: TPositions = {
    coins: new Map([
      ...positions.coins,
      [order.symbol, { quantity: quantityAfter, price: held.price ?? order.price }],
    ]),
    cash: cashAfter,
  };

  const checks: TCheck[] = [];
  if (order.side === 'sell' && !input.allowNegative) {
    checks.push({
      code: 'INSUFFICIENT_QUANTITY',
      limit: null,
      current: money(held.quantity),
      after: money(quantityAfter),
      threshold: '0',
      passed: quantityAfter.gte(0),
      blocking: true,
    });
  }
  if (order.side === 'buy' && input.cashTracking) {
    checks.push({
      code: 'INSUFFICIENT_CASH',
      limit: null,
      current: money(positions.cash),
      after: money(cashAfter),
      threshold: '0',
      passed: cashAfter.gte(0),
      blocking: true,
    });
  }
  for (const limit of input.limits) {
    const threshold = dec(limit.value);
    const now = measure(limit, positions, context);
    const then = measure(limit, after, context);
    // A drawdown in breach stops orders that add exposure (buys) and lets sells through.
    const next = limit.type === 'max_drawdown' && order.side === 'sell' ? null : then;
    const passed =
      next === null ||
      within(limit.type, next, threshold) ||
      (now !== null &&
        (isMinimum(limit.type) ? next.gte(now) : next.lte(now)) &&
        limit.type !== 'max_drawdown');
    checks.push({
      code: REJECT_CODES[limit.type],
      limit,
      current: now === null ? null : money(now),
      after: then === null ? null : money(then),
      threshold: limit.value,
      passed,
      blocking: limit.hard,
    });
  }
  const blocked = checks.some((check) => !check.passed && check.blocking);
  const warned = checks.some((check) => !check.passed && !check.blocking);
  return {
    allowed: !blocked,
    decision: blocked ? ('deny' as const) : warned ? ('warn' as const) : ('allow' as const),
    checks,
    after,
  };
}
