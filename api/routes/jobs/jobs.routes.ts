import { defineRoute } from '../define-route.ts';
import { ZJobAccepted, ZJobParams, ZJobStatus, ZSyncQuery } from './jobs.schemas.ts';

const tags = ['Jobs'];

export const jobsRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/cryptocurrencies/sync',
    tags,
    summary: 'Trigger a market data sync',
    description:
      'Enqueues a `sync-markets` job and answers at once. Triggers with the same parameters inside one ' +
      '5-minute window share one job. Limited to SYNC_RATE_LIMIT_PER_MINUTE (default 10) per caller.',
    request: { query: ZSyncQuery },
    permission: 'jobs:trigger',
    rateLimit: 'sync',
    idempotent: true,
    response: { status: 202, description: 'Accepted', schema: ZJobAccepted },
    handler: async ({ input, actor, deps, res }) => {
      const job = await deps.services.jobs.triggerSync(actor, input.query);
      const statusUrl = `/api/v1/jobs/${encodeURIComponent(job.job_id)}`;
      res.location(statusUrl);
      return {
        job_id: job.job_id,
        status_url: statusUrl,
        deduplicated: job.deduplicated,
        flow_id: job.flow_id ?? null,
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/jobs/{id}',
    tags,
    summary: 'Job status',
    description:
      'State, progress, attempts and the result summary or failure reason of a job. A job is visible to ' +
      'the callers who triggered it and to admins; to anyone else it does not exist (404).',
    request: { params: ZJobParams },
    permission: 'jobs:read',
    response: { status: 200, description: 'The job', schema: ZJobStatus },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.jobs.status(actor, input.params.id),
  }),
];
