import { Router } from 'express';
import type { TMarketService, THistoryQuery, TListQuery } from '../../../core/market/index.ts';
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
  ZCoin,
  ZCoinList,
  ZHistory,
  ZHistoryQuery,
  ZListQuery,
  ZSymbolParams,
  ZTopList,
  ZTopParams,
  ZTopQuery,
} from './market.schemas.ts';

const BASE = '/api/v1/cryptocurrencies';

registry.registerPath({
  method: 'get',
  path: `${BASE}/`,
  tags: ['Market data'],
  summary: 'List cryptocurrencies',
  description: 'Filter, search, sort and page through the stored coins. Cached in Redis; ETag/304 supported.',
  request: { query: ZListQuery },
  responses: {
    200: cachedJson(ZCoinList, 'A page of coins'),
    ...notModified,
    ...queryProblems,
  },
});
registry.registerPath({
  method: 'get',
  path: `${BASE}/top/{category}`,
  tags: ['Market data'],
  summary: 'Top coins by list or category',
  description: '`gainers`, `losers` (24 h change), `volume`, `market_cap`, or any stored category slug.',
  request: { params: ZTopParams, query: ZTopQuery },
  responses: { 200: cachedJson(ZTopList, 'The top coins'), ...notModified, ...problemResponses },
});
registry.registerPath({
  method: 'get',
  path: `${BASE}/{symbol}`,
  tags: ['Market data'],
  summary: 'One cryptocurrency, all fields',
  request: { params: ZSymbolParams },
  responses: { 200: cachedJson(ZCoin, 'The coin'), ...notModified, ...problemResponses },
});
registry.registerPath({
  method: 'get',
  path: `${BASE}/{symbol}/history`,
  tags: ['Market data'],
  summary: 'Price history',
  description:
    'Stored points newest first (or oldest first with order=asc). hourly/daily return the last point of each ' +
    'UTC hour/day, aggregated in SQL. Page with `pagination.next_cursor`. `from` after `to` is a 400.',
  request: { params: ZSymbolParams, query: ZHistoryQuery },
  responses: { 200: cachedJson(ZHistory, 'History points'), ...notModified, ...problemResponses },
});

export function cryptocurrenciesRouter(deps: { market: TMarketService; cache: TResponseCache }): Router {
  const { market, cache } = deps;
  const router = Router();

  router.get(
    '/',
    validate({ query: ZListQuery }),
    cache.json<{ query: TListQuery }>('coins.list', ({ query }) => market.list(query)),
  );
  router.get(
    '/top/:category',
    validate({ params: ZTopParams, query: ZTopQuery }),
    cache.json<{ params: { category: string }; query: { limit: number } }>('coins.top', ({ params, query }) =>
      market.top(params.category, query.limit),
    ),
  );
  router.get(
    '/:symbol',
    validate({ params: ZSymbolParams }),
    cache.json<{ params: { symbol: string } }>('coins.detail', ({ params }) => market.get(params.symbol)),
  );
  router.get(
    '/:symbol/history',
    validate({ params: ZSymbolParams, query: ZHistoryQuery }),
    cache.json<{ params: { symbol: string }; query: THistoryQuery }>('coins.history', ({ params, query }) =>
      market.history(params.symbol, query),
    ),
  );
  return router;
}
