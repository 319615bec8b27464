import { alertChannel, type TAlertEventRecord } from '../../../core/alerts/index.ts';
import { lastEventIdHeader } from '../../http/last-event-id.ts';
import { credentialsChannel } from '../../../core/auth/index.ts';
import { requireUser } from '../../../core/platform/access/index.ts';
import { AppError, ErrorCode } from '../../../core/platform/errors/app-error.ts';
import type { TRouteContext } from '../define-route.ts';
import type { ZStreamQuery } from './alerts.schemas.ts';

const HEARTBEAT_MS = 15_000;
const sse = (event: TAlertEventRecord) => `id: ${event.id}\nevent: alert\ndata: ${JSON.stringify(event)}\n\n`;
const redisAway = () =>
  new AppError(ErrorCode.DependencyUnavailable, {
    detail: 'Live alert streams need Redis, which is unavailable; retry shortly.',
  });

/**
 * One user's live alert stream (SSE). It lives only as long as the grant it was opened with: the user's
 * credential changes are published on Redis (logout, a reused refresh token, ended sessions, suspension,
 * a role or password change, a revoked key) and every open stream of that user re-checks its own
 * session or key at once, and again every ALERT_STREAM_RECHECK_SECONDS (the safety net for a lost
 * message or a credential that simply expired). A stream whose grant is gone gets `event: end` and is
 * closed. Each user holds at most ALERT_STREAMS_PER_USER open streams over every replica (leases in Redis).
 */
export async function streamAlerts({
  input,
  actor,
  deps,
  req,
  res,
}: TRouteContext<{ query: typeof ZStreamQuery }>): Promise<void> {
  const header = lastEventIdHeader(req, 18);
  const user = requireUser(actor);
  const { streams, streamLeases } = deps.system;
  const lease = await streamLeases.acquire(user.userId).catch(() => {
    throw redisAway();
  });
  if (!lease) {
    throw new AppError(ErrorCode.RateLimited, {
      detail: `At most ${streamLeases.max} alert streams may be open per user; close one first.`,
      extensions: { max_streams: streamLeases.max },
    });
  }

  const resumeAfter = header ?? input.query.last_event_id;
  // Live events are held back until the history is sent, then passed on unless already sent.
  let lastSent = BigInt(resumeAfter ?? 0);
  let replaying = true;
  let ended = false;
  const held: TAlertEventRecord[] = [];
  // What end() undoes: the subscriptions, then the timer once it runs.
  const stops: (() => Promise<void>)[] = [];
  const write = (event: TAlertEventRecord) => {
    if (ended || BigInt(event.id) <= lastSent) return;
    lastSent = BigInt(event.id);
    res.write(sse(event));
  };
  const end = (reason?: string) => {
    if (ended) return;
    ended = true;
    for (const stop of stops) void stop();
    void lease.release();
    if (reason && res.headersSent && !res.writableEnded)
      res.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
    if (res.headersSent) res.end();
  };
  let checking: Promise<void> | null = null;
  // A database that cannot answer ends the stream too: the client reconnects and is authorized anew.
  const recheck = () =>
    (checking ??= deps.services.auth
      .stillStands(actor)
      .catch(() => false)
      .then((stands) => {
        checking = null;
        if (!stands) end('The session or key this stream was opened with has ended or changed.');
      }));

  try {
    stops.push(
      await streams.listen(alertChannel(deps.config.REDIS_KEY_PREFIX, user.userId), (message) => {
        const event = JSON.parse(message) as TAlertEventRecord;
        if (replaying) held.push(event);
        else write(event);
      }),
      await streams.listen(
        credentialsChannel(deps.config.REDIS_KEY_PREFIX, user.userId),
        () => void recheck(),
      ),
    );
  } catch {
    end();
    throw redisAway();
  }
  res.on('close', () => end());
  // What changed between authentication and the subscription above was published before it listened.
  await recheck();
  if (ended) throw new AppError(ErrorCode.Unauthorized, { detail: 'The credentials are not valid.' });

  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  const recheckEvery = deps.config.ALERT_STREAM_RECHECK_SECONDS;
  let ticks = 0;
  const timer = setInterval(() => {
    if (ended) return clearInterval(timer); // the client left before the timer was handed to end()
    ticks += 1;
    // A shutting-down API ends its streams (clients reconnect to another replica with Last-Event-ID).
    if (deps.system.isShuttingDown()) return end();
    if (ticks % (HEARTBEAT_MS / 1000) === 0) res.write(': keep-alive\n\n');
    if (ticks % recheckEvery === 0) {
      void lease.renew();
      void recheck();
    }
  }, 1000);
  stops.push(async () => clearInterval(timer));
  if (resumeAfter !== undefined) {
    for (let page = await deps.services.alerts.eventsSince(actor, resumeAfter); page.length && !ended;) {
      page.forEach(write);
      page = page.length < 500 ? [] : await deps.services.alerts.eventsSince(actor, page.at(-1)!.id);
    }
  }
  replaying = false;
  held.forEach(write);
}
