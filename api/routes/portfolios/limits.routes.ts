import { defineRoute } from '../define-route.ts';
import { ZLimits, ZLimitsBody, ZLimitsStatus, ZPreTradeBody, ZPreTradeResult } from './limits.schemas.ts';
import { portfolioResource } from './portfolio-routes.common.ts';
import { ZPortfolioParams } from './portfolios.schemas.ts';

const tags = ['Risk limits'];
const BASE = '/api/v1/portfolios/{id}';

export const limitRoutes = [
  defineRoute({
    method: 'get',
    path: `${BASE}/limits`,
    tags,
    summary: "The portfolio's limits",
    request: { params: ZPortfolioParams },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'The limits, in the order they were set', schema: ZLimits },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.limits.get(actor, input.params.id),
  }),
  defineRoute({
    method: 'put',
    path: `${BASE}/limits`,
    tags,
    summary: 'Replace the limits',
    description:
      'Types: max_position_weight and max_position_value (one coin with `symbol`, else every coin), max_var_95 (one-day 95 % historical VaR of the current weights over 365 days), max_drawdown (the TWR index below its 365-day high), max_hhi, min_cash_weight (portfolios with cash tracking). An empty list removes them.',
    request: { params: ZPortfolioParams, body: ZLimitsBody },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'The limits as stored', schema: ZLimits },
    problems: [404, 413, 422],
    handler: ({ input, actor, deps }) => deps.services.limits.set(actor, input.params.id, input.body.limits),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/limits/status`,
    tags,
    summary: 'Each limit with its current value, headroom and state',
    request: { params: ZPortfolioParams },
    permission: 'portfolios:manage',
    cache: 'private',
    cacheResource: portfolioResource,
    response: { status: 200, description: 'Limit status', schema: ZLimitsStatus },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.limits.status(actor, input.params.id),
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/pre-trade-check`,
    tags,
    summary: 'Check an order against the balance and every limit (changes nothing)',
    description:
      'Every check is evaluated, none short-circuits. A limit passes when the order leaves it within its threshold or does not move it further beyond; a drawdown in breach stops buys and lets sells through. `allowed` is false when a balance check or a hard limit fails.',
    request: { params: ZPortfolioParams, body: ZPreTradeBody },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'The decision and every check', schema: ZPreTradeResult },
    problems: [404, 413, 422],
    handler: ({ input, actor, deps }) => deps.services.limits.preTrade(actor, input.params.id, input.body),
  }),
];
