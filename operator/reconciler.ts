import {
  ApiException,
  type BatchV1Api,
  type CoreV1Api,
  type CustomObjectsApi,
  type V1CronJob,
  type V1Job,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { cronJobName, desiredCronJobs, FEED_LABEL, SPEC_HASH, WRITTEN_GENERATION } from './cronjobs.ts';
import {
  FEED_GROUP,
  FEED_KIND,
  FEED_PLURAL,
  FEED_VERSION,
  ZFeedSpec,
  type TCondition,
  type TFeed,
  type TFeedStatus,
} from './feed.schema.ts';

export type TReconcilerDeps = {
  custom: CustomObjectsApi;
  batch: BatchV1Api;
  core: CoreV1Api;
  namespace: string;
  template: V1PodTemplateSpec;
  component: string;
  now?: () => Date;
};

const FEED = { group: FEED_GROUP, version: FEED_VERSION, plural: FEED_PLURAL };
const notFound = (error: unknown) => error instanceof ApiException && error.code === 404;

export type TReconcileOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'invalid' | 'gone';

/**
 * One idempotent pass over one feed: make its CronJobs what its spec says (create, replace when the
 * spec hash differs, delete what it no longer wants; the feed owns them, so deleting it deletes them)
 * and write what was done and seen into its status, with an Event for each change.
 */
export function createReconciler(deps: TReconcilerDeps) {
  const { custom, batch, core, namespace } = deps;
  const now = deps.now ?? (() => new Date());

  async function event(feed: TFeed, type: 'Normal' | 'Warning', reason: string, message: string) {
    const at = now();
    await core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${feed.metadata.name}.`, namespace },
          involvedObject: {
            apiVersion: `${FEED_GROUP}/${FEED_VERSION}`,
            kind: FEED_KIND,
            name: feed.metadata.name,
            namespace,
            uid: feed.metadata.uid,
            resourceVersion: feed.metadata.resourceVersion,
          },
          type,
          reason,
          message,
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
          source: { component: deps.component },
          reportingComponent: deps.component,
        },
      })
      .catch(() => undefined); // events are best effort: a failed one must not fail the reconcile
  }

  /**
   * A CronJob's spec changed by anyone but the operator: the API server bumps metadata.generation on
   * every spec change, and the operator notes the generation it wrote (a metadata-only write, which
   * leaves the generation as it is), so a generation past that note is an edit to put back.
   */
  const handEdited = (cronJob: V1CronJob) =>
    cronJob.metadata?.annotations?.[WRITTEN_GENERATION] !== String(cronJob.metadata?.generation);

  async function stamp(written: V1CronJob) {
    await batch
      .replaceNamespacedCronJob({
        name: written.metadata!.name!,
        namespace,
        body: {
          ...written,
          metadata: {
            ...written.metadata,
            annotations: {
              ...written.metadata?.annotations,
              [WRITTEN_GENERATION]: String(written.metadata?.generation),
            },
          },
        },
      })
      .catch((error: unknown) => {
        // Changed in between (409): the next pass sees an unnoted generation and writes it again.
        if (!(error instanceof ApiException && error.code === 409)) throw error;
      });
  }

  async function owned(feed: string): Promise<V1CronJob[]> {
    const list = await batch.listNamespacedCronJob({ namespace, labelSelector: `${FEED_LABEL}=${feed}` });
    return list.items;
  }

  function condition(
    type: TCondition['type'],
    ok: boolean,
    reason: string,
    message: string,
    previous?: TFeedStatus,
  ) {
    const status = ok ? 'True' : 'False';
    const before = previous?.conditions?.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      // The transition time moves only when the status does.
      lastTransitionTime: before?.status === status ? before.lastTransitionTime : now().toISOString(),
    } as TCondition;
  }

  async function writeStatus(feed: TFeed, status: TFeedStatus) {
    await custom.replaceNamespacedCustomObjectStatus({
      ...FEED,
      namespace,
      name: feed.metadata.name,
      body: { ...feed, status },
    });
  }

  /** What the feed's syncs last did: the newest Job its sync CronJob ran. */
  async function progress(feed: string, cronJobs: V1CronJob[]) {
    const sync = cronJobs.find((cronJob) => cronJob.metadata?.name === cronJobName(feed, 'sync'));
    const jobs: V1Job[] = (
      await batch.listNamespacedJob({ namespace, labelSelector: `${FEED_LABEL}=${feed}` })
    ).items;
    const newest = jobs
      .filter((job) => job.metadata?.name?.startsWith(`${cronJobName(feed, 'sync')}-`))
      .sort((a, b) =>
        String(b.metadata?.creationTimestamp ?? '').localeCompare(
          String(a.metadata?.creationTimestamp ?? ''),
        ),
      )[0];
    const result = !newest
      ? undefined
      : (newest.status?.succeeded ?? 0) > 0
        ? ('Succeeded' as const)
        : newest.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')
          ? ('Failed' as const)
          : ('Running' as const);
    const scheduled = sync?.status?.lastScheduleTime;
    return {
      ...(scheduled ? { lastScheduleTime: new Date(scheduled).toISOString() } : {}),
      ...(newest?.metadata?.name ? { lastJobId: newest.metadata.name } : {}),
      ...(result ? { lastResult: result } : {}),
    };
  }

  return {
    async reconcile(name: string): Promise<TReconcileOutcome> {
      let feed: TFeed;
      try {
        feed = (await custom.getNamespacedCustomObject({ ...FEED, namespace, name })) as TFeed;
      } catch (error) {
        if (notFound(error)) return 'gone';
        throw error;
      }

      // Being deleted: its CronJobs go with it (they are owned by the feed: the garbage collector deletes
      // them). No finalizer: one held every feed, and so `helm uninstall`, once the operator was gone.
      if (feed.metadata.deletionTimestamp) return 'deleted';

      const parsed = ZFeedSpec.safeParse(feed.spec);
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((issue) => `${issue.path.join('.') || 'spec'}: ${issue.message}`)
          .join('; ');
        await writeStatus(feed, {
          ...feed.status,
          observedGeneration: feed.metadata.generation,
          conditions: [
            condition('Ready', false, 'InvalidSpec', message, feed.status),
            condition('Reconciled', false, 'InvalidSpec', message, feed.status),
            condition('Degraded', true, 'InvalidSpec', message, feed.status),
          ],
        });
        await event(feed, 'Warning', 'InvalidSpec', message);
        return 'invalid';
      }

      const desired = desiredCronJobs(feed, parsed.data, deps.template);
      const existing = new Map((await owned(name)).map((cronJob) => [cronJob.metadata!.name!, cronJob]));
      let outcome: TReconcileOutcome = 'unchanged';
      for (const body of desired) {
        const current = existing.get(body.metadata!.name!);
        existing.delete(body.metadata!.name!);
        if (!current) {
          await stamp(await batch.createNamespacedCronJob({ namespace, body }));
          await event(
            feed,
            'Normal',
            'CronJobCreated',
            `Created CronJob ${body.metadata!.name} (${body.spec!.schedule})`,
          );
          outcome = 'created';
        } else if (
          current.metadata?.annotations?.[SPEC_HASH] !== body.metadata!.annotations![SPEC_HASH] ||
          handEdited(current)
        ) {
          const edited = handEdited(current);
          await stamp(
            await batch.replaceNamespacedCronJob({
              name: body.metadata!.name!,
              namespace,
              body: {
                ...body,
                metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion },
              },
            }),
          );
          await event(
            feed,
            'Normal',
            'CronJobUpdated',
            edited
              ? `Put back CronJob ${body.metadata!.name}, whose spec was changed by hand`
              : `Updated CronJob ${body.metadata!.name}`,
          );
          if (outcome === 'unchanged') outcome = 'updated';
        }
      }
      for (const stale of existing.keys()) {
        await batch.deleteNamespacedCronJob({ name: stale, namespace, propagationPolicy: 'Background' });
        await event(
          feed,
          'Normal',
          'CronJobDeleted',
          `Deleted CronJob ${stale}, which the spec no longer asks for`,
        );
        if (outcome === 'unchanged') outcome = 'updated';
      }

      const cronJobs = await owned(name);
      const seen = await progress(name, cronJobs);
      const suspended = parsed.data.suspend;
      const status: TFeedStatus = {
        ...feed.status,
        ...seen,
        observedGeneration: feed.metadata.generation,
        cronJobs: desired.map((body) => body.metadata!.name!),
        conditions: [
          condition(
            'Ready',
            !suspended && seen.lastResult !== 'Failed',
            suspended ? 'Suspended' : seen.lastResult === 'Failed' ? 'LastSyncFailed' : 'Scheduled',
            suspended
              ? 'The feed is suspended: its CronJobs do not run.'
              : seen.lastResult === 'Failed'
                ? `The last sync Job (${seen.lastJobId}) failed.`
                : `Syncing the top ${parsed.data.topN} on "${parsed.data.schedule}".`,
            feed.status,
          ),
          condition(
            'Reconciled',
            true,
            'CronJobsInSync',
            `${desired.length} CronJob(s) match the spec.`,
            feed.status,
          ),
          condition(
            'Degraded',
            seen.lastResult === 'Failed',
            seen.lastResult === 'Failed' ? 'LastSyncFailed' : 'AsExpected',
            seen.lastResult === 'Failed' ? `Job ${seen.lastJobId} failed.` : 'Nothing is failing.',
            feed.status,
          ),
        ],
      };
      if (JSON.stringify(status) !== JSON.stringify(feed.status)) await writeStatus(feed, status);
      if (outcome !== 'unchanged')
        await event(feed, 'Normal', 'Reconciled', `CronJobs match generation ${feed.metadata.generation}.`);
      return outcome;
    },
  };
}
