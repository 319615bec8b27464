import { Router, type RequestHandler } from 'express';
import type { TJobService } from '../../../core/jobs/index.ts';
import type { TProviderName } from '../../../core/market/index.ts';
import { validate } from '../../http/validate.ts';
import { problemResponses, queryProblems, rateLimitHeaders, registry } from '../../openapi/registry.ts';
import { ZJobAccepted, ZJobParams, ZJobStatus, ZSyncQuery } from './jobs.schemas.ts';

registry.registerPath({
  method: 'post',
  path: '/api/v1/cryptocurrencies/sync',
  tags: ['Jobs'],
  summary: 'Trigger a market data sync',
  description:
    'Enqueues a `sync-markets` job and answers at once. Triggers with the same parameters inside one ' +
    '5-minute window share one job. Limited to SYNC_RATE_LIMIT_PER_MINUTE (default 10) per client.',
  request: { query: ZSyncQuery },
  responses: {
    202: {
      description: 'Accepted',
      headers: rateLimitHeaders,
      content: { 'application/json': { schema: ZJobAccepted } },
    },
    ...queryProblems,
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/v1/jobs/{id}',
  tags: ['Jobs'],
  summary: 'Job status',
  description: 'State, progress, attempts and the result summary or failure reason of a job.',
  request: { params: ZJobParams },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: ZJobStatus } } },
    ...problemResponses,
  },
});

/**
 * Registers POST /cryptocurrencies/sync on the API router itself rather than as a sub-router mounted at
 * /cryptocurrencies: every listing request would otherwise enter and leave that sub-router.
 */
export function registerSyncRoute(api: Router, deps: { jobs: TJobService; limit: RequestHandler }): void {
  api.post('/cryptocurrencies/sync', deps.limit, validate({ query: ZSyncQuery }), async (_req, res) => {
    const { query } = res.locals.input as { query: { limit: number; provider?: TProviderName } };
    const job = await deps.jobs.triggerSync(query);
    const statusUrl = `/api/v1/jobs/${encodeURIComponent(job.job_id)}`;
    res
      .status(202)
      .location(statusUrl)
      .json({ job_id: job.job_id, status_url: statusUrl, deduplicated: job.deduplicated });
  });
}

export function jobsRouter(deps: { jobs: TJobService }): Router {
  const router = Router();
  router.get('/:id', validate({ params: ZJobParams }), async (_req, res) => {
    const { params } = res.locals.input as { params: { id: string } };
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.jobs.status(params.id));
  });
  return router;
}
