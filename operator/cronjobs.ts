import { createHash } from 'node:crypto';
import type { V1CronJob, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { FEED_SCHEDULES, triggerArgs } from '../core/schedules.ts';
import { FEED_GROUP, FEED_KIND, FEED_VERSION, type TFeed, type TFeedSpec } from './feed.schema.ts';

export const FEED_LABEL = `${FEED_GROUP}/feed`;
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'trading-backend-operator' };
export const SPEC_HASH = `${FEED_GROUP}/spec-hash`;
/** The metadata.generation of the operator's own last write of a CronJob (a later one is a hand edit). */
export const WRITTEN_GENERATION = `${FEED_GROUP}/written-generation`;

// CronJob names are at most 52 characters (their Jobs append an 11-character suffix).
const NAME_LIMIT = 52;

/** `<feed>-<role>`, shortened with a hash when the feed's name is long, so it stays unique and valid. */
export function cronJobName(feed: string, role: 'sync' | 'backfill' | 'cleanup'): string {
  const name = `${feed}-${role}`;
  if (name.length <= NAME_LIMIT) return name;
  const hash = createHash('sha256').update(feed).digest('hex').slice(0, 8);
  return `${feed.slice(0, NAME_LIMIT - role.length - 10)}-${hash}-${role}`;
}

/**
 * The CronJobs a feed wants: its syncs, and a daily backfill and cleanup when asked for. Each runs the
 * trigger entrypoint with the template's pod spec (the chart renders it), is owned by the feed (garbage
 * collected with it) and carries a hash of what it was made from, so an unchanged feed changes nothing.
 */
export function desiredCronJobs(feed: TFeed, spec: TFeedSpec, template: V1PodTemplateSpec): V1CronJob[] {
  const { provider } = spec;
  // The feed's syncs on its schedule; backfills and cleanups daily (core/schedules.ts).
  const wanted: { role: 'sync' | 'backfill' | 'cleanup'; schedule: string; args: string[] }[] = [
    {
      role: 'sync',
      schedule: spec.schedule,
      args: triggerArgs('sync-markets', { limit: spec.topN, provider }),
    },
  ];
  if (spec.backfillDays)
    wanted.push({
      role: 'backfill',
      schedule: FEED_SCHEDULES.backfill,
      args: triggerArgs('backfill-history', { top: spec.topN, days: spec.backfillDays, provider }),
    });
  if (spec.historyRetentionDays)
    wanted.push({
      role: 'cleanup',
      schedule: FEED_SCHEDULES.cleanup,
      args: triggerArgs('cleanup-history', { retention_days: spec.historyRetentionDays }),
    });
  return wanted.map(({ role, schedule, args }) => {
    // The template's labels first (the chart's selector labels, which its NetworkPolicies match).
    const labels = {
      ...template.metadata?.labels,
      ...MANAGED_BY,
      [FEED_LABEL]: feed.metadata.name,
      'app.kubernetes.io/component': 'trigger',
    };
    const [first, ...rest] = template.spec!.containers;
    const podSpec: V1PodSpec = {
      ...template.spec!,
      restartPolicy: 'Never',
      containers: [{ ...first!, name: 'trigger', args: ['worker/trigger.js', ...args] }, ...rest],
    };
    const body: V1CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {
        name: cronJobName(feed.metadata.name, role),
        namespace: feed.metadata.namespace,
        labels,
        ownerReferences: [
          {
            apiVersion: `${FEED_GROUP}/${FEED_VERSION}`,
            kind: FEED_KIND,
            name: feed.metadata.name,
            uid: feed.metadata.uid,
            controller: true,
            // No blockOwnerDeletion: setting it needs update on marketdatafeeds/finalizers where the
            // OwnerReferencesPermissionEnforcement admission plugin runs, and the Role grants no more than used.
          },
        ],
      },
      spec: {
        schedule,
        timeZone: 'Etc/UTC',
        // A run only enqueues a job (the worker does the work): never two at once, never a pile-up.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 120,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        suspend: spec.suspend,
        jobTemplate: {
          metadata: { labels },
          spec: {
            activeDeadlineSeconds: 120,
            ttlSecondsAfterFinished: 3600,
            backoffLimit: 2,
            template: { metadata: { labels }, spec: podSpec },
          },
        },
      },
    };
    const hash = createHash('sha256').update(JSON.stringify(body.spec)).digest('hex').slice(0, 16);
    body.metadata!.annotations = { [SPEC_HASH]: hash };
    return body;
  });
}
