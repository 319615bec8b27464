import type { TAuditService } from '../audit/index.ts';
import { feature } from '../platform/feature.ts';
import {
  AUTH_MIGRATIONS,
  createApiKeyService,
  createAuthService,
  createKeyRing,
  createLoginLimiter,
  createUserAdminService,
  credentialsChannel,
} from './index.ts';

/** The auth feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const authFeature = feature({
  name: 'auth',
  migrations: AUTH_MIGRATIONS,
  jobs: [],
  routes: ['api/routes/auth/auth.routes.ts', 'api/routes/admin/admin.routes.ts'],
  services: ({ db, redis, config }, { audit }: { audit: TAuditService }) => {
    const prefix = config.REDIS_KEY_PREFIX;
    const keys = createKeyRing({
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      privateKeyPem: config.JWT_PRIVATE_KEY,
      previousPublicKeysPem: config.JWT_PREVIOUS_PUBLIC_KEYS,
      secret: config.SECRET_KEY,
      previousSecrets: config.SECRET_KEY_PREVIOUS,
    });
    const limiter = createLoginLimiter({
      redis,
      keyPrefix: prefix,
      limits: {
        perAccountClient: config.LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT,
        perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        perIp: config.LOGIN_MAX_FAILURES_PER_IP,
        windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
      },
    });
    // Live streams of the user listen on this channel and re-check their own session or key.
    const credentialsChanged = async (userId: string) => {
      await redis.publish(credentialsChannel(prefix, userId), 'changed');
    };
    return {
      auth: createAuthService({
        db,
        keys,
        limiter,
        audit,
        settings: {
          refreshTokenDays: config.REFRESH_TOKEN_TTL_DAYS,
          publicMarketData: config.PUBLIC_MARKET_DATA,
          signup: config.AUTH_SIGNUP,
          signupRole: config.AUTH_SIGNUP_ROLE,
        },
        credentialsChanged,
      }),
      apiKeys: createApiKeyService({ db, audit, credentialsChanged, maxKeys: config.API_KEYS_PER_USER }),
      users: createUserAdminService({ db, audit, credentialsChanged }),
    };
  },
});
