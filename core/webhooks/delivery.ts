import type { SecureContext } from 'node:tls';
import type { DataSource } from 'typeorm';
import { ROLE_PERMISSIONS, type TRole } from '../platform/access/index.ts';
import type { TDeliveryDeadLetter } from '../platform/jobs/index.ts';
import { send } from './outbound.ts';
import { signatureHeader, type TSecretBox } from './signature.ts';
import type { TResolve, TTargetPolicy } from './targets.ts';
import {
  findDelivery,
  findEndpoint,
  ownerStanding,
  recordAttempt,
  setEndpointState,
  withholdDelivery,
  type TEndpointRecord,
} from './webhooks.repository.ts';

export type TDeliverySettings = TTargetPolicy & {
  /** Delay before each retry, in ms; after the last one the delivery is dead (the dead letter). */
  retrySchedule: readonly number[];
  /** Silence allowed while connecting or waiting for the receiver. */
  timeoutMs: number;
  /** The whole attempt, resolution to last byte: a receiver trickling bytes cannot hold a worker slot longer. */
  deadlineMs: number;
  maxResponseBytes: number;
  /** Consecutive dead deliveries after which an endpoint is disabled. */
  disableAfterDead: number;
};

export type TAttemptOutcome = {
  outcome: 'succeeded' | 'retrying' | 'dead' | 'withheld' | 'skipped';
  status_code?: number | null;
};

// ±20 % around each step of the ladder, so that many failing deliveries do not retry in lockstep.
const jittered = (delay: number) => Math.round(delay * (0.8 + Math.random() * 0.4));

/**
 * Why an endpoint's owner may no longer receive its events (null: they may). An owner suspended, or
 * whose role lost `alerts:manage`, stops receiving at once, whatever was queued before.
 */
async function withheldBecause(db: DataSource, endpoint: TEndpointRecord): Promise<string | null> {
  const owner = await ownerStanding(db, endpoint.owner_id);
  if (!owner) return 'not sent: the endpoint’s owner no longer exists';
  if (owner.status !== 'active') return `not sent: the endpoint’s owner is ${owner.status}`;
  if (!ROLE_PERMISSIONS[owner.role as TRole]?.includes('alerts:manage'))
    return 'not sent: the endpoint’s owner no longer holds alerts:manage';
  return null;
}

/**
 * One delivery attempt (the worker's `deliver-webhook` job): sign with every secret in force, POST,
 * record the outcome; on failure schedule the next step of the ladder or, after the last, mark it dead.
 */
