import { AppError, ErrorCode } from '../../../core/platform/errors/app-error.ts';
import { defineRoute } from '../define-route.ts';
import {
  ZDeadLetterList,
  ZDeadLetterParams,
  ZDeadLetterQuery,
  ZJobList,
  ZJobListQuery,
  ZReplayed,
} from './job-admin.schemas.ts';
import { ZJobParams, ZJobStatus } from './jobs.schemas.ts';

const tags = ['Admin: jobs'];
const BASE = '/api/v1/admin';

export const jobAdminRoutes = [
  defineRoute({
    method: 'get',
    path: `${BASE}/jobs`,
    tags,
    summary: 'Jobs by queue and state, newest first',
    request: { query: ZJobListQuery },
    permission: 'jobs:admin',
    response: { status: 200, description: 'Jobs', schema: ZJobList },
    problems: [422],
    handler: ({ input, actor, deps }) => {
      const { name, queue, ...rest } = input.query;
      if (name && queue && name !== queue)
        throw new AppError(ErrorCode.Unprocessable, {
          detail: `queue ${queue} holds only ${queue} jobs, not ${name} (each job name is its own queue)`,
        });
      const only = queue ?? name;
      return deps.services.jobAdmin.list(actor, { ...rest, ...(only ? { queue: only } : {}) });
    },
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/jobs/{id}/retry`,
    tags,
    summary: 'Run a failed job again',
    request: { params: ZJobParams },
    permission: 'jobs:admin',
    idempotent: true,
    response: { status: 200, description: 'The job', schema: ZJobStatus },
    problems: [404, 409],
    handler: ({ input, actor, deps }) => deps.services.jobAdmin.retry(actor, input.params.id),
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/jobs/{id}/promote`,
    tags,
    summary: 'Run a delayed job now',
    request: { params: ZJobParams },
    permission: 'jobs:admin',
    idempotent: true,
    response: { status: 200, description: 'The job', schema: ZJobStatus },
    problems: [404, 409],
    handler: ({ input, actor, deps }) => deps.services.jobAdmin.promote(actor, input.params.id),
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/jobs/{id}`,
    tags,
    summary: 'Remove a job that is not running',
    request: { params: ZJobParams },
    permission: 'jobs:admin',
    response: { status: 204, description: 'Removed' },
    problems: [404, 409],
    handler: ({ input, actor, deps }) => deps.services.jobAdmin.remove(actor, input.params.id),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/dead-letter`,
    tags,
    summary: 'Jobs out of attempts and dead webhook deliveries, newest first',
    request: { query: ZDeadLetterQuery },
    permission: 'jobs:admin',
    response: { status: 200, description: 'Dead letters', schema: ZDeadLetterList },
    handler: ({ input, actor, deps }) =>
      deps.services.jobAdmin.deadLetters(actor, {
        limit: input.query.limit,
        offset: Number(input.query.cursor ?? 0),
      }),
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/dead-letter/{id}/replay`,
    tags,
    summary: 'Replay a dead letter (a new job with the same data, or a new round of delivery attempts)',
    request: { params: ZDeadLetterParams },
    permission: 'jobs:admin',
    idempotent: true,
    response: { status: 202, description: 'Replayed', schema: ZReplayed },
    problems: [404, 409],
    handler: ({ input, actor, deps }) => deps.services.jobAdmin.replay(actor, input.params.id),
  }),
];
