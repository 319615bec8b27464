import { readDataVersion } from '../platform/cache/versions.ts';
import { feature } from '../platform/feature.ts';
import { createLimitsService, createPortfoliosService, PORTFOLIO_MIGRATIONS } from './index.ts';

/** The portfolios feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const portfoliosFeature = feature({
  name: 'portfolios',
  migrations: PORTFOLIO_MIGRATIONS,
  jobs: [],
  routes: [
    'api/routes/portfolios/portfolios.routes.ts',
    'api/routes/portfolios/analytics.routes.ts',
    'api/routes/portfolios/limits.routes.ts',
  ],
  services: ({ db, config, jobs, cacheRedis }) => {
    const portfolios = createPortfoliosService({
      db,
      quotas: {
        portfoliosPerUser: config.PORTFOLIOS_PER_USER,
        transactionsPerPortfolio: config.TRANSACTIONS_PER_PORTFOLIO,
        importMaxRows: config.IMPORT_MAX_ROWS,
        targetsPerPortfolio: config.TARGETS_PER_PORTFOLIO,
        limitsPerPortfolio: config.LIMITS_PER_PORTFOLIO,
      },
      jobs,
    });
    return {
      portfolios,
      limits: createLimitsService({
        db,
        portfolios,
        maxLimits: config.LIMITS_PER_PORTFOLIO,
        marketVersion: () => readDataVersion(cacheRedis, config.REDIS_KEY_PREFIX),
      }),
    };
  },
});