export function createDeliveryAttempt(deps: {
  db: DataSource;
  box: TSecretBox;
  settings: TDeliverySettings;
  resolve: TResolve;
  /** Trusted CAs for https receivers (WEBHOOK_CA_FILE); undefined: Node's default store. */
  trust: SecureContext | undefined;
  schedule: (deliveryId: string, step: string, delayMs: number) => Promise<void>;
  deadLetter: (entry: TDeliveryDeadLetter) => Promise<void>;
  disable: (endpoint: TEndpointRecord, reason: string) => Promise<void>;
  now: () => Date;
}) {
  const { db, box, settings } = deps;
  const policy = { allowPrivate: settings.allowPrivate, requireHttps: settings.requireHttps };

  return async function attempt(deliveryId: string): Promise<TAttemptOutcome> {
    const found = await findDelivery(db, deliveryId);
    if (!found || found.status === 'succeeded' || found.status === 'dead') return { outcome: 'skipped' };
    const endpoint = await findEndpoint(db, found.endpoint_id);
    if (!endpoint) return { outcome: 'skipped' };
    if (endpoint.status === 'disabled') {
      await recordAttempt(db, deliveryId, {
        status: 'dead',
        status_code: null,
        error: 'endpoint disabled',
        latency_ms: null,
        next_attempt_at: null,
      });
      return { outcome: 'dead' };
    }
    const withheld = await withheldBecause(db, endpoint);
    if (withheld) {
      // Not the receiver's fault: no retry ladder, no dead-letter entry, no strike against the endpoint.
      await withholdDelivery(db, deliveryId, withheld);
      return { outcome: 'withheld' };
    }
    const at = deps.now();
    const secrets = [box.open(endpoint.secret_box)];
    if (
      endpoint.previous_secret_box &&
      endpoint.previous_secret_until &&
      new Date(endpoint.previous_secret_until) > at
    )
      secrets.push(box.open(endpoint.previous_secret_box));
    const timestamp = Math.floor(at.getTime() / 1000);
    let statusCode: number | null = null;
    let error: string | null = null;
    let latency: number | null = null;
    let retryAfterMs: number | null = null;
    try {
      const answer = await send(
        endpoint.url,
        policy,
        deps.resolve,
        {
          'content-type': 'application/json',
          'user-agent': 'trading-backend-webhooks/1',
          'webhook-id': found.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(secrets, found.id, timestamp, found.body),
        },
        found.body,
        {
          timeoutMs: settings.timeoutMs,
          deadlineMs: settings.deadlineMs,
          maxBytes: settings.maxResponseBytes,
          secureContext: deps.trust,
        },
      );
      statusCode = answer.status;
      latency = answer.latencyMs;
      if (answer.status >= 200 && answer.status < 300) {
        await recordAttempt(db, deliveryId, {
          status: 'succeeded',
          status_code: statusCode,
          error: null,
          latency_ms: latency,
          next_attempt_at: null,
        });
        await setEndpointState(db, endpoint.id, { consecutive_failures: 0 });
        return { outcome: 'succeeded', status_code: statusCode };
      }
      error =
        answer.status >= 300 && answer.status < 400 ? 'redirects are not followed' : `HTTP ${answer.status}`;
      const seconds = Number(answer.retryAfter);
      if ([429, 502, 503, 504].includes(answer.status) && Number.isFinite(seconds) && seconds > 0)
        retryAfterMs = Math.min(seconds * 1000, 24 * 3600_000);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    // The endpoint's state is written before the delivery shows as dead: whoever sees a dead delivery
    // (its owner, a test) sees the endpoint it disabled too.
    if (statusCode === 410) {
      await deps.disable(endpoint, 'the receiver answered 410 Gone');
      await recordAttempt(db, deliveryId, {
        status: 'dead',
        status_code: 410,
        error: 'the receiver answered 410 Gone',
        latency_ms: latency,
        next_attempt_at: null,
      });
      return { outcome: 'dead', status_code: 410 };
    }
    const step = found.attempts; // attempts made before this one
    if (step < settings.retrySchedule.length) {
      const delay = Math.max(jittered(settings.retrySchedule[step]!), retryAfterMs ?? 0);
      await recordAttempt(db, deliveryId, {
        status: 'retrying',
        status_code: statusCode,
        error,
        latency_ms: latency,
        next_attempt_at: new Date(at.getTime() + delay),
      });
      await deps.schedule(deliveryId, `${found.round}-${step + 1}`, delay);
      return { outcome: 'retrying', status_code: statusCode };
    }
    const failures = endpoint.consecutive_failures + 1;
    await setEndpointState(db, endpoint.id, { consecutive_failures: failures });
    if (failures >= settings.disableAfterDead)
      await deps.disable(endpoint, `${failures} deliveries in a row failed every attempt`);
    await recordAttempt(db, deliveryId, {
      status: 'dead',
      status_code: statusCode,
      error,
      latency_ms: latency,
      next_attempt_at: null,
    });
    await deps.deadLetter({
      delivery_id: deliveryId,
      endpoint_id: endpoint.id,
      event_type: found.event_type,
      round: found.round,
      failed_reason: error ?? `HTTP ${statusCode}`,
      attempts: found.attempts + 1,
      failed_at: at.toISOString(),
    });
    return { outcome: 'dead', status_code: statusCode };
  };
}
