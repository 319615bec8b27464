import { defineRoute } from '../define-route.ts';
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
const tags = ['Market data'];

// Order matters where paths overlap: /top/{category} is matched before /{symbol}.
export const marketRoutes = [
  defineRoute({
    method: 'get',
    path: `${BASE}/`,
    tags,
    summary: 'List cryptocurrencies',
    description:
      'Filter, search, sort and page through the stored coins. Cached in Redis; ETag/304 supported.',
    request: { query: ZListQuery },
    permission: 'market:read',
    cache: 'public',
    response: { status: 200, description: 'A page of coins', schema: ZCoinList },
    handler: ({ input, deps }) => deps.services.market.list(input.query),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/top/{category}`,
    tags,
    summary: 'Top coins by list or category',
    description: '`gainers`, `losers` (24 h change), `volume`, `market_cap`, or any stored category slug.',
    request: { params: ZTopParams, query: ZTopQuery },
    permission: 'market:read',
    cache: 'public',
    response: { status: 200, description: 'The top coins', schema: ZTopList },
    problems: [404],
    handler: ({ input, deps }) => deps.services.market.top(input.params.category, input.query.limit),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{symbol}`,
    tags,
    summary: 'One cryptocurrency, all fields',
    request: { params: ZSymbolParams },
    permission: 'market:read',
    cache: 'public',
    response: { status: 200, description: 'The coin', schema: ZCoin },
    problems: [404],
    handler: ({ input, deps }) => deps.services.market.get(input.params.symbol),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{symbol}/history`,
    tags,
    summary: 'Price history',
    description:
      'Stored points newest first (or oldest first with order=asc). hourly/daily return the last point of each ' +
      'UTC hour/day, aggregated in SQL. Page with `pagination.next_cursor`. `from` after `to` is a 400.',
    request: { params: ZSymbolParams, query: ZHistoryQuery },
    permission: 'market:read',
    cache: 'public',
    response: { status: 200, description: 'History points', schema: ZHistory },
    problems: [404],
    handler: ({ input, deps }) => deps.services.market.history(input.params.symbol, input.query),
  }),
];
