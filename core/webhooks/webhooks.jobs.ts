import { z } from 'zod';
import { defineJob, ZAsOf } from '../platform/jobs/define-job.ts';
import type { TWebhooksService } from './webhooks.service.ts';

/** The webhooks feature's job: one delivery attempt. */
export const WEBHOOK_JOBS = [
  // One job per attempt; the webhooks service schedules the next step of its own ladder. BullMQ's
  // attempts here only cover a processor that could not run at all (the database away, say).
  defineJob({
    name: 'deliver-webhook',
    schema: z.strictObject({
      delivery_id: z.string().regex(/^msg_[0-9a-f]{32}$/),
      step: z
        .string()
        .regex(/^\d{1,6}-\d{1,3}$/)
        .describe('<round>-<attempt>: one job per attempt'),
      as_of: ZAsOf,
    }),
    windowMs: 1,
    jobId: (payload) => `deliver-webhook-${payload.delivery_id}-${payload.step}`,
    concurrency: 16,
    options: {
      attempts: 5,
      backoff: { type: 'cooldown-aware', delay: 5_000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
    // The service records the attempt and schedules the next step or files the dead letter.
    async handle(payload, run, { webhooks }: { webhooks: TWebhooksService }) {
      const result = await webhooks.attempt(payload.delivery_id);
      await run.progress(100);
      return { delivery_id: payload.delivery_id, step: payload.step, ...result };
    },
  }),
] as const;
