import type { SecureContext } from 'node:tls';
import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import type { TJobProducer } from '../platform/jobs/index.ts';
import { createDeliveryEngine, type TScheduleAttempt } from './delivery-engine.ts';
import { createEndpointsService, type TWebhookSettings } from './endpoints.service.ts';
import type { TSecretBox } from './signature.ts';
import { systemResolve, type TResolve } from './targets.ts';

export type TWebhooksService = ReturnType<typeof createWebhooksService>;

/**
 * Webhooks, one part a job: endpoint management (endpoints.service.ts: owner-scoped, 404 to others)
 * and the delivery engine (delivery-engine.ts: events fanned out as stored deliveries, their attempts,
 * retries, the dead letter, endpoints disabled). The deps are the feature's one entry point.
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
  const now = deps.now ?? (() => new Date());
  const resolve = deps.resolve ?? systemResolve;
  const schedule: TScheduleAttempt = async (deliveryId, step, delayMs) => {
    await deps.jobs.enqueue('deliver-webhook', { delivery_id: deliveryId, step }, Date.now(), { delayMs });
  };
  const engine = createDeliveryEngine({
    db: deps.db,
    box: deps.box,
    settings: deps.settings,
    schedule,
    deadLetter: (entry) => deps.jobs.toDeadLetter({ source: 'webhook', ...entry }),
    resolve,
    trust: deps.trust,
    now,
  });
  const { fanOut: _fanOut, newRound: _newRound, ...delivery } = engine;
  return {
    ...createEndpointsService({ ...deps, resolve, now, engine }),
    ...delivery,
  };
}
