import { AppError, ErrorCode } from '../../../core/platform/errors/app-error.ts';
import { defineRoute } from '../define-route.ts';
import {
  ZLiveClientMessage,
  ZLiveServerMessage,
  ZLiveSocketQuery,
  ZLiveStreamQuery,
} from './live.schemas.ts';
import { streamMarket } from './market-stream.ts';
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
    path: `${BASE}/stream`,
    tags,
    summary: 'Live prices (Server-Sent Events)',
    description:
      'Ticks of the given coins as the worker publishes them (every TICK_INTERVAL_SECONDS, 10 s by default). The stream starts with `event: snapshot` (`data`: `{"ticks":[MarketTick…]}`, the latest tick of each symbol), then one `event: tick` per tick (`data`: a MarketTick), each with `id: <seq>`. `seq` grows by one per tick of a symbol: a gap means ticks were skipped, which happens when the client reads slower than ticks come (it then gets the latest price of each symbol, never a backlog). ' +
      'Reconnecting with `Last-Event-ID` (or `last_event_id`) sends the ticks after it from a short replay buffer (MARKET_TICK_REPLAY batches, ten minutes by default) instead of the snapshot; older than that, the snapshot. A comment every MARKET_STREAM_HEARTBEAT_SECONDS (15) keeps proxies from closing the connection. ' +
      'When the server shuts down it sends `event: end` (`{"reason":…,"reconnect":true}`) and closes: reconnect, to any replica. ' +
      'At most MARKET_STREAMS_PER_CLIENT (10) streams (SSE and WebSocket together) per client over every replica, and MARKET_STREAMS_PER_REPLICA (10,000) per API process: one more is a 429 problem (`scope`: `client` or `replica`).',
    request: { query: ZLiveStreamQuery },
    permission: 'market:read',
    response: {
      status: 200,
      description: 'text/event-stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    handler: streamMarket,
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
  defineRoute({
    method: 'get',
    path: '/api/v1/ws',
    tags,
    summary: 'Live prices (WebSocket)',
    description:
      'A WebSocket (RFC 6455; send `Upgrade: websocket`, a plain GET is a 426 problem) carrying the same ticks as GET /api/v1/cryptocurrencies/stream. Credentials as on the other market routes (anonymous while PUBLIC_MARKET_DATA is on); refused credentials are an HTTP 401/403 before the upgrade. ' +
      '**Protocol.** Subscribe on connect with `?symbols=BTC,ETH` and/or later with text frames `{"type":"subscribe","symbols":["BTC"]}` / `{"type":"unsubscribe","symbols":["BTC"]}` (LiveClientMessage; at most 100 symbols per message and per stream, 4 KiB per frame). ' +
      'The server sends JSON text frames (LiveServerMessage): `subscribed` (the symbols now subscribed) after connecting and after each (un)subscribe, `snapshot` (the latest tick of newly subscribed symbols), then `ticks` (new MarketTicks; a slow reader gets the latest per symbol, with gaps in `seq`), `error` for a frame not understood or a subscribe past 100 symbols (the socket stays open), `pong` for `{"type":"ping"}`. ' +
      'The server sends a protocol ping every MARKET_STREAM_HEARTBEAT_SECONDS (15) and closes a socket that did not answer the previous one (4001); a socket subscribed to nothing for MARKET_STREAM_IDLE_SECONDS (300) is closed with 4000 `idle`. ' +
      'Close codes: 1012 (service restart: the server is shutting down, reconnect), 1013 (try again later: MARKET_STREAMS_PER_CLIENT or MARKET_STREAMS_PER_REPLICA reached, the reason says which), 4000 idle, 4001 no pong.',
    request: { query: ZLiveSocketQuery },
    permission: 'market:read',
    response: {
      status: 101,
      description:
        'Switching Protocols: the WebSocket. Frames the server sends (LiveServerMessage) and the client sends (LiveClientMessage).',
      content: {
        'application/json': { schema: ZLiveServerMessage },
        'application/vnd.trading-backend.live-client+json': { schema: ZLiveClientMessage },
      },
    },
    otherResponses: { 426: { description: 'Upgrade Required: a plain GET (no `Upgrade: websocket`)' } },
    handler: async () => {
      throw new AppError(ErrorCode.UpgradeRequired, {
        detail: 'GET /api/v1/ws is a WebSocket: send Upgrade: websocket (see the description in /docs).',
      });
    },
  }),
];
