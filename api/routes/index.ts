import { adminRoutes } from './admin/admin.routes.ts';
import { authRoutes } from './auth/auth.routes.ts';
import type { TAnyRoute } from './define-route.ts';
import { jobsRoutes } from './jobs/jobs.routes.ts';
import { marketRoutes } from './market/market.routes.ts';
import { limitRoutes } from './portfolios/limits.routes.ts';
import { portfolioRoutes } from './portfolios/portfolios.routes.ts';
import { webhookRoutes } from './webhooks/webhooks.routes.ts';
import { alertRoutes } from './alerts/alerts.routes.ts';
import { jobAdminRoutes } from './jobs/job-admin.routes.ts';
import { reportRoutes } from './reports/reports.routes.ts';
import { riskRoutes } from './risk/risk.routes.ts';
import { systemRoutes } from './system/system.routes.ts';

/** Every route the API serves, in matching order: the app mounts them and the OpenAPI document describes them. */
export const ROUTES: readonly TAnyRoute[] = [
  ...marketRoutes,
  ...jobsRoutes,
  ...riskRoutes,
  ...portfolioRoutes,
  ...limitRoutes,
  ...webhookRoutes,
  ...alertRoutes,
  ...reportRoutes,
  ...jobAdminRoutes,
  ...authRoutes,
  ...adminRoutes,
  ...systemRoutes,
];
