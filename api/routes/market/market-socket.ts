import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { can } from '../../../core/platform/access/index.ts';
import { AppError } from '../../../core/platform/errors/app-error.ts';
import type { TResolveActor } from '../../http/authenticate.ts';
import type { TTick } from '../../../core/market/index.ts';
import type { TLiveHub } from './live-hub.ts';
import { LiveCapError, type TLiveClient, type TLiveFrameKind, type TLiveSink } from './live-sink.ts';
import {
  MAX_LIVE_SYMBOLS,
  ZLiveClientMessage,
  ZLiveSocketQuery,
  type TLiveServerMessage,
} from './live.schemas.ts';
import { liveClientKey } from './market-stream.ts';

export const LIVE_SOCKET_PATH = '/api/v1/ws';
/** Close codes: 1012 service restart (reconnect), 1013 try again later (a cap), 4000 idle, 4001 no pong, 4401/4403 credentials. */
export const CLOSE = {
  restart: 1012,
  tryLater: 1013,
  idle: 4000,
  heartbeat: 4001,
  unauthorized: 4401,
  forbidden: 4403,
};
const MAX_MESSAGE_BYTES = 4096;

function refuse(socket: Duplex, status: number, title: string, detail: string) {
  const body = JSON.stringify({ title, status, detail });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * GET /api/v1/ws: the live market over WebSocket (the `ws` library, on the API's HTTP server's
 * `upgrade` event). Credentials as on every API route (Authorization / X-API-Key); anonymous callers
 * may connect while PUBLIC_MARKET_DATA is on. `?symbols=` on connect, then JSON messages
 * `{"type":"subscribe"|"unsubscribe","symbols":[…]}` and `{"type":"ping"}`; the server sends JSON text
 * frames (LiveServerMessage) and protocol pings, and closes a socket that misses a pong.
 */
export function createLiveSocket(deps: {
  live: TLiveHub;
  resolveActor: TResolveActor;
  clientIp: (req: IncomingMessage) => string;
}) {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  /** Serves one upgraded socket once the hub admitted it (`opened`); frames that come earlier wait for it, in order. */
  function serve(ws: WebSocket, opened: Promise<TLiveClient>, initial: string[]) {
    const send = (message: TLiveServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    let gone = false;
    let admitted: TLiveClient | null = null;
    ws.on('close', () => {
      gone = true;
      admitted?.close();
    });
    ws.on('error', () => undefined); // 'close' follows
    ws.on('message', (data, isBinary) => {
      void opened.then(
        (live) => handle(live, data.toString(), isBinary),
        () => undefined,
      );
    });
    function handle(live: TLiveClient, text: string, isBinary: boolean) {
      const parsed = isBinary ? null : ZLiveClientMessage.safeParse(safeJson(text));
      if (!parsed?.success) {
        send({
          type: 'error',
          detail: 'expected JSON {"type":"subscribe"|"unsubscribe","symbols":[…]} or {"type":"ping"}',
        });
        return;
      }
      const message = parsed.data;
      if (message.type === 'ping') return send({ type: 'pong' });
      if (message.type === 'unsubscribe')
        return send({ type: 'subscribed', symbols: live.unsubscribe(message.symbols) });
      // A bound on the stream's whole set, not only on one message: repeated subscribes would grow it forever.
      if (new Set([...live.symbols, ...message.symbols]).size > MAX_LIVE_SYMBOLS)
        return send({
          type: 'error',
          detail: `At most ${MAX_LIVE_SYMBOLS} symbols per stream; unsubscribe from some first.`,
        });
      void live
        .subscribe(message.symbols)
        .then((symbols) => send({ type: 'subscribed', symbols }))
        .catch(() => send({ type: 'error', detail: 'Redis is unavailable; retry shortly.' }));
    }
    opened.then(
      (live) => {
        admitted = live;
        if (gone) return live.close();
        send({ type: 'subscribed', symbols: initial });
        void live.start().catch(() => ws.close(CLOSE.restart, 'Redis is unavailable; reconnect shortly.'));
      },
      (error: unknown) => {
        const reason = error instanceof LiveCapError ? error.message : 'Redis is unavailable; retry shortly.';
        ws.close(CLOSE.tryLater, reason.slice(0, 120));
      },
    );
  }

  return async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== LIVE_SOCKET_PATH) return void socket.destroy();
    socket.on('error', () => undefined);
    const query = ZLiveSocketQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) return refuse(socket, 400, 'Bad Request', 'symbols: comma-separated symbols (1-100)');
    let actor;
    try {
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      actor = await deps.resolveActor({
        authorization: header('authorization'),
        apiKey: header('x-api-key'),
        ip: deps.clientIp(req),
      });
    } catch (error) {
      return refuse(
        socket,
        401,
        'Unauthorized',
        error instanceof AppError ? error.message : 'The credentials are not valid.',
      );
    }
    if (!can(actor, 'market:read')) {
      return actor.kind === 'anonymous'
        ? refuse(
            socket,
            401,
            'Unauthorized',
            'Market data needs credentials here (PUBLIC_MARKET_DATA is off).',
          )
        : refuse(socket, 403, 'Forbidden', 'The credentials lack market:read.');
    }
    const symbols = query.data.symbols ?? [];
    server.handleUpgrade(req, socket, head, (ws) => {
      let alive = true;
      ws.on('pong', () => (alive = true));
      const sink: TLiveSink = {
        transport: 'ws',
        encode: encodeSocketFrame,
        write(frame, flushed) {
          if (ws.readyState !== ws.OPEN) return flushed();
          ws.send(frame, { binary: false }, () => flushed());
        },
        heartbeat() {
          if (!alive) return false;
          alive = false;
          if (ws.readyState === ws.OPEN) ws.ping();
          return true;
        },
        end(code, reason) {
          if (code === 'heartbeat') return ws.terminate();
          ws.close(code === 'idle' ? CLOSE.idle : CLOSE.restart, reason.slice(0, 120));
        },
      };
      serve(ws, deps.live.open(liveClientKey(actor), sink, symbols), symbols);
    });
  };
}

/** A tick frame's bytes: the same for every socket, so one Buffer serves every socket of a batch. */
export const encodeSocketFrame = (kind: TLiveFrameKind, ticks: TTick[]): Buffer =>
  Buffer.from(JSON.stringify({ type: kind, ticks } satisfies TLiveServerMessage));

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
