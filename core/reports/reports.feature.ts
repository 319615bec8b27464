import type { TAuditService } from '../audit/index.ts';
import { feature } from '../platform/feature.ts';
import type { TPortfoliosService } from '../portfolios/index.ts';
import type { TRiskService } from '../risk/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import {
  createPostgresReportStore,
  createReportsService,
  REPORT_JOBS,
  REPORT_MIGRATIONS,
} from './index.ts';

/** The reports feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const reportsFeature = feature({
  name: 'reports',
  migrations: REPORT_MIGRATIONS,
  jobs: REPORT_JOBS,
  routes: ['api/routes/reports/reports.routes.ts'],
  services: (
    { db, config, jobs },
    built: {
      audit: TAuditService;
      portfolios: TPortfoliosService;
      risk: TRiskService;
      webhooks: TWebhooksService;
    },
  ) => ({
    reports: createReportsService({
      db,
      store: createPostgresReportStore({ db, maxBytes: config.REPORT_MAX_BYTES }),
      portfolios: built.portfolios,
      risk: built.risk,
      audit: built.audit,
      webhooks: built.webhooks,
      jobs,
      settings: {
        retentionDays: config.REPORT_RETENTION_DAYS,
        reportsPerUser: config.REPORTS_PER_USER,
        bytesPerUser: config.REPORT_BYTES_PER_USER,
        schedulesPerUser: config.REPORT_SCHEDULES_PER_USER,
        catchUpPeriods: 24,
      },
    }),
  }),
});
