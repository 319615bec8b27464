import type { TAuditService } from '../audit/index.ts';
import { feature } from '../platform/feature.ts';
import {
  createSecretBox,
  createWebhookTrust,
  createWebhooksService,
  dnsServersResolve,
  systemResolve,
  WEBHOOK_JOBS,
  WEBHOOK_MIGRATIONS,
} from './index.ts';

/** The webhooks feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const webhooksFeature = feature({
  name: 'webhooks',
  migrations: WEBHOOK_MIGRATIONS,
  jobs: WEBHOOK_JOBS,
  routes: ['api/routes/webhooks/webhooks.routes.ts'],
  services: ({ db, config, jobs }, { audit }: { audit: TAuditService }) => ({
    webhooks: createWebhooksService({
      db,
      audit,
      jobs,
      box: createSecretBox(config.SECRET_KEY, config.SECRET_KEY_PREVIOUS),
      resolve: config.WEBHOOK_DNS_SERVERS.length
        ? dnsServersResolve(config.WEBHOOK_DNS_SERVERS)
        : systemResolve,
      trust: createWebhookTrust(config.WEBHOOK_CA_FILE?.pems ?? []),
      settings: {
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
        requireHttps: config.NODE_ENV === 'production',
        retrySchedule: config.WEBHOOK_RETRY_SCHEDULE,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        deadlineMs: config.WEBHOOK_DEADLINE_MS,
        maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES,
        disableAfterDead: config.WEBHOOK_DISABLE_AFTER_DEAD,
        secretGraceMs: config.WEBHOOK_SECRET_GRACE_HOURS * 3_600_000,
        maxEndpoints: config.WEBHOOK_MAX_ENDPOINTS,
      },
    }),
  }),
});
