import { JOB_NAMES } from '../../../core/features.ts';
import { JOB_STATES } from '../../../core/platform/jobs/index.ts';
import { z } from '../../openapi/zod.ts';
import { intParam } from '../common.schemas.ts';
import { ZJobStatus } from './jobs.schemas.ts';

const CURSOR = /^(\d{1,3})\.(\d{1,9})$/;

export const ZJobListQuery = z.strictObject({
  queue: z.enum(JOB_NAMES).optional().openapi({ description: 'One queue (each job name is its own queue)' }),
  name: z.enum(JOB_NAMES).optional().openapi({ description: 'The same as queue: a job name is its queue' }),
  state: z.enum(JOB_STATES).optional(),
  limit: intParam(1, 200, 50),
  cursor: z
    .string()
    .regex(CURSOR, 'must be a next_cursor from a previous page')
    .transform((value) => {
      const [, queue, offset] = CURSOR.exec(value)!;
      return { queue: Number(queue), offset: Number(offset) };
    })
    .optional()
    .openapi({ type: 'string', pattern: CURSOR.source, maxLength: 13 }),
});

export const ZJobList = z
  .object({
    data: z.array(ZJobStatus),
    pagination: z.object({ limit: z.number().int(), next_cursor: z.string().nullable() }),
  })
  .openapi('JobList');

export const ZDeadLetterParams = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(220)
    .regex(/^dead-[\w.-]+$/, 'must be a dead-letter id'),
});
export const ZDeadLetterQuery = z.strictObject({
  limit: intParam(1, 200, 50),
  cursor: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a next_cursor from a previous page')
    .optional()
    .openapi({ maxLength: 9 }),
});

export const ZDeadLetter = z
  .object({
    id: z.string(),
    source: z
      .enum(['job', 'webhook'])
      .openapi({ description: 'A job out of attempts, or a dead webhook delivery' }),
    queue: z.string().optional(),
    job_id: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    delivery_id: z.string().optional(),
    endpoint_id: z.string().optional(),
    event_type: z.string().optional(),
    round: z.number().int().optional(),
    failed_reason: z.string(),
    attempts: z.number().int(),
    failed_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('DeadLetter');
export const ZDeadLetterList = z
  .object({
    data: z.array(ZDeadLetter),
    pagination: z.object({ limit: z.number().int(), next_cursor: z.string().nullable() }),
  })
  .openapi('DeadLetterList');
export const ZReplayed = z
  .object({
    id: z.string(),
    source: z.enum(['job', 'webhook']),
    replayed: z.string().openapi({ description: 'The new job id, or the delivery sent again' }),
  })
  .openapi('DeadLetterReplayed');
