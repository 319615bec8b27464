import { feature } from '../platform/feature.ts';
import { createAuditService } from './index.ts';

/** The audit feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const auditFeature = feature({
  name: 'audit',
  migrations: [],
  jobs: [],
  routes: [],
  services: ({ db, config }) => ({
    audit: createAuditService({ db, retentionDays: config.AUDIT_RETENTION_DAYS }),
  }),
});
