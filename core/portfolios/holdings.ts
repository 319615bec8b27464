import { allocate, dec, type Decimal, money, sum, ZERO } from './decimal.ts';
import type { TDisposal, TLedger } from './ledger.ts';
import { CASH } from './transaction.ts';

/** What GET …/holdings reports for one coin; amounts as exact decimal strings. */
export type THolding = {
  symbol: string;
  quantity: string;
  cost_basis: string;
  average_cost: string | null;
  price: string | null;
  market_value: string | null;
  unrealized_pnl: string | null;
  unrealized_pnl_pct: number | null;
  weight: number | null;
  lots: { id: string; acquired_at: string; quantity: string; cost_basis: string; unit_cost: string }[];
};

export type THoldings = {
  holdings: THolding[];
  cash: string | null;
  totals: {
    market_value: string;
    cost_basis: string;
    unrealized_pnl: string;
    value: string;
    /** Coins with no price to value them (they count as 0 in the totals). */
    unpriced: string[];
  };
};

/** Holdings from a ledger and the price of each coin (null: no price known). */
export function holdingsOf(
  ledger: TLedger,
  prices: ReadonlyMap<string, Decimal | null>,
  cashTracking: boolean,
): THoldings {
  const rows = [...ledger.lots].map(([symbol, lots]) => {
    const quantity = sum(lots.map((lot) => lot.quantity));
    const cost = sum(lots.map((lot) => lot.cost));
    const price = prices.get(symbol) ?? null;
    const value = price ? quantity.times(price) : null;
    return { symbol, lots, quantity, cost, price, value };
  });
  const cash = cashTracking ? ledger.cash : ZERO;
  const marketValue = sum(rows.map((row) => row.value ?? ZERO));
  const total = marketValue.plus(cash);
  const holdings = rows
    .sort((a, b) => (b.value ?? ZERO).comparedTo(a.value ?? ZERO) || a.symbol.localeCompare(b.symbol))
    .map((row): THolding => ({
      symbol: row.symbol,
      quantity: money(row.quantity),
      cost_basis: money(row.cost),
      average_cost: row.quantity.isZero() ? null : money(row.cost.div(row.quantity)),
      price: row.price ? money(row.price) : null,
      market_value: row.value ? money(row.value) : null,
      unrealized_pnl: row.value ? money(row.value.minus(row.cost)) : null,
      unrealized_pnl_pct:
        row.value && !row.cost.isZero() ? row.value.minus(row.cost).div(row.cost.abs()).toNumber() : null,
      weight: row.value && !total.isZero() ? row.value.div(total).toNumber() : null,
      lots: row.lots.map((lot) => ({
        id: lot.id,
        acquired_at: lot.opened_at.toISOString(),
        quantity: money(lot.quantity),
        cost_basis: money(lot.cost),
        unit_cost: money(lot.cost.div(lot.quantity)),
      })),
    }));
  const costBasis = sum(rows.map((row) => row.cost));
  const priced = sum(rows.filter((row) => row.value).map((row) => row.value!.minus(row.cost)));
  return {
    holdings,
    cash: cashTracking ? money(cash) : null,
    totals: {
      market_value: money(marketValue),
      cost_basis: money(costBasis),
      unrealized_pnl: money(priced),
      value: money(total),
      unpriced: rows.filter((row) => !row.price).map((row) => row.symbol),
    },
  };
}

export type TRealized = {
  disposals: {
    transaction_id: string;
    symbol: string;
    lot_id: string;
    acquired_at: string;
    disposed_at: string;
    quantity: string;
    cost: string;
    proceeds: string;
    gain: string;
    holding_days: number;
    short: boolean;
  }[];
  totals: {
    proceeds: string;
    cost: string;
    gain: string;
    by_symbol: Record<string, { proceeds: string; cost: string; gain: string }>;
  };
};

/** Disposals between `from` and `to` (inclusive, by disposal time) with totals per coin and overall. */
export function realizedOf(disposals: readonly TDisposal[], from?: Date, to?: Date): TRealized {
  const inRange = disposals.filter(
    (disposal) => (!from || disposal.disposed_at >= from) && (!to || disposal.disposed_at <= to),
  );
  const bySymbol = new Map<string, { proceeds: Decimal; cost: Decimal; gain: Decimal }>();
  for (const disposal of inRange) {
    const totals = bySymbol.get(disposal.symbol) ?? { proceeds: ZERO, cost: ZERO, gain: ZERO };
    bySymbol.set(disposal.symbol, {
      proceeds: totals.proceeds.plus(disposal.proceeds),
      cost: totals.cost.plus(disposal.cost),
      gain: totals.gain.plus(disposal.gain),
    });
  }
  const all = (pick: (d: TDisposal) => Decimal) => money(sum(inRange.map(pick)));
  return {
    disposals: inRange.map((disposal) => ({
      transaction_id: disposal.transaction_id,
      symbol: disposal.symbol,
      lot_id: disposal.lot_id,
      acquired_at: disposal.acquired_at.toISOString(),
      disposed_at: disposal.disposed_at.toISOString(),
      quantity: money(disposal.quantity),
      cost: money(disposal.cost),
      proceeds: money(disposal.proceeds),
      gain: money(disposal.gain),
      holding_days: disposal.holding_days,
      short: disposal.short,
    })),
    totals: {
      proceeds: all((d) => d.proceeds),
      cost: all((d) => d.cost),
      gain: all((d) => d.gain),
      by_symbol: Object.fromEntries(
        [...bySymbol]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([symbol, totals]) => [
            symbol,
            { proceeds: money(totals.proceeds), cost: money(totals.cost), gain: money(totals.gain) },
          ]),
      ),
    },
  };
}

export type TDriftRow = {
  symbol: string;
  current_weight: number;
  target_weight: number;
  drift: number;
  trade_quantity: string | null;
  trade_value: string;
};

/**
 * Current against target weights over the portfolio's value (coins at their prices, plus cash, as
 * `USD`), and the trade of each that restores its target: value = target × total − current value,
 * quantity = value ÷ price (null for cash). The trades add up to zero.
 */
export function driftOf(
  values: ReadonlyMap<string, { value: Decimal; price: Decimal | null }>,
  targets: ReadonlyMap<string, Decimal>,
): { total_value: string; rows: TDriftRow[] } {
  const total = sum([...values.values()].map((entry) => entry.value));
  const symbols = [...new Set([...values.keys(), ...targets.keys()])].sort();
  const wanted = allocate(
    total,
    symbols.map((symbol) => targets.get(symbol) ?? ZERO),
  );
  const targetSum = sum(targets.values());
  const rows = symbols.map((symbol, index) => {
    const current = values.get(symbol)?.value ?? ZERO;
    const price = values.get(symbol)?.price ?? null;
    const target = targets.get(symbol) ?? ZERO;
    // When no target has weight, nothing is to be bought: the pieces are all zero.
    const goal = targetSum.isZero() ? ZERO : wanted[index]!;
    const trade = goal.minus(current);
    const currentWeight = total.isZero() ? 0 : current.div(total).toNumber();
    return {
      symbol,
      current_weight: currentWeight,
      target_weight: target.toNumber(),
      drift: currentWeight - target.toNumber(),
      trade_quantity: symbol === CASH ? null : price && !price.isZero() ? money(trade.div(price)) : null,
      trade_value: money(trade),
    };
  });
  return { total_value: money(total), rows };
}

export const decimalOrNull = (value: string | null | undefined): Decimal | null =>
  value === null || value === undefined ? null : dec(value);
