import type { DataSource } from 'typeorm';
import { createPriceReader } from '../market/index.ts';
import type { TActor } from '../platform/access/index.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { dec, type Decimal, money, sum, ZERO } from './decimal.ts';
import { decimalOrNull } from './holdings.ts';
import { CASH } from './transaction.ts';
import { createClosesMemo } from './closes-memo.ts';
import {
  limitStatus,
  PER_COIN_LIMITS,
  preTradeCheck,
  type TLimit,
  type TLimitType,
  type TMarketContext,
  type TPositions,
} from './limits.ts';
import { addDays, dailyTwr, dailyValues, decimalCloses, isoDay } from './performance.ts';
import { allTransactions, type TPortfolioRecord } from './portfolios.repository.ts';
import { readLimits, replaceLimits } from './targets.repository.ts';
import { ledgerOf, toLedgerTransaction } from './ledger-of.ts';
import type { TPortfoliosService } from './portfolios.service.ts';

/** The window VaR and drawdown look back over: the risk engine's default. */
const RISK_WINDOW = 365;
const MAX_LIMITS = 50;
const MEMO_ENTRIES = 1000;
const FRACTION_LIMITS: readonly TLimitType[] = [
  'max_position_weight',
  'max_var_95',
  'max_drawdown',
  'max_hhi',
  'min_cash_weight',
];

export type TLimitInput = { type: TLimitType; symbol?: string | null; value: string; hard: boolean };
export type TPreTradeOrder = {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: string;
  price?: string | null;
  fee?: string;
};

const unprocessable = (detail: string, extensions: Record<string, unknown>) =>
  new AppError(ErrorCode.Unprocessable, { detail, extensions });

export type TLimitsService = ReturnType<typeof createLimitsService>;

/**
 * A portfolio's limits, their status and the pre-trade check. Access and locking come from the
 * portfolios service (owner only, 404 for others); the measures are the pure functions of limits.ts
 * on the portfolio's ledger at current prices.
 */
