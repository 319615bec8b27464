import { deliverWebhookProcessor } from './deliver-webhook.processor.ts';

/** Handlers of the webhooks feature's jobs (core/webhooks/webhooks.jobs.ts). */
export const webhookProcessors = { 'deliver-webhook': deliverWebhookProcessor };
