import { defineRoute } from '../define-route.ts';
import {
  ZDrift,
  ZHoldings,
  ZHoldingsQuery,
  ZPerformance,
  ZPerformanceQuery,
  ZPortfolioRisk,
  ZPortfolioRiskQuery,
  ZRealized,
  ZRealizedQuery,
  ZTargets,
  ZTargetsSaved,
} from './analytics.schemas.ts';
import { ZPortfolioParams } from './portfolios.schemas.ts';
import { BASE, ownership, portfolioResource, tags } from './portfolio-routes.common.ts';

const day = (date: Date | undefined) => date?.toISOString().slice(0, 10);

/** What is computed from a portfolio: holdings, realized P&L, performance, risk, targets and drift. */
export const analyticsRoutes = [
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/holdings`,
    tags,
    summary: 'Holdings: quantity, cost basis, value, unrealized P&L and open lots per coin',
    description: `At current prices, or as of \`at\` (that day's closes). ${ownership}`,
    request: { params: ZPortfolioParams, query: ZHoldingsQuery },
    permission: 'portfolios:manage',
    cache: 'private',
    cacheResource: portfolioResource,
    response: { status: 200, description: 'Holdings', schema: ZHoldings },
    problems: [404, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.holdings(actor, input.params.id, input.query.at),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/realized`,
    tags,
    summary: 'Realized P&L: every disposal with its lot, cost, proceeds, gain and holding days',
    request: { params: ZPortfolioParams, query: ZRealizedQuery },
    permission: 'portfolios:manage',
    cache: 'private',
    cacheResource: portfolioResource,
    response: { status: 200, description: 'Disposals and totals', schema: ZRealized },
    problems: [404, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.realized(actor, input.params.id, {
        ...(input.query.from ? { from: input.query.from } : {}),
        ...(input.query.to ? { to: input.query.to } : {}),
      }),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/performance`,
    tags,
    summary: 'Performance: TWR, MWR (XIRR), flows, income, fees, a benchmark and the daily series',
    description:
      'Daily chain-linked TWR with inflows at the start and outflows at the end of each UTC day; MWR is the XIRR ' +
      '(Actual/365) of the starting value, the net flows and the ending value. Ranges under 365 days are not ' +
      'annualized. docs/portfolio-methodology.md gives every convention.',
    request: { params: ZPortfolioParams, query: ZPerformanceQuery },
    permission: 'portfolios:manage',
    cache: 'private',
    cacheResource: portfolioResource,
    cost: 5,
    deadline: true,
    response: { status: 200, description: 'Performance', schema: ZPerformance },
    problems: [404, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.performance(actor, input.params.id, {
        benchmark: input.query.benchmark,
        ...(input.query.range ? { range: input.query.range } : {}),
        ...(input.query.from ? { from: day(input.query.from)! } : {}),
        ...(input.query.to ? { to: day(input.query.to)! } : {}),
      }),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/risk`,
    tags,
    summary: 'Portfolio risk: the coin risk metrics on its daily TWR returns, concentration and correlations',
    request: { params: ZPortfolioParams, query: ZPortfolioRiskQuery },
    permission: 'portfolios:manage',
    cache: 'private',
    cacheResource: portfolioResource,
    cost: 5,
    deadline: true,
    response: { status: 200, description: 'Risk', schema: ZPortfolioRisk },
    problems: [404, 422],
    handler: ({ input, actor, deps }) => deps.services.portfolios.risk(actor, input.params.id, input.query),
  }),
  defineRoute({
    method: 'put',
    path: `${BASE}/{id}/targets`,
    tags,
    summary: 'Set target weights (they add up to 1; USD for cash)',
    request: { params: ZPortfolioParams, body: ZTargets },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'The targets', schema: ZTargetsSaved },
    problems: [404, 413, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.setTargets(actor, input.params.id, input.body.weights),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/drift`,
    tags,
    summary: 'Drift from the targets and the trades that restore them',
    request: { params: ZPortfolioParams },
    permission: 'portfolios:manage',
    cache: 'private',
    cacheResource: portfolioResource,
    response: { status: 200, description: 'Drift', schema: ZDrift },
    problems: [404, 422],
    handler: ({ input, actor, deps }) => deps.services.portfolios.drift(actor, input.params.id),
  }),
];
