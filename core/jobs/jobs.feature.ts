import type { TAuditService } from '../audit/index.ts';
import { feature } from '../platform/feature.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import { createJobAdminService, createJobService } from './index.ts';

/** The jobs feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const jobsFeature = feature({
  name: 'jobs',
  migrations: [],
  jobs: [],
  routes: ['api/routes/jobs/jobs.routes.ts', 'api/routes/jobs/job-admin.routes.ts'],
  services: (
    { queues, redis, config },
    { audit, webhooks }: { audit: TAuditService; webhooks: TWebhooksService },
  ) => ({
    jobAdmin: createJobAdminService({ queues, audit, webhooks }),
    jobs: createJobService({ queues, redis, keyPrefix: config.REDIS_KEY_PREFIX, audit }),
  }),
});
