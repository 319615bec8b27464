import { readDataVersion } from '../platform/cache/versions.ts';
import { feature } from '../platform/feature.ts';
import { createRiskRepository, createRiskService, RISK_JOBS, RISK_MIGRATIONS } from './index.ts';

/** The risk feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const riskFeature = feature({
  name: 'risk',
  migrations: RISK_MIGRATIONS,
  jobs: RISK_JOBS,
  routes: ['api/routes/risk/risk.routes.ts'],
  services: ({ db, cacheRedis, config }) => {
    const prefix = config.REDIS_KEY_PREFIX;
    return {
      risk: createRiskService({
        risk: createRiskRepository(db),
        cache: {
          version: () => readDataVersion(cacheRedis, prefix),
          get: (key) => cacheRedis.get(`${prefix}${key}`),
          set: async (key, value, ttlSeconds) => {
            await cacheRedis.set(`${prefix}${key}`, value, 'EX', ttlSeconds);
          },
        },
      }),
    };
  },
});
