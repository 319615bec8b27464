import { randomUUID } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import type { DataSource } from 'typeorm';
import type { TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TDeliveryDeadLetter } from '../platform/jobs/index.ts';
import { createDeliveryAttempt, type TDeliverySettings } from './delivery.ts';
import type { TSecretBox } from './signature.ts';
import type { TResolve } from './targets.ts';
import {
  findDelivery,
  insertDeliveries,
  resetDelivery,
  setEndpointState,
  stalledDeliveries,
  subscribers,
  type TDeliveryRecord,
  type TEndpointRecord,
  type TWebhookEvent,
} from './webhooks.repository.ts';

/**
 * Schedules one delivery attempt (a BullMQ job in the worker). `step` (`<round>-<attempt>`) makes the
 * job id, so a step scheduled twice (a worker dying after scheduling) is one job.
 */
export type TScheduleAttempt = (deliveryId: string, step: string, delayMs: number) => Promise<void>;

export const webhookNotFound = (what: string, id: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No ${what} with id "${id}".` });
const messageId = () => `msg_${randomUUID().replace(/-/g, '')}`;

export type TDeliveryEngine = ReturnType<typeof createDeliveryEngine>;

/**
 * The delivery engine: events fanned out to endpoints as stored deliveries, and their attempts:
 * Standard Webhooks headers and signatures, a retry ladder with jitter, the dead letter after the last
 * attempt, endpoints disabled on 410 or after repeated dead deliveries (their owner told by an
 * `endpoint.disabled` event to the other endpoints). No actor in here: the endpoints service checks
 * who may ask.
 */
export function createDeliveryEngine(deps: {
  db: DataSource;
  box: TSecretBox;
  settings: TDeliverySettings;
  schedule: TScheduleAttempt;
  deadLetter: (entry: TDeliveryDeadLetter) => Promise<void>;
  resolve: TResolve;
  trust: SecureContext | undefined;
  now: () => Date;
}) {
  const { db, now } = deps;
  const scheduleFirst = async (ids: readonly string[]) => {
    for (const id of ids) await deps.schedule(id, '0-0', 0);
  };

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
    await scheduleFirst(ids);
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

  /** A fresh round of attempts for a finished delivery, same webhook-id. */
  async function newRound(delivery: TDeliveryRecord): Promise<TDeliveryRecord> {
    await resetDelivery(db, delivery.id);
    await deps.schedule(delivery.id, `${delivery.round + 1}-0`, 0);
    return (await findDelivery(db, delivery.id))!;
  }

  return {
    fanOut,
    newRound,

    /** For the dead-letter replay (admins): a new round of attempts for a dead delivery. */
    async replay(deliveryId: string) {
      const found = await findDelivery(db, deliveryId);
      if (!found) throw webhookNotFound('delivery', deliveryId);
      if (found.status !== 'dead')
        throw new AppError(ErrorCode.Conflict, {
          detail: `Delivery ${deliveryId} is ${found.status}, not dead.`,
        });
      return newRound(found);
    },

    /**
     * An event's deliveries stored in the caller's transaction: they commit, or roll back, with the
     * event itself. Schedule them after the commit (`schedule`); a crash in between leaves them pending,
     * and `resumeStalled` picks them up.
     */
    async stage(q: TQueryable, ownerId: string, type: TWebhookEvent, data: unknown): Promise<string[]> {
      return stage(q, await subscribers(q, ownerId, type), type, data);
    },

    schedule: scheduleFirst,

    /** Deliveries stored but never attempted for over `olderThanMs` (their scheduling was lost): schedule them. */
    async resumeStalled(olderThanMs = 120_000): Promise<number> {
      const ids = await stalledDeliveries(db, new Date(now().getTime() - olderThanMs));
      // The same step's job id as the first scheduling: a job still waiting is not added twice.
      await scheduleFirst(ids);
      return ids.length;
    },

    /** One attempt (the worker's job): see delivery.ts. */
    attempt: createDeliveryAttempt({ ...deps, disable }),
  };
}
