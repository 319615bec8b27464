import type { TActor } from '../../../core/platform/access/index.ts';
import { lastEventIdHeader } from '../../http/last-event-id.ts';
import { AppError, ErrorCode } from '../../../core/platform/errors/app-error.ts';
import type { TRouteContext } from '../define-route.ts';
import type { TTick } from '../../../core/market/index.ts';
import { LiveCapError, type TLiveFrameKind, type TLiveSink } from './live-sink.ts';
import type { ZLiveStreamQuery } from './live.schemas.ts';

/** Streams are capped per client: the user (sessions and keys alike), else the address. */
export const liveClientKey = (actor: TActor): string =>
  actor.kind === 'anonymous' ? `ip:${actor.ip}` : `user:${actor.userId}`;

export const capProblem = (error: LiveCapError) =>
  new AppError(ErrorCode.RateLimited, {
    detail: error.message,
    extensions: { max_streams: error.max, scope: error.scope },
  });

export const liveRedisAway = () =>
  new AppError(ErrorCode.DependencyUnavailable, {
    detail: 'Live market streams need Redis, which is unavailable; retry shortly.',
  });

/** SSE bytes of a frame: the snapshot as one event, ticks as one event each (`id` = seq, for Last-Event-ID). */
export function encodeEventFrame(kind: TLiveFrameKind, ticks: TTick[]): Buffer {
  if (kind === 'snapshot') {
    const seq = Math.max(-1, ...ticks.map((tick) => tick.seq));
    return Buffer.from(
      `${seq >= 0 ? `id: ${seq}\n` : ''}event: snapshot\ndata: ${JSON.stringify({ ticks })}\n\n`,
    );
  }
  return Buffer.from(
    ticks.map((tick) => `id: ${tick.seq}\nevent: tick\ndata: ${JSON.stringify(tick)}\n\n`).join(''),
  );
}

/**
 * GET /api/v1/cryptocurrencies/stream (SSE): `event: snapshot` (the latest tick of each symbol), then
 * `event: tick` per tick, each with `id: <seq>`; with Last-Event-ID, the ticks after it from the replay
 * list instead of the snapshot (the snapshot when the list no longer reaches back that far).
 */
export async function streamMarket({
  input,
  actor,
  deps,
  req,
  res,
}: TRouteContext<{ query: typeof ZLiveStreamQuery }>): Promise<void> {
  const header = lastEventIdHeader(req, 15);
  const resumeAfter = header ?? input.query.last_event_id;
  let ended = false;
  const sink: TLiveSink = {
    transport: 'sse',
    encode: encodeEventFrame,
    write(frame, flushed) {
      if (ended) return;
      // The callback runs once the socket took the bytes: until then, newer ticks are conflated.
      res.write(frame, () => flushed());
    },
    heartbeat() {
      if (!ended) res.write(': keep-alive\n\n');
      return true;
    },
    end(_code, reason) {
      if (ended) return;
      ended = true;
      res.write(`event: end\ndata: ${JSON.stringify({ reason, reconnect: true })}\n\n`);
      res.end();
    },
  };
  const client = await deps.system.live
    .open(liveClientKey(actor), sink, input.query.symbols)
    .catch((error) => {
      throw error instanceof LiveCapError ? capProblem(error) : liveRedisAway();
    });
  res.on('close', () => {
    ended = true;
    client.close();
  });
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  await client.start(resumeAfter === undefined ? undefined : Number(resumeAfter)).catch(() => {
    sink.end('shutdown', 'Live market streams need Redis, which is unavailable; reconnect shortly.');
    client.close();
  });
}
