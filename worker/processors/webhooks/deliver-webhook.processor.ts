import type { TProcessor } from '../processor.types.ts';

/** One delivery attempt; the service records it and schedules the next step or the dead letter. */
export const deliverWebhookProcessor: TProcessor<'deliver-webhook'> = async (payload, job, deps) => {
  const result = await deps.webhooks.attempt(payload.delivery_id);
  await job.updateProgress(100);
  return { delivery_id: payload.delivery_id, step: payload.step, ...result };
};