export function createLimitsService(deps: {
  db: DataSource;
  portfolios: TPortfoliosService;
  now?: () => Date;
  /** LIMITS_PER_PORTFOLIO (at most the 50 the API takes). */
  maxLimits?: number;
  /**
   * The market data version (bumped by every write of stored prices). With it, the daily closes and
   * returns a check reads are kept per version and coin set; without it they are read every time.
   */
  marketVersion?: () => Promise<string>;
}) {
  const { db, portfolios } = deps;
  const maxLimits = deps.maxLimits ?? MAX_LIMITS;
  const now = deps.now ?? (() => new Date());
  const prices = createPriceReader(db);

  // Quantities held after the whole ledger, per portfolio revision (every write bumps it), so a
  // pre-trade check does not re-run a long history for each order.
  const held = new Map<string, { quantities: Map<string, Decimal>; cash: Decimal }>();
  async function quantitiesOf(portfolio: TPortfolioRecord) {
    const key = `${portfolio.id}:${portfolio.revision}`;
    const known = held.get(key);
    if (known) return known;
    const ledger = ledgerOf(portfolio, await allTransactions(db, portfolio.id));
    const value = {
      quantities: new Map(
        [...ledger.lots].map(([symbol, lots]) => [symbol, sum(lots.map((lot) => lot.quantity))]),
      ),
      cash: portfolio.cash_tracking ? ledger.cash : ZERO,
    };
    held.set(key, value);
    if (held.size > MEMO_ENTRIES) held.delete(held.keys().next().value!);
    return value;
  }

  const closesOf = createClosesMemo(prices, deps.marketVersion);

  /** Positions at current prices, and what the portfolio's limits need of the market. */
  async function snapshot(
    portfolio: TPortfolioRecord,
    limits: readonly TLimit[],
    extraSymbols: string[] = [],
  ) {
    const { quantities, cash } = await quantitiesOf(portfolio);
    const symbols = [...new Set([...quantities.keys(), ...extraSymbols])];
    const current = await prices.coins(symbols);
    const coins = new Map(
      [...quantities].map(([symbol, quantity]) => [
        symbol,
        { quantity, price: decimalOrNull(current.get(symbol)?.price) },
      ]),
    );
    const positions: TPositions = { coins, cash };
    const to = isoDay(now());
    const from = addDays(to, -RISK_WINDOW + 1);
    const needsReturns = limits.some((limit) => limit.type === 'max_var_95');
    const needsDrawdown = limits.some((limit) => limit.type === 'max_drawdown');
    const records = needsDrawdown ? await allTransactions(db, portfolio.id) : [];
    const closeSymbols = [...new Set([...records.map((tx) => tx.symbol), ...symbols])];
    const { raw, returns } =
      needsReturns || needsDrawdown
        ? await closesOf(
            closeSymbols.filter((symbol) => symbol !== CASH),
            addDays(from, -1),
            to,
          )
        : {
            raw: new Map<string, { date: string; price: string }[]>(),
            returns: new Map<string, Map<string, number>>(),
          };
    let drawdown: number | null = null;
    if (needsDrawdown) {
      const valuation = dailyValues({
        transactions: records.map(toLedgerTransaction),
        closes: new Map([...raw].map(([symbol, series]) => [symbol, decimalCloses(series)])),
        cashTracking: portfolio.cash_tracking,
        from,
        to,
      });
      const twr = dailyTwr(valuation.start.value, valuation.days);
      let index = 1;
      let high = 1;
      let invested = 0;
      let previous = valuation.start.value;
      for (const [position, day] of valuation.days.entries()) {
        if (!previous.plus(day.inflow).isZero()) invested += 1;
        previous = day.value;
        index *= 1 + twr[position]!;
        high = Math.max(high, index);
      }
      drawdown = invested >= 30 ? 1 - index / high : null;
    }
    const context: TMarketContext = { returns, drawdown };
    return { positions, context, current };
  }

  async function validated(portfolio: TPortfolioRecord, inputs: readonly TLimitInput[]) {
    if (inputs.length > maxLimits)
      throw unprocessable(`${inputs.length} limits; at most ${maxLimits} (LIMITS_PER_PORTFOLIO)`, {
        reason: 'too_many_limits',
        limit: maxLimits,
      });
    const limits = inputs.map((input, index) => {
      const symbol = input.symbol ? input.symbol.toUpperCase() : null;
      const where = `limits[${index}]`;
      if (symbol && !PER_COIN_LIMITS.includes(input.type))
        throw unprocessable(`${where}: ${input.type} applies to the whole portfolio and takes no symbol`, {
          reason: 'symbol_not_allowed',
          index,
        });
      if (FRACTION_LIMITS.includes(input.type) && dec(input.value).gt(1))
        throw unprocessable(`${where}: ${input.type} is a fraction between 0 and 1`, {
          reason: 'not_a_fraction',
          index,
        });
      if (input.type === 'min_cash_weight' && !portfolio.cash_tracking)
        throw unprocessable(`${where}: min_cash_weight needs a portfolio with cash tracking`, {
          reason: 'needs_cash_tracking',
          index,
        });
      return { type: input.type, symbol, value: money(dec(input.value)), hard: input.hard };
    });
    const symbols = [...new Set(limits.flatMap((limit) => (limit.symbol ? [limit.symbol] : [])))];
    const known = await prices.coins(symbols);
    const unknown = symbols.filter((symbol) => !known.has(symbol));
    if (unknown.length)
      throw unprocessable(`unknown symbol(s): ${unknown.join(', ')}`, {
        reason: 'unknown_symbol',
        symbols: unknown,
      });
    return limits;
  }

  async function statusOf(portfolio: TPortfolioRecord) {
    const limits = await readLimits(db, portfolio.id);
    const { positions, context } = await snapshot(portfolio, limits);
    const statuses = limitStatus(limits, positions, context);
    return {
      portfolio_id: portfolio.id,
      at: now().toISOString(),
      state: statuses.some((limit) => limit.state === 'breached')
        ? ('breached' as const)
        : statuses.some((limit) => limit.state === 'warning')
          ? ('warning' as const)
          : ('ok' as const),
      limits: statuses,
    };
  }

  return {
    async get(actor: TActor, id: string) {
      await portfolios.owned(actor, id);
      return { portfolio_id: id, limits: await readLimits(db, id) };
    },

    /** Replaces the whole set (an empty list removes them); validated before anything changes. */
    set(actor: TActor, id: string, inputs: readonly TLimitInput[]) {
      return portfolios.changeOwned(actor, id, async (tx, portfolio) => ({
        portfolio_id: id,
        limits: await replaceLimits(tx, id, await validated(portfolio, inputs)),
      }));
    },

    async status(actor: TActor, id: string) {
      return statusOf(await portfolios.owned(actor, id));
    },

    /** For alerts: the status of a portfolio's limits, the caller having checked access itself. */
    statusOf,

    /** Every check an order would face, without changing anything. */
    async preTrade(actor: TActor, id: string, order: TPreTradeOrder) {
      const portfolio = await portfolios.owned(actor, id);
      const symbol = order.symbol.toUpperCase();
      const limits = await readLimits(db, id);
      const { positions, context, current } = await snapshot(portfolio, limits, [symbol]);
      if (!current.has(symbol))
        throw new AppError(ErrorCode.NotFound, { detail: `No cryptocurrency with symbol "${symbol}".` });
      const price = order.price ? dec(order.price) : decimalOrNull(current.get(symbol)!.price);
      if (!price)
        throw unprocessable(`${symbol} has no current price; give the order's price`, { reason: 'no_price' });
      const coins = new Map(positions.coins);
      // A coin not yet held is valued at its current price (or the order's when it has none).
      if (!coins.has(symbol))
        coins.set(symbol, { quantity: ZERO, price: decimalOrNull(current.get(symbol)!.price) ?? price });
      const result = preTradeCheck({
        positions: { ...positions, coins },
        order: { symbol, side: order.side, quantity: dec(order.quantity), price, fee: dec(order.fee ?? '0') },
        limits,
        context,
        cashTracking: portfolio.cash_tracking,
        allowNegative: portfolio.allow_negative,
      });
      return {
        portfolio_id: id,
        order: {
          symbol,
          side: order.side,
          quantity: money(dec(order.quantity)),
          price: money(price),
          fee: money(dec(order.fee ?? '0')),
        },
        allowed: result.allowed,
        decision: result.decision,
        checks: result.checks,
        holdings_after: {
          coins: [...result.after.coins]
            .filter(([, position]) => !position.quantity.isZero())
            .map(([coin, position]) => ({
              symbol: coin,
              quantity: money(position.quantity),
              price: position.price ? money(position.price) : null,
              market_value: position.price ? money(position.quantity.times(position.price)) : null,
            })),
          cash: portfolio.cash_tracking ? money(result.after.cash) : null,
        },
      };
    },
  };
}
