import { JOB_STATES } from '../../../core/platform/jobs/index.ts';
import { PROVIDER_NAMES } from '../../../core/market/index.ts';
import { z } from '../../openapi/zod.ts';
import { intParam } from '../common.schemas.ts';

export const ZSyncQuery = z.strictObject({
  limit: intParam(1, 250, 50).openapi({ description: 'How many top coins to sync' }),
  provider: z
    .enum(PROVIDER_NAMES)
    .optional()
    .openapi({ description: 'Default: the configured provider (with fallback)' }),
});

export const ZJobAccepted = z
  .object({
    job_id: z.string(),
    status_url: z.string().openapi({ example: '/api/v1/jobs/sync-markets-default-50-1732406400000' }),
    deduplicated: z
      .boolean()
      .openapi({ description: 'True when an identical trigger in the same window already made this job' }),
    flow_id: z.string().nullable().openapi({
      description: 'The last step of the flow the sync starts (evaluate-alerts); null when deduplicated',
    }),
  })
  .openapi('JobAccepted');

export const ZJobParams = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\w:.-]+$/, 'must be a job id'),
});

export const ZJobStatus = z
  .object({
    id: z.string(),
    name: z.string(),
    queue: z.string(),
    state: z.enum([...JOB_STATES, 'unknown']),
    progress: z.union([z.number(), z.string(), z.boolean(), z.record(z.string(), z.unknown())]),
    attempts_made: z.number().int(),
    attempts_max: z.number().int(),
    data: z.record(z.string(), z.unknown()),
    result: z.record(z.string(), z.unknown()).nullable().openapi({
      description: 'Summary of a completed job (coins upserted, history points, provider, duration…)',
    }),
    failed_reason: z.string().nullable(),
    created_at: z.string().openapi({ format: 'date-time' }),
    processed_at: z.string().nullable().openapi({ format: 'date-time' }),
    finished_at: z.string().nullable().openapi({ format: 'date-time' }),
    flow: z
      .array(z.object({ name: z.string(), id: z.string(), state: z.string() }))
      .nullable()
      .openapi({
        description:
          'For a step of a flow (a sync, then compute-risk, then evaluate-alerts): every step in order with its state',
      }),
  })
  .openapi('JobStatus');
