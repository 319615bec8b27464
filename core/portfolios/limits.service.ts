import type { DataSource } from 'typeorm';
import { createPriceReader } from '../market/index.ts';
import type { TActor } from '../platform/access/index.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { dec, money, ZERO } from './decimal.ts';
import { decimalOrNull } from './holdings.ts';
import { createLimitInputs } from './limits-inputs.ts';
import { limitStatus, PER_COIN_LIMITS, preTradeCheck, type TLimitType } from './limits.ts';
import type { TPortfolioRecord } from './portfolios.repository.ts';
import { readLimits, replaceLimits } from './targets.repository.ts';
import type { TPortfoliosService } from './portfolios.service.ts';

const MAX_LIMITS = 50;
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
   * The market data version (bumped by every write of stored or current prices). With it, the current
   * prices, the positions at them, the daily closes and returns and the drawdown a check reads are kept
   * per version; without it they are read every time.
   */
  marketVersion?: () => Promise<string>;
}) {
  const { db, portfolios } = deps;
  const maxLimits = deps.maxLimits ?? MAX_LIMITS;
  const now = deps.now ?? (() => new Date());
  const prices = createPriceReader(db);

  // The limits, positions and market a check reads, kept while they cannot change (limits-inputs.ts).
  const kept = createLimitInputs({
    db,
    prices,
    now,
    ...(deps.marketVersion ? { marketVersion: deps.marketVersion } : {}),
  });

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
    const limits = await kept.limitsOf(portfolio);
    const { positions, context } = await kept.snapshot(portfolio, limits);
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
      const limits = await kept.limitsOf(portfolio);
      const { positions, context, current } = await kept.snapshot(portfolio, limits, [symbol]);
      if (!current.has(symbol))
        throw new AppError(ErrorCode.NotFound, { detail: `No cryptocurrency with symbol "${symbol}".` });
      const price = order.price ? dec(order.price) : decimalOrNull(current.get(symbol)!.price);
      if (!price)
        throw unprocessable(`${symbol} has no current price; give the order's price`, { reason: 'no_price' });
      // A coin not yet held is valued at its current price (or the order's when it has none). The kept
      // positions themselves otherwise, so their measures are worked out once (limits.ts).
      const before = positions.coins.has(symbol)
        ? positions
        : {
            ...positions,
            coins: new Map(positions.coins).set(symbol, {
              quantity: ZERO,
              price: decimalOrNull(current.get(symbol)!.price) ?? price,
            }),
          };
      const result = preTradeCheck({
        positions: before,
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
