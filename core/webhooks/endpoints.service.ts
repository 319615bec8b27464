import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { requireOwned, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { keysetPage, timeCursor } from '../platform/paging.ts';
import { webhookNotFound, type TDeliveryEngine } from './delivery-engine.ts';
import type { TDeliverySettings } from './delivery.ts';
import { newWebhookSecret, type TSecretBox } from './signature.ts';
import { checkUrl, resolveTarget, TargetRefused, type TResolve } from './targets.ts';
import {
  countEndpoints,
  deleteEndpoint,
  findDelivery,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  rotateSecret,
  setEndpointState,
  TEST_EVENT,
  type TDeliveryStatus,
  type TEndpointRecord,
  type TWebhookEvent,
} from './webhooks.repository.ts';

export type TWebhookSettings = TDeliverySettings & {
  secretGraceMs: number;
  maxEndpoints: number;
};

const MAX_ENDPOINTS_DEFAULT = 20;

const refused = (error: TargetRefused) =>
  new AppError(ErrorCode.Unprocessable, {
    detail: `url: ${error.message}`,
    extensions: { reason: error.reason },
  });

/** Webhook endpoints, owner-scoped (404 to others): created, listed, rotated, tested, redelivered. */
export function createEndpointsService(deps: {
  db: DataSource;
  box: TSecretBox;
  settings: TWebhookSettings;
  audit: TAuditService;
  resolve: TResolve;
  now: () => Date;
  engine: TDeliveryEngine;
}) {
  const { db, box, settings, audit, engine } = deps;
  const policy = { allowPrivate: settings.allowPrivate, requireHttps: settings.requireHttps };

  const owned = (actor: TActor, id: string, q: TQueryable = db, forUpdate = false) =>
    requireOwned(
      actor,
      { manage: 'alerts:manage', admin: 'alerts:admin' },
      () => findEndpoint(q, id, { forUpdate }),
      () => webhookNotFound('webhook endpoint', id),
    );

  /** Runs `work` on the locked endpoint and audits `action` in the same transaction. */
  const audited = <T>(actor: TActor, id: string, action: string, work: (tx: TQueryable) => Promise<T>) =>
    inTransaction(db, async (tx) => {
      await owned(actor, id, tx, true);
      const result = await work(tx);
      await audit.record(tx, actor, { action, outcome: 'success', target: { type: 'webhook_endpoint', id } });
      return result;
    });

  return {
    async create(actor: TActor, input: { url: string; events: TWebhookEvent[]; description?: string }) {
      requirePermission(actor, 'alerts:manage');
      const user = requireUser(actor);
      try {
        await resolveTarget(checkUrl(input.url, policy), policy, deps.resolve);
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
      await audited(actor, id, 'webhook.delete', (tx) => deleteEndpoint(tx, id));
    },

    /** A new secret, shown once; the previous one still signs (a second signature) for the grace period. */
    async rotate(actor: TActor, id: string) {
      const secret = newWebhookSecret();
      const graceUntil = () => new Date(deps.now().getTime() + settings.secretGraceMs);
      const endpoint = await audited(actor, id, 'webhook.rotate_secret', (tx) =>
        rotateSecret(tx, id, box.seal(secret), graceUntil()),
      );
      return { ...endpoint, secret };
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
      const [deliveryId] = await engine.fanOut([endpoint], TEST_EVENT, {
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
      return keysetPage(
        query.limit,
        (limit) =>
          listDeliveries(db, id, {
            limit,
            ...(query.status ? { status: query.status } : {}),
            ...(query.cursor ? { before: { created_at: query.cursor.at, id: query.cursor.id } } : {}),
          }),
        (last) => timeCursor(last.created_at, last.id),
      );
    },

    /** Sends a delivery again (a dead one included): a fresh round of attempts, same webhook-id. */
    async redeliver(actor: TActor, id: string, deliveryId: string) {
      const endpoint = await owned(actor, id);
      const found = await findDelivery(db, deliveryId);
      if (!found || found.endpoint_id !== endpoint.id) throw webhookNotFound('delivery', deliveryId);
      if (found.status === 'pending' || found.status === 'retrying')
        throw new AppError(ErrorCode.Conflict, { detail: 'This delivery is still being attempted.' });
      const delivery = await engine.newRound(found);
      await audit.recordAlone(actor, {
        action: 'webhook.redeliver',
        outcome: 'success',
        target: { type: 'webhook_delivery', id: deliveryId },
      });
      return delivery;
    },
  };
}
