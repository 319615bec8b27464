import { Router } from 'express';
import type { TRankingField, TRiskQuery, TRiskService } from '../../../core/risk/index.ts';
import type { TResponseCache } from '../../http/response-cache.ts';
import { validate } from '../../http/validate.ts';
import {
  cachedJson,
  notModified,
  problemResponses,
  queryProblems,
  registry,
} from '../../openapi/registry.ts';
import {
  ZCorrelations,
  ZCorrelationsQuery,
  ZRankings,
  ZRankingsQuery,
  ZRiskParams,
  ZRiskQuery,
  ZRiskReport,
} from './risk.schemas.ts';

const unprocessable = {
  422: { ...problemResponses[400], description: 'Insufficient history (fewer than 30 daily returns)' },
};

registry.registerPath({
  method: 'get',
  path: '/api/v1/risk/correlations',
  tags: ['Risk'],
  summary: 'Correlation matrix of daily returns',
  description:
    'Pearson correlations on the dates every symbol has in the window. Unknown symbols: 404 (listed in `unknown_symbols`); too little history: 422.',
  request: { query: ZCorrelationsQuery },
  responses: {
    200: cachedJson(ZCorrelations, 'The matrix'),
    ...notModified,
    ...queryProblems,
    404: problemResponses[404],
    ...unprocessable,
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/v1/risk/rankings',
  tags: ['Risk'],
  summary: 'Coins ranked by a default-window risk metric',
  description:
    'Over every coin with at least 30 daily returns in the last 365 days (benchmark BTC, no risk-free rate).',
  request: { query: ZRankingsQuery },
  responses: {
    200: cachedJson(ZRankings, 'The ranking'),
    ...notModified,
    ...queryProblems,
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/v1/risk/{symbol}',
  tags: ['Risk'],
  summary: 'Risk metrics of one coin',
  description:
    'Volatility, VaR/CVaR, drawdown, Sharpe/Sortino/Calmar, beta, alpha and correlation over a window of daily closes, ' +
    'computed as numpy/empyrical define them (docs/risk-methodology.md). The default window is precomputed after each sync.',
  request: { params: ZRiskParams, query: ZRiskQuery },
  responses: {
    200: cachedJson(ZRiskReport, 'The report'),
    ...notModified,
    ...problemResponses,
    ...unprocessable,
  },
});

export function riskRouter(deps: { risk: TRiskService; cache: TResponseCache }): Router {
  const { risk, cache } = deps;
  const router = Router();
  router.get(
    '/correlations',
    validate({ query: ZCorrelationsQuery }),
    cache.json<{ query: { symbols: string[]; window: number; to?: Date } }>(
      'risk.correlations',
      ({ query }) => risk.correlations(query.symbols, query.window, query.to),
    ),
  );
  router.get(
    '/rankings',
    validate({ query: ZRankingsQuery }),
    cache.json<{ query: { sort_by: TRankingField; order: 'asc' | 'desc'; limit: number; to?: Date } }>(
      'risk.rankings',
      ({ query }) => risk.rankings(query.sort_by, query.order, query.limit, query.to),
    ),
  );
  router.get(
    '/:symbol',
    validate({ params: ZRiskParams, query: ZRiskQuery }),
    cache.json<{ params: { symbol: string }; query: TRiskQuery }>('risk.report', ({ params, query }) =>
      risk.report(params.symbol, query),
    ),
  );
  return router;
}
