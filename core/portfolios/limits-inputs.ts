import type { DataSource } from 'typeorm';
import type { TPriceReader } from '../market/index.ts';
import { createClosesMemo, type TCloses } from './closes-memo.ts';
import { type Decimal, sum, ZERO } from './decimal.ts';
import { decimalOrNull } from './holdings.ts';
import type { TLimit, TMarketContext, TPositions } from './limits.ts';
import { ledgerOf, toLedgerTransaction } from './ledger-of.ts';
import { addDays, dailyTwr, dailyValues, decimalCloses, isoDay } from './performance.ts';
import { allTransactions, type TPortfolioRecord } from './portfolios.repository.ts';
import { readLimits } from './targets.repository.ts';
import { CASH } from './transaction.ts';

/** The window VaR and drawdown look back over: the risk engine's default. */
const RISK_WINDOW = 365;
const MEMO_ENTRIES = 1000;

type TCoin = { id: number; price: string | null };

/** A bounded memo: the value under `key`, made once (a failed promise is forgotten). */
function keeper<T>(entries: number) {
  const kept = new Map<string, Promise<T>>();
  return (key: string, make: () => Promise<T>): Promise<T> => {
    let found = kept.get(key);
    if (!found) {
      found = make();
      kept.set(key, found);
      found.catch(() => kept.delete(key));
      if (kept.size > entries) kept.delete(kept.keys().next().value!);
    }
    return found;
  };
}

/**
 * What the limits read of a portfolio and of the market, each kept as long as it cannot change, so a
 * pre-trade check costs the portfolio's access check and one read of the market data version:
 * - per portfolio revision (every write of the portfolio bumps it: transactions, settings, limits):
 *   its limits and the quantities its ledger holds;
 * - per market data version (every write of stored or current prices bumps it; the holdings cache is
 *   retired by the same two): current prices by coin, the positions at those prices (the valuation), the
 *   year of daily closes and returns of the held coins with their returns matrix (closes-memo.ts), and
 *   the drawdown of the portfolio's TWR over that year.
 * Without `marketVersion` the market is read on every call.
 */
export function createLimitInputs(deps: {
  db: DataSource;
  prices: TPriceReader;
  now: () => Date;
  marketVersion?: () => Promise<string>;
}) {
  const { db, prices, now } = deps;
  const closesOf = createClosesMemo(prices);
  const byRevision = keeper<{ quantities: Map<string, Decimal>; cash: Decimal; traded: string[] }>(
    MEMO_ENTRIES,
  );
  const limitsByRevision = keeper<TLimit[]>(MEMO_ENTRIES);
  const byVersion = keeper<{ positions: TPositions }>(MEMO_ENTRIES);
  const drawdowns = keeper<number | null>(MEMO_ENTRIES);
  // Current prices of the coins asked about under one market data version (the last version only).
  let coinsVersion: string | undefined;
  let coinsKept = new Map<string, TCoin>();

  const revisionKey = (portfolio: TPortfolioRecord) => `${portfolio.id}:${portfolio.revision}`;

  /** Quantities held after the whole ledger, so a check does not re-run a long history for each order. */
  const quantitiesOf = (portfolio: TPortfolioRecord) =>
    byRevision(revisionKey(portfolio), async () => {
      const records = await allTransactions(db, portfolio.id);
      const ledger = ledgerOf(portfolio, records);
      return {
        traded: [...new Set(records.map((tx) => tx.symbol))],
        quantities: new Map(
          [...ledger.lots].map(([symbol, lots]) => [symbol, sum(lots.map((lot) => lot.quantity))]),
        ),
        cash: portfolio.cash_tracking ? ledger.cash : ZERO,
      };
    });

  /** The known coins among `symbols` with their current price, kept per market data version. */
  async function coins(symbols: readonly string[], version: string | undefined) {
    if (version === undefined) return prices.coins(symbols);
    if (version !== coinsVersion) {
      coinsVersion = version;
      coinsKept = new Map();
    }
    const kept = coinsKept;
    const missing = symbols.filter((symbol) => !kept.has(symbol));
    // Only known coins are kept (bounded by the listing): a symbol that is none is asked again.
    if (missing.length) for (const [symbol, coin] of await prices.coins(missing)) kept.set(symbol, coin);
    const known = new Map<string, TCoin>();
    for (const symbol of symbols) {
      const coin = kept.get(symbol);
      if (coin) known.set(symbol, coin);
    }
    return known;
  }

  /** The portfolio's positions at current prices. */
  async function valuation(portfolio: TPortfolioRecord, version: string | undefined): Promise<TPositions> {
    const { quantities, cash } = await quantitiesOf(portfolio);
    const current = await coins([...quantities.keys()], version);
    return {
      coins: new Map(
        [...quantities].map(([symbol, quantity]) => [
          symbol,
          { quantity, price: decimalOrNull(current.get(symbol)?.price) },
        ]),
      ),
      cash,
    };
  }

  /** The fall of the portfolio's TWR index from its high over the window; null with under 30 invested days. */
  async function drawdownOf(portfolio: TPortfolioRecord, raw: TCloses['raw'], from: string, to: string) {
    const records = await allTransactions(db, portfolio.id);
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
    return invested >= 30 ? 1 - index / high : null;
  }

  return {
    /** The portfolio's limits in the order they were set. */
    limitsOf: (portfolio: TPortfolioRecord) =>
      limitsByRevision(revisionKey(portfolio), () => readLimits(db, portfolio.id)),

    /**
     * Positions at current prices, the current price of every coin in `extraSymbols` too, and what the
     * limits need of the market.
     */
    async snapshot(portfolio: TPortfolioRecord, limits: readonly TLimit[], extraSymbols: string[] = []) {
      const version = await deps.marketVersion?.();
      const key = `${revisionKey(portfolio)}|${version}`;
      const { positions } = await (version === undefined
        ? valuation(portfolio, version).then((value) => ({ positions: value }))
        : byVersion(key, async () => ({ positions: await valuation(portfolio, version) })));
      const symbols = [...new Set([...positions.coins.keys(), ...extraSymbols])];
      const current = await coins(symbols, version);
      const to = isoDay(now());
      const from = addDays(to, -RISK_WINDOW + 1);
      const needsReturns = limits.some((limit) => limit.type === 'max_var_95');
      const needsDrawdown = limits.some((limit) => limit.type === 'max_drawdown');
      const closeSymbols = needsDrawdown
        ? [...new Set([...(await quantitiesOf(portfolio)).traded, ...symbols])]
        : symbols;
      const { raw, returns } =
        needsReturns || needsDrawdown
          ? await closesOf(
              closeSymbols.filter((symbol) => symbol !== CASH),
              addDays(from, -1),
              to,
              version,
            )
          : {
              raw: new Map<string, { date: string; price: string }[]>(),
              returns: new Map<string, Map<string, number>>(),
            };
      const drawdown = needsDrawdown
        ? await (version === undefined
            ? drawdownOf(portfolio, raw, from, to)
            : drawdowns(`${key}|${to}`, () => drawdownOf(portfolio, raw, from, to)))
        : null;
      const context: TMarketContext = { returns, drawdown };
      return { positions, context, current };
    },
  };
}
