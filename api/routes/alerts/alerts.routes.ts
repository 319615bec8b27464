import { defineRoute } from '../define-route.ts';
import { streamAlerts } from './alert-stream.ts';
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

export const alertRoutes = [
  defineRoute({
    method: 'get',
    path: `${BASE}/stream`,
    tags,
    summary: "Live stream of one's alert events (Server-Sent Events)",
    description:
      'Each event: `id` (increasing), `event: alert`, `data` (the AlertEvent JSON). With `Last-Event-ID` (or `last_event_id`), the events after it are sent first from the history, then live ones; a comment every 15 s keeps proxies from closing the connection. ' +
      'The stream lives as long as the session or key it was opened with: logout, ended sessions, suspension, a role or password change or a revoked or expired key end it (`event: end` with the reason, then the connection closes) at once, or at the latest within ALERT_STREAM_RECHECK_SECONDS (30). ' +
      'At most ALERT_STREAMS_PER_USER (5) streams are open per user over every replica, whether by sessions or keys; one more is a 429 problem.',
    request: { query: ZStreamQuery },
    permission: 'alerts:manage',
    response: {
      status: 200,
      description: 'text/event-stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    handler: streamAlerts,
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
