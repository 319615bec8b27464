// The webhooks feature's public module: endpoints, events fanned out to them, and delivery attempts.
export * from './webhooks.service.ts';
export {
  WEBHOOK_EVENTS,
  TEST_EVENT,
  type TWebhookEvent,
  type TDeliveryStatus,
} from './webhooks.repository.ts';
export { createSecretBox, verify as verifyWebhookSignature } from './signature.ts';
export { WEBHOOK_JOBS } from './webhooks.jobs.ts';
export { createWebhookTrust } from './outbound.ts';
export { dnsServersResolve, systemResolve } from './targets.ts';
export { resealSecrets, type TResealReport } from './reseal.ts';

import { CreateWebhooks1733356800000 } from './migrations/1733356800000-create-webhooks.ts';

/** The feature's schema, oldest first (core/features.ts runs every feature's). */
export const WEBHOOK_MIGRATIONS = [CreateWebhooks1733356800000];
