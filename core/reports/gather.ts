import type { TAuditService } from '../audit/index.ts';
import { createPriceReader } from '../market/index.ts';
import type { TActor } from '../platform/access/index.ts';
import { AppError } from '../platform/errors/app-error.ts';
import type { TPortfoliosService } from '../portfolios/index.ts';
import type { TRiskService } from '../risk/index.ts';
import type { DataSource } from 'typeorm';
import {
  allocationOf,
  benchmarkSeries,
  drawdownSeries,
  gainsByMonth,
  realizedGainsModel,
  statementDrawdown,
  type TAuditExportModel,
  type TCoinRiskModel,
  type TReportKind,
  type TReportModels,
  type TReportPortfolio,
  type TStatementModel,
  type TStatementTransaction,
} from './report-model.ts';
import type { TReportParams } from './reports.repository.ts';

/** The services a report is gathered from, through their features' public modules. */
export type TGatherDeps = {
  db: DataSource;
  portfolios: TPortfoliosService;
  risk: TRiskService;
  audit: TAuditService;
};

const PAGE = 1000;
export const DEFAULT_BENCHMARK = 'BTC';
const dayStart = (day: string) => new Date(`${day}T00:00:00.000Z`);
const dayEnd = (day: string) => new Date(`${day}T23:59:59.999Z`);
const splitCursor = (cursor: string) => {
  const at = cursor.lastIndexOf('~');
  return { at: cursor.slice(0, at), id: cursor.slice(at + 1) };
};

/** The period a request names: `from`/`to`, or a tax year (1 January to 31 December). */
export function periodOf(params: TReportParams): { from: string; to: string } {
  if (params.tax_year) return { from: `${params.tax_year}-01-01`, to: `${params.tax_year}-12-31` };
  return { from: params.from!, to: params.to! };
}

