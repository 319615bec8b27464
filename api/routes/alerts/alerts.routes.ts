import { alertChannel, type TAlertEventRecord } from '../../../core/alerts/index.ts';
import { requireUser } from '../../../core/platform/access/index.ts';
import { AppError, ErrorCode } from '../../../core/platform/errors/app-error.ts';
import { defineRoute } from '../define-route.ts';
import {
  ZAlert,
  ZAlertCreate,
  ZAlertEventList,
  ZAlertEventQuery,
  ZAlertList,
  ZAlertParams,
  ZAlertPatch,
  ZStreamQuery,
} from './alerts.schemas.ts';

const tags = ['Alerts'];
const BASE = '/api/v1/alerts';
const HEARTBEAT_MS = 15_000;
const sse = (event: TAlertEventRecord) => `id: ${event.id}\nevent: alert\ndata: ${JSON.stringify(event)}\n\n`;

export const alertRoutes = [
  defineRoute({
    method: 'get',
    path: `${BASE}/stream`,
    tags,
    summary: "Live stream of one's alert events (Server-Sent Events)",
    description:
      'Each event: `id` (increasing), `event: alert`, `data` (the AlertEvent JSON). With `Last-Event-ID` (or `last_event_id`), the events after it are sent first from the history, then live ones; a comment every 15 s keeps proxies from closing the connection.',
    request: { query: ZStreamQuery },
    permission: 'alerts:manage',
    response: {
      status: 200,
      description: 'text/event-stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    handler: async ({ input, actor, deps, req, res }) => {
      const header = req.get('last-event-id');
      if (header !== undefined && !/^\d{1,18}$/.test(header)) {
        throw new AppError(ErrorCode.ValidationFailed, {
          detail: 'Last-Event-ID: must be an event id',
          errors: [{ name: 'Last-Event-ID', in: 'header', detail: 'must be an event id' }],
        });
      }
      const user = requireUser(actor);
      const resumeAfter = header ?? input.query.last_event_id;
      // Live events are held back until the history is sent, then passed on unless already sent.
      let lastSent = BigInt(resumeAfter ?? 0);
      let replaying = true;
      const held: TAlertEventRecord[] = [];
      const write = (event: TAlertEventRecord) => {
        if (BigInt(event.id) <= lastSent) return;
        lastSent = BigInt(event.id);
        res.write(sse(event));
      };
      const stop = await deps.system.streams
        .listen(alertChannel(deps.config.REDIS_KEY_PREFIX, user.userId), (message) => {
          const event = JSON.parse(message) as TAlertEventRecord;
          if (replaying) held.push(event);
          else write(event);
        })
        .catch(() => {
          throw new AppError(ErrorCode.DependencyUnavailable, {
            detail: 'Live alert streams need Redis, which is unavailable; retry shortly.',
          });
        });
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write('retry: 3000\n\n');
      let ticks = 0;
      const timer = setInterval(() => {
        // A shutting-down API ends its streams (clients reconnect to another replica with Last-Event-ID).
        if (deps.system.isShuttingDown()) res.end();
        else if ((ticks += 1) % (HEARTBEAT_MS / 1000) === 0) res.write(': keep-alive\n\n');
      }, 1000);
      res.on('close', () => {
        clearInterval(timer);
        void stop();
      });
      if (resumeAfter !== undefined) {
        for (let page = await deps.services.alerts.eventsSince(actor, resumeAfter); page.length;) {
          page.forEach(write);
          page = page.length < 500 ? [] : await deps.services.alerts.eventsSince(actor, page.at(-1)!.id);
        }
      }
      replaying = false;
      held.forEach(write);
    },
  }),
  defineRoute({
    method: 'post',
    path: BASE,
    tags,
    summary: 'Create an alert',
    description:
      'Kinds: price_above / price_below (a coin’s price against the threshold), pct_change (its change over window_hours), risk_metric (a coin’s or a portfolio’s metric, 365-day window, benchmark BTC), limit_breach (any of a portfolio’s limits in warning or breached). An alert fires once per crossing: it re-arms when the condition stops holding, and waits out cooldown_seconds after a firing.',
    request: { body: ZAlertCreate },
    permission: 'alerts:manage',
    idempotent: true,
    response: { status: 201, description: 'The alert', schema: ZAlert },
    problems: [404, 409, 413, 422],
    handler: ({ input, actor, deps }) => deps.services.alerts.create(actor, input.body),
  }),
  defineRoute({
    method: 'get',
    path: BASE,
    tags,
    summary: "One's alerts",
    permission: 'alerts:manage',
    response: { status: 200, description: 'The alerts', schema: ZAlertList },
    handler: ({ actor, deps }) => deps.services.alerts.list(actor),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    tags,
    summary: 'An alert and its state',
    request: { params: ZAlertParams },
    permission: 'alerts:manage',
    response: { status: 200, description: 'The alert', schema: ZAlert },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.alerts.get(actor, input.params.id),
  }),
  defineRoute({
    method: 'patch',
    path: `${BASE}/{id}`,
    tags,
    summary: 'Enable or disable an alert, or change its threshold or cooldown',
    request: { params: ZAlertParams, body: ZAlertPatch },
    permission: 'alerts:manage',
    response: { status: 200, description: 'The alert', schema: ZAlert },
    problems: [404, 413, 422],
    handler: ({ input, actor, deps }) => deps.services.alerts.update(actor, input.params.id, input.body),
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/{id}`,
    tags,
    summary: 'Delete an alert and its events',
    request: { params: ZAlertParams },
    permission: 'alerts:manage',
    response: { status: 204, description: 'Deleted' },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.alerts.remove(actor, input.params.id),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/events`,
    tags,
    summary: 'When the alert fired, newest first',
    request: { params: ZAlertParams, query: ZAlertEventQuery },
    permission: 'alerts:manage',
    response: { status: 200, description: 'Events', schema: ZAlertEventList },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.alerts.events(actor, input.params.id, input.query),
  }),
];
