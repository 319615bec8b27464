import { defineRoute } from '../define-route.ts';
import {
  ZCorrelations,
  ZCorrelationsQuery,
  ZRankings,
  ZRankingsQuery,
  ZRiskParams,
  ZRiskQuery,
  ZRiskReport,
} from './risk.schemas.ts';

const tags = ['Risk'];
/** Rate-limit units per request: a report reads two coins' windows, rankings every coin's. */
export const COST = { report: 5, correlations: 5, rankings: 10 } as const;

// Order matters: /correlations and /rankings are matched before /{symbol}.
export const riskRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/risk/correlations',
    tags,
    summary: 'Correlation matrix of daily returns',
    description:
      'Pearson correlations on the dates every symbol has in the window. Unknown symbols: 404 (listed in ' +
      '`unknown_symbols`); too little history (fewer than 30 shared daily returns): 422.',
    request: { query: ZCorrelationsQuery },
    permission: 'risk:read',
    cache: 'public',
    cost: COST.correlations,
    deadline: true,
    response: { status: 200, description: 'The matrix', schema: ZCorrelations },
    problems: [404, 422],
    handler: ({ input, deps, deadline }) =>
      deps.services.risk.correlations(input.query.symbols, input.query.window, input.query.to, deadline),
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/risk/rankings',
    tags,
    summary: 'Coins ranked by a default-window risk metric',
    description:
      'Over every coin with at least 30 daily returns in the 365-return window ending at `to` (benchmark BTC, no ' +
      'risk-free rate). The figures of a day are computed once from one query of every coin’s closes and kept ' +
      'until prices change, whatever the sort order and limit.',
    request: { query: ZRankingsQuery },
    permission: 'risk:read',
    cache: 'public',
    cost: COST.rankings,
    deadline: true,
    response: { status: 200, description: 'The ranking', schema: ZRankings },
    handler: ({ input, deps, deadline }) =>
      deps.services.risk.rankings(
        input.query.sort_by,
        input.query.order,
        input.query.limit,
        input.query.to,
        deadline,
      ),
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/risk/{symbol}',
    tags,
    summary: 'Risk metrics of one coin',
    description:
      'Volatility, VaR/CVaR, drawdown, Sharpe/Sortino/Calmar, beta, alpha and correlation over a window of daily ' +
      'closes, computed as numpy/empyrical define them (docs/risk-methodology.md). The default window is ' +
      'precomputed after each sync. Fewer than 30 daily returns in the window: 422.',
    request: { params: ZRiskParams, query: ZRiskQuery },
    permission: 'risk:read',
    cache: 'public',
    cost: COST.report,
    deadline: true,
    response: { status: 200, description: 'The report', schema: ZRiskReport },
    problems: [404, 422],
    handler: ({ input, deps, deadline }) =>
      deps.services.risk.report(input.params.symbol, input.query, deadline),
  }),
];
