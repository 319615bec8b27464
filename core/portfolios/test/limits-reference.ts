// The limits' pure functions exactly as they were before the pre-trade check kept its returns matrix
// (main at 7d1e3b8, core/portfolios/limits.ts): a Decimal weight turned into a float inside every date's
// sum, the shared dates found per call. Kept only as the reference the kept-matrix path is compared with
// (limits-paths.test.ts): the answers must match to the last digit.
import { historicalVar } from '../../risk/index.ts';
import { Decimal, dec, money, sum, ZERO } from '../decimal.ts';
import type {
  TCheck,
  TLimit,
  TLimitState,
  TLimitStatus,
  TLimitType,
  TMarketContext,
  TOrder,
  TPosition,
  TPositions,
} from '../limits.ts';
import { REJECT_CODES } from '../limits.ts';

const valueOf = (position: TPosition): Decimal =>
  position.price ? position.quantity.times(position.price) : ZERO;

function totalValue(positions: TPositions): Decimal {
  return sum([...positions.coins.values()].map(valueOf)).plus(positions.cash);
}

function weights(positions: TPositions): Map<string, Decimal> {
  const total = totalValue(positions);
  return new Map(
    [...positions.coins].map(([symbol, position]) => [
      symbol,
      total.isZero() ? ZERO : valueOf(position).div(total),
    ]),
  );
}

/** The one-day 95 % historical VaR of the positions' current weights; null with fewer than 30 shared days. */
export function portfolioVar95(positions: TPositions, context: TMarketContext): number | null {
  const held = [...weights(positions)].filter(([, weight]) => !weight.isZero());
  if (!held.length) return 0;
  const series = held.map(([symbol]) => context.returns.get(symbol));
  if (series.some((returns) => !returns)) return null;
  const dates = [...series[0]!.keys()].filter((date) => series.every((returns) => returns!.has(date)));
  if (dates.length < 30) return null;
  const combined = dates.map((date) =>
    held.reduce((total, [, weight], index) => total + weight.toNumber() * series[index]!.get(date)!, 0),
  );
  return historicalVar(combined, 0.95);
}

/** The measure a limit watches, for the positions as they are. */
export function measure(
  limit: Pick<TLimit, 'type' | 'symbol'>,
  positions: TPositions,
  context: TMarketContext,
) {
  const byWeight = weights(positions);
  const pick = (values: Map<string, Decimal>): Decimal =>
    limit.symbol
      ? (values.get(limit.symbol) ?? ZERO).abs()
      : [...values.values()].reduce((max, value) => Decimal.max(max, value.abs()), ZERO);
  switch (limit.type) {
    case 'max_position_weight':
      return pick(byWeight);
    case 'max_position_value':
      return pick(new Map([...positions.coins].map(([symbol, position]) => [symbol, valueOf(position)])));
    case 'max_hhi': {
      const gross = sum([...positions.coins.values()].map((position) => valueOf(position).abs()));
      if (gross.isZero()) return ZERO;
      return sum([...positions.coins.values()].map((position) => valueOf(position).abs().div(gross).pow(2)));
    }
    case 'min_cash_weight': {
      const total = totalValue(positions);
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
