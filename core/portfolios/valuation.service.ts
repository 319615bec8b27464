import type { DataSource } from 'typeorm';
import type { TPriceReader } from '../market/index.ts';
import type { TActor } from '../platform/access/index.ts';
import { money } from './decimal.ts';
import { decimalOrNull, holdingsOf, realizedOf } from './holdings.ts';
import { ledgerOf, toLedgerTransaction, valuationTransaction } from './ledger-of.ts';
import { rangeOf, type TPerformanceRange } from './performance-range.ts';
import {
  addDays,
  benchmarkReturn,
  dailyValues,
  decimalCloses,
  isoDay,
  performanceOf,
} from './performance.ts';
import { portfolioRisk } from './portfolio-risk.ts';
import type { TPortfolioAccess } from './portfolio-access.ts';
import {
  allTransactions,
  listTransactions,
  tradedSymbols,
  type TPortfolioRecord,
  valuationRows,
} from './portfolios.repository.ts';
import { unknownBenchmark, unprocessable } from './refusals.ts';
import { CASH } from './transaction.ts';

export type TRiskQuery = { window: number; benchmark: string; risk_free_rate: number };

/** What a portfolio is worth and how it did: holdings, realized gains, performance and risk. */
export function createValuationService(deps: {
  db: DataSource;
  prices: TPriceReader;
  now: () => Date;
  access: TPortfolioAccess;
}) {
  const { db, prices, now } = deps;
  const { access } = deps.access;

  /** Valuation inputs for a date range: the history and the daily closes of its coins and the benchmark. */
  // The two reads go out together (two pooled connections): the transactions, and the closes of the
  // coins they name (asked for by a small distinct-symbols query), so PostgreSQL computes the daily closes
  // while this process parses the transactions.
  // Performance reads only what the valuation needs of each transaction; risk also runs the ledger (whose
  // refusals name the stored transaction) and reads them whole.
  async function history(
    portfolio: TPortfolioRecord,
    benchmark: string,
    from: string,
    to: string,
    whole = false,
  ) {
    if ((await prices.coins([benchmark])).size === 0) throw unknownBenchmark(benchmark);
    const [[records, transactions], rows] = await Promise.all([
      // Turned into the ledger's decimals while PostgreSQL still works on the closes.
      whole
        ? allTransactions(db, portfolio.id).then((list) => [list, list.map(toLedgerTransaction)] as const)
        : valuationRows(db, portfolio.id).then((list) => [[], list.map(valuationTransaction)] as const),
      tradedSymbols(db, portfolio.id).then((symbols) =>
        prices.dailyCloses(
          [...new Set([...symbols.filter((symbol) => symbol !== CASH), benchmark])],
          addDays(from, -1),
          to,
        ),
      ),
    ]);
    const closes = new Map([...rows].map(([symbol, series]) => [symbol, decimalCloses(series)]));
    const valuation = () =>
      dailyValues({
        transactions,
        closes,
        cashTracking: portfolio.cash_tracking,
        from,
        to,
      });
    return { records, closes, valuation };
  }

  /** Holdings of a ledger at the given prices (a symbol without one is valued as unknown). */
  const valued = (
    ledger: ReturnType<typeof ledgerOf>,
    priced: ReadonlyMap<string, string | null | undefined>,
  ) => new Map([...ledger.lots.keys()].map((symbol) => [symbol, decimalOrNull(priced.get(symbol))]));

  async function riskOf(portfolio: TPortfolioRecord, query: TRiskQuery) {
    const to = isoDay(now());
    const from = addDays(to, -query.window + 1);
    const { records, closes, valuation } = await history(portfolio, query.benchmark, from, to, true);
    const ledger = ledgerOf(portfolio, records);
    const current = await prices.coins([...ledger.lots.keys()]);
    const holdings = holdingsOf(
      ledger,
      valued(ledger, new Map([...current].map(([symbol, coin]) => [symbol, coin.price]))),
      portfolio.cash_tracking,
    );
    return {
      portfolio_id: portfolio.id,
      ...portfolioRisk({
        valuation: valuation(),
        closes,
        holdings,
        benchmark: query.benchmark,
        riskFreeRate: query.risk_free_rate,
        window: query.window,
      }),
    };
  }

  return {
    /** Holdings at `at` (default now, at current prices; a past time uses that day's closes). */
    async holdings(actor: TActor, id: string, at?: Date) {
      const portfolio = await access(actor, id);
      const records = (await allTransactions(db, id)).filter((tx) => !at || new Date(tx.timestamp) <= at);
      const ledger = ledgerOf(portfolio, records);
      const symbols = [...ledger.lots.keys()];
      const priced = at
        ? await prices.closesOn(symbols, isoDay(at))
        : new Map([...(await prices.coins(symbols))].map(([symbol, coin]) => [symbol, coin.price]));
      const result = holdingsOf(ledger, valued(ledger, priced), portfolio.cash_tracking);
      return {
        portfolio_id: id,
        at: (at ?? now()).toISOString(),
        ...result,
        income: money(ledger.income),
        fees: money(ledger.fees),
      };
    },

    async realized(actor: TActor, id: string, range: { from?: Date; to?: Date }) {
      const portfolio = await access(actor, id);
      const ledger = ledgerOf(portfolio, await allTransactions(db, id));
      return {
        portfolio_id: id,
        cost_basis_method: portfolio.cost_basis_method,
        ...realizedOf(ledger.disposals, range.from, range.to),
      };
    },

    async performance(
      actor: TActor,
      id: string,
      query: { range?: TPerformanceRange; from?: string; to?: string; benchmark: string },
    ) {
      const portfolio = await access(actor, id);
      const first = (await listTransactions(db, id, { limit: 1 }))[0];
      if (!first) throw unprocessable('the portfolio has no transactions yet', { reason: 'empty' });
      const { from, to } = rangeOf(query, isoDay(new Date(first.timestamp)), isoDay(now()));
      const { closes, valuation: valuate } = await history(portfolio, query.benchmark, from, to);
      const valuation = valuate();
      const result = performanceOf(valuation);
      const benchmark = benchmarkReturn(closes.get(query.benchmark) ?? [], valuation.start.date, to);
      return {
        portfolio_id: id,
        ...result,
        benchmark: { symbol: query.benchmark, twr: benchmark },
        excess_return: benchmark === null ? null : result.twr - benchmark,
      };
    },

    async risk(actor: TActor, id: string, query: TRiskQuery) {
      return riskOf(await access(actor, id), query);
    },

    /** For the feature's alerts: a portfolio's risk, the caller having checked access itself. */
    riskOf,
  };
}