/** The statement's transactions, oldest first, a page at a time (never the whole history in memory). */
async function* transactionsOf(
  portfolios: TPortfoliosService,
  actor: TActor,
  id: string,
  from: Date,
  to: Date,
): AsyncGenerator<TStatementTransaction> {
  let cursor: { at: string; id: string } | undefined;
  for (;;) {
    const page = await portfolios.listTransactions(actor, id, { from, to, limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const tx of page.data) {
      yield {
        id: tx.id,
        type: tx.type,
        symbol: tx.symbol,
        quantity: tx.quantity,
        price: tx.price,
        fee: tx.fee,
        timestamp: tx.timestamp,
        notes: tx.notes,
        external_id: tx.external_id,
      };
    }
    if (!page.pagination.next_cursor) return;
    cursor = splitCursor(page.pagination.next_cursor);
  }
}

/** A refusal that no retry changes (the portfolio gone, too little history): the report fails with it. */
export const isPermanent = (error: unknown) =>
  error instanceof AppError && error.code !== 'dependency_unavailable' && error.code !== 'deadline_exceeded';

/**
 * The model of one report, from the same service calls the API answers with, as the report's owner
 * (`actor`): what the owner could read over the API is exactly what the report shows.
 */
export function createGatherer(deps: TGatherDeps) {
  const prices = createPriceReader(deps.db);

  async function portfolioOf(actor: TActor, id: string): Promise<TReportPortfolio> {
    const portfolio = await deps.portfolios.get(actor, id);
    return { id, name: portfolio.name, cost_basis_method: portfolio.cost_basis_method, currency: 'USD' };
  }

  async function statement(actor: TActor, params: TReportParams): Promise<TStatementModel> {
    const id = params.portfolio_id!;
    const period = periodOf(params);
    const benchmark = params.benchmark ?? DEFAULT_BENCHMARK;
    const portfolio = await portfolioOf(actor, id);
    const [holdingsStart, holdingsEnd, realized, performance] = await Promise.all([
      deps.portfolios.holdings(actor, id, dayStart(period.from)),
      deps.portfolios.holdings(actor, id, dayEnd(period.to)),
      deps.portfolios.realized(actor, id, { from: dayStart(period.from), to: dayEnd(period.to) }),
      deps.portfolios.performance(actor, id, { from: period.from, to: period.to, benchmark }),
    ]);
    const days = performance.series.map((day) => day.date);
    const closes = (await prices.dailyCloses([benchmark], period.from, period.to)).get(benchmark) ?? [];
    let risk: TStatementModel['risk'] = null;
    let riskUnavailable: string | null = null;
    try {
      const window = Math.max(30, Math.min(1825, performance.days));
      risk = await deps.portfolios.risk(actor, id, { window, benchmark, risk_free_rate: 0 });
    } catch (error) {
      if (!isPermanent(error)) throw error;
      riskUnavailable = (error as AppError).detail;
    }
    let drift: TStatementModel['drift'] = null;
    try {
      drift = await deps.portfolios.drift(actor, id);
    } catch (error) {
      if (!isPermanent(error)) throw error;
    }
    return {
      portfolio,
      period,
      holdings_start: holdingsStart,
      holdings_end: holdingsEnd,
      transactions: transactionsOf(deps.portfolios, actor, id, dayStart(period.from), dayEnd(period.to)),
      realized,
      income: performance.income,
      fees: performance.fees,
      performance,
      benchmark_series: benchmarkSeries(closes, days),
      drawdown: statementDrawdown(performance),
      gains_by_month: gainsByMonth(realized, period),
      risk,
      risk_unavailable_reason: riskUnavailable,
      allocation: allocationOf(holdingsEnd),
      drift,
    };
  }

  async function realizedGains(actor: TActor, params: TReportParams) {
    const id = params.portfolio_id!;
    const period = periodOf(params);
    const portfolio = await portfolioOf(actor, id);
    const realized = await deps.portfolios.realized(actor, id, { from: dayStart(period.from), to: dayEnd(period.to) });
    return realizedGainsModel({ portfolio, period, tax_year: params.tax_year ?? null, realized });
  }

  async function coinRisk(params: TReportParams): Promise<TCoinRiskModel> {
    const symbols = params.symbols!;
    const window = params.window ?? 90;
    const to = params.to ?? new Date().toISOString().slice(0, 10);
    const benchmark = params.benchmark ?? DEFAULT_BENCHMARK;
    const query = { window, to: dayStart(to), benchmark, risk_free_rate: 0 };
    const coins = [];
    for (const symbol of symbols) {
      const report = await deps.risk.report(symbol, query);
      const closes = (await prices.dailyCloses([symbol], report.from, report.to)).get(symbol) ?? [];
      coins.push({
        report,
        drawdown: drawdownSeries(
          closes.filter((close) => close.date >= report.from).map((close) => ({ date: close.date, value: Number(close.price) })),
        ),
      });
    }
    const correlation =
      symbols.length > 1 ? await deps.risk.correlations(symbols, window, dayStart(to)) : null;
    return {
      window_days: window,
      to,
      benchmark,
      risk_free_rate: 0,
      coins,
      correlation: correlation
        ? {
            symbols: correlation.symbols,
            from: correlation.from,
            to: correlation.to,
            observations: correlation.observations,
            matrix: correlation.matrix,
          }
        : null,
    };
  }

  function auditExport(actor: TActor, params: TReportParams): TAuditExportModel {
    const period = periodOf(params);
    return {
      period,
      rows: deps.audit.chronological(actor, { from: dayStart(period.from), to: dayEnd(period.to) }, PAGE),
    };
  }

  return async function gather<K extends TReportKind>(
    kind: K,
    actor: TActor,
    params: TReportParams,
  ): Promise<TReportModels[K]> {
    const models: { [Kind in TReportKind]: () => Promise<TReportModels[Kind]> } = {
      portfolio_statement: () => statement(actor, params),
      realized_gains: () => realizedGains(actor, params),
      coin_risk: () => coinRisk(params),
      audit_export: async () => auditExport(actor, params),
    };
    return models[kind]() as Promise<TReportModels[K]>;
  };
}
