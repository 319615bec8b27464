import { randomUUID } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { ownsOrMay, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TJobProducer } from '../platform/jobs/index.ts';
import { createDeliveryAttempt, type TDeliverySettings } from './delivery.ts';
import { newWebhookSecret, type TSecretBox } from './signature.ts';
import { checkUrl, resolveTarget, systemResolve, TargetRefused, type TResolve } from './targets.ts';
import {
  countEndpoints,
  deleteEndpoint,
  findDelivery,
  findEndpoint,
  insertDeliveries,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  resetDelivery,
  rotateSecret,
  setEndpointState,
  stalledDeliveries,
  subscribers,
  TEST_EVENT,
  type TDeliveryStatus,
  type TEndpointRecord,
  type TWebhookEvent,
} from './webhooks.repository.ts';

export type TWebhookSettings = TDeliverySettings & {
  secretGraceMs: number;
  maxEndpoints: number;
};

/**
 * Schedules one delivery attempt (a BullMQ job in the worker). `step` (`<round>-<attempt>`) makes the
 * job id, so a step scheduled twice (a worker dying after scheduling) is one job.
 */
export type TScheduleAttempt = (deliveryId: string, step: string, delayMs: number) => Promise<void>;

const MAX_ENDPOINTS_DEFAULT = 20;
const notFound = (what: string, id: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No ${what} with id "${id}".` });
const messageId = () => `msg_${randomUUID().replace(/-/g, '')}`;

export type TWebhooksService = ReturnType<typeof createWebhooksService>;

/**
 * Webhook endpoints (owner-scoped, 404 to others), the events fanned out to them, and delivery
 * attempts: Standard Webhooks headers and signatures, a retry ladder with jitter, the dead letter after
 * the last attempt, endpoints disabled on 410 or after repeated dead deliveries (their owner told by
 * an `endpoint.disabled` event to the other endpoints).
 */
export function createWebhooksService(deps: {
  db: DataSource;
  box: TSecretBox;
  settings: TWebhookSettings;
  audit: TAuditService;
  /** The job system: each attempt is a `deliver-webhook` job; a dead delivery goes to the dead letters. */
  jobs: TJobProducer<'deliver-webhook'>;
  /** How receivers' names resolve (default: the system resolver). */
  resolve?: TResolve;
  /** Trusted CAs for https receivers; undefined: Node's default store. */
  trust?: SecureContext;
  now?: () => Date;
}) {
  const { db, box, settings, audit } = deps;
  const now = deps.now ?? (() => new Date());
  const resolve = deps.resolve ?? systemResolve;
  const policy = { allowPrivate: settings.allowPrivate, requireHttps: settings.requireHttps };
  const schedule: TScheduleAttempt = async (deliveryId, step, delayMs) => {
    await deps.jobs.enqueue('deliver-webhook', { delivery_id: deliveryId, step }, Date.now(), { delayMs });
  };

  async function owned(actor: TActor, id: string, q: TQueryable = db, forUpdate = false) {
    requirePermission(actor, 'alerts:manage');
    const user = requireUser(actor);
    const endpoint = await findEndpoint(q, id, { forUpdate });
    if (!endpoint || !ownsOrMay(user, endpoint.owner_id, 'alerts:admin'))
      throw notFound('webhook endpoint', id);
    return endpoint;
  }

  const refused = (error: TargetRefused) =>
    new AppError(ErrorCode.Unprocessable, {
      detail: `url: ${error.message}`,
      extensions: { reason: error.reason },
    });

  /** Stores one delivery per endpoint in `q` (a caller's transaction, so they commit with its cause). */
  async function stage(q: TQueryable, endpoints: readonly TEndpointRecord[], type: string, data: unknown) {
    const rows = endpoints.map((endpoint) => ({
      id: messageId(),
      endpoint_id: endpoint.id,
      event_type: type,
      body: JSON.stringify({ type, timestamp: now().toISOString(), data }),
    }));
    await insertDeliveries(q, rows);
    return rows.map((row) => row.id);
  }

  /** Stores one delivery per endpoint and schedules each first attempt at once. */
  async function fanOut(endpoints: readonly TEndpointRecord[], type: string, data: unknown) {
    const ids = await stage(db, endpoints, type, data);
    for (const id of ids) await schedule(id, '0-0', 0);
    return ids;
  }

  async function disable(endpoint: TEndpointRecord, reason: string): Promise<void> {
    const changed = await setEndpointState(db, endpoint.id, { status: 'disabled', disabled_reason: reason });
    if (!changed) return;
    const others = (await subscribers(db, endpoint.owner_id, 'endpoint.disabled')).filter(
      (other) => other.id !== endpoint.id,
    );
    await fanOut(others, 'endpoint.disabled', { endpoint_id: endpoint.id, url: endpoint.url, reason });
  }

  const attempt = createDeliveryAttempt({
    db,
    box,
    settings,
    resolve,
    trust: deps.trust,
    schedule,
    deadLetter: (entry) => deps.jobs.toDeadLetter({ source: 'webhook', ...entry }),
    disable,
    now,
  });

  return {
    async create(actor: TActor, input: { url: string; events: TWebhookEvent[]; description?: string }) {
      requirePermission(actor, 'alerts:manage');
      const user = requireUser(actor);
      try {
        await resolveTarget(checkUrl(input.url, policy), policy, resolve);
      } catch (error) {
        if (error instanceof TargetRefused) throw refused(error);
        throw error;
      }
      const secret = newWebhookSecret();
      return inTransaction(db, async (tx) => {
        // Counted under a lock per owner: racing creations cannot pass the quota.
        await lockKey(tx, `quota:webhooks:${user.userId}`);
        const maxEndpoints = settings.maxEndpoints || MAX_ENDPOINTS_DEFAULT;
        if ((await countEndpoints(tx, user.userId)) >= maxEndpoints)
          throw new AppError(ErrorCode.Conflict, {
            detail: `At most ${maxEndpoints} webhook endpoints per user (WEBHOOK_MAX_ENDPOINTS).`,
            extensions: { reason: 'quota_exceeded', quota: 'webhook_max_endpoints', limit: maxEndpoints },
          });
        const endpoint = await insertEndpoint(tx, {
          owner_id: user.userId,
          url: input.url,
          description: input.description ?? '',
          events: [...new Set(input.events)],
          secret_box: box.seal(secret),
        });
        await audit.record(tx, actor, {
          action: 'webhook.create',
          outcome: 'success',
          target: { type: 'webhook_endpoint', id: endpoint.id },
          details: { url: endpoint.url, events: endpoint.events },
        });
        return { ...endpoint, secret };
      });
    },

    async list(actor: TActor) {
      requirePermission(actor, 'alerts:manage');
      return { data: await listEndpoints(db, requireUser(actor).userId) };
    },

    async get(actor: TActor, id: string): Promise<TEndpointRecord> {
      const { secret_box: _secret, previous_secret_box: _previous, ...endpoint } = await owned(actor, id);
      return endpoint;
    },

    async remove(actor: TActor, id: string): Promise<void> {
      await inTransaction(db, async (tx) => {
        await owned(actor, id, tx, true);
        await deleteEndpoint(tx, id);
        await audit.record(tx, actor, {
          action: 'webhook.delete',
          outcome: 'success',
          target: { type: 'webhook_endpoint', id },
        });
      });
    },

    /** A new secret, shown once; the previous one still signs (a second signature) for the grace period. */
    async rotate(actor: TActor, id: string) {
      const secret = newWebhookSecret();
      return inTransaction(db, async (tx) => {
        await owned(actor, id, tx, true);
        const endpoint = await rotateSecret(
          tx,
          id,
          box.seal(secret),
          new Date(now().getTime() + settings.secretGraceMs),
        );
        await audit.record(tx, actor, {
          action: 'webhook.rotate_secret',
          outcome: 'success',
          target: { type: 'webhook_endpoint', id },
        });
        return { ...endpoint, secret };
      });
    },

    /** Re-enables a disabled endpoint (after its receiver is fixed). */
    async enable(actor: TActor, id: string) {
      await owned(actor, id);
      return (await setEndpointState(db, id, {
        status: 'enabled',
        disabled_reason: null,
        consecutive_failures: 0,
      }))!;
    },

    async test(actor: TActor, id: string) {
      const endpoint = await owned(actor, id);
      const [deliveryId] = await fanOut([endpoint], TEST_EVENT, {
        endpoint_id: id,
        message: 'A test delivery.',
      });
      return (await findDelivery(db, deliveryId!))!;
    },

    async deliveries(
      actor: TActor,
      id: string,
      query: { status?: TDeliveryStatus; limit: number; cursor?: { at: string; id: string } },
    ) {
      await owned(actor, id);
      const rows = await listDeliveries(db, id, {
        limit: query.limit + 1,
        ...(query.status ? { status: query.status } : {}),
        ...(query.cursor ? { before: { created_at: query.cursor.at, id: query.cursor.id } } : {}),
      });
      const data = rows.slice(0, query.limit);
      return {
        data,
        pagination: {
          limit: query.limit,
          next_cursor: rows.length > query.limit ? `${data.at(-1)!.created_at}~${data.at(-1)!.id}` : null,
        },
      };
    },

    /** Sends a delivery again (a dead one included): a fresh round of attempts, same webhook-id. */
    async redeliver(actor: TActor, id: string, deliveryId: string) {
      const endpoint = await owned(actor, id);
      const found = await findDelivery(db, deliveryId);
      if (!found || found.endpoint_id !== endpoint.id) throw notFound('delivery', deliveryId);
      if (found.status === 'pending' || found.status === 'retrying')
        throw new AppError(ErrorCode.Conflict, { detail: 'This delivery is still being attempted.' });
      await resetDelivery(db, deliveryId);
      await schedule(deliveryId, `${found.round + 1}-0`, 0);
      await audit.recordAlone(actor, {
        action: 'webhook.redeliver',
        outcome: 'success',
        target: { type: 'webhook_delivery', id: deliveryId },
      });
      return (await findDelivery(db, deliveryId))!;
    },

    /** For the dead-letter replay (admins): a new round of attempts for a dead delivery. */
    async replay(deliveryId: string) {
      const found = await findDelivery(db, deliveryId);
      if (!found) throw notFound('delivery', deliveryId);
      if (found.status !== 'dead')
        throw new AppError(ErrorCode.Conflict, {
          detail: `Delivery ${deliveryId} is ${found.status}, not dead.`,
        });
      await resetDelivery(db, deliveryId);
      await schedule(deliveryId, `${found.round + 1}-0`, 0);
      return (await findDelivery(db, deliveryId))!;
    },

    /**
     * An event's deliveries stored in the caller's transaction: they commit, or roll back, with the
     * event itself. Schedule them after the commit (`schedule`); a crash in between leaves them pending,
     * and `resumeStalled` picks them up.
     */
    async stage(q: TQueryable, ownerId: string, type: TWebhookEvent, data: unknown): Promise<string[]> {
      return stage(q, await subscribers(q, ownerId, type), type, data);
    },

    async schedule(deliveryIds: readonly string[]): Promise<void> {
      for (const id of deliveryIds) await schedule(id, '0-0', 0);
    },

    /** Deliveries stored but never attempted for over `olderThanMs` (their scheduling was lost): schedule them. */
    async resumeStalled(olderThanMs = 120_000): Promise<number> {
      const ids = await stalledDeliveries(db, new Date(now().getTime() - olderThanMs));
      // The same step's job id as the first scheduling: a job still waiting is not added twice.
      for (const id of ids) await schedule(id, '0-0', 0);
      return ids.length;
    },

    /** One attempt (the worker's job): see delivery.ts. */
    attempt,
  };
}
