import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  makeInformer,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FEED_LABEL } from './cronjobs.ts';
import { FEED_GROUP, FEED_PLURAL, FEED_VERSION } from './feed.schema.ts';
import { createLeaderElector } from './leader.ts';
import { createReconciler } from './reconciler.ts';
import { createWorkQueue } from './work-queue.ts';

export type TOperatorOptions = {
  kubeConfig: KubeConfig;
  namespace: string;
  identity: string;
  leaseName: string;
  leaseSeconds: number;
  template: V1PodTemplateSpec;
  registry: Registry;
  log: (level: 'info' | 'warn' | 'error', message: string, details?: Record<string, unknown>) => void;
  /** How long an informer waits before starting again after a watch error it cannot resume from. */
  restartDelayMs?: number;
};

/**
 * The MarketDataFeed controller: while it holds the Lease it watches feeds and the CronJobs and Jobs
 * they own (list, then watch from the list's resourceVersion; client-node re-lists on 410 Gone, and an
 * informer that stops on an error starts again after a delay), queues the feed of every change and
 * reconciles each feed key by key with per-key backoff.
 */
export function createOperator(options: TOperatorOptions) {
  const { kubeConfig: kc, namespace, registry, log } = options;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const reconciler = createReconciler({
    custom,
    batch,
    core,
    namespace,
    template: options.template,
    component: 'trading-backend-operator',
  });

  const reconciles = new Counter({
    name: 'operator_reconciles_total',
    help: 'Feed reconciles by outcome (created, updated, unchanged, deleted, invalid, gone, error)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'operator_reconcile_duration_seconds',
    help: 'Time of one feed reconcile',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'operator_queue_depth',
    help: 'Feeds waiting to be reconciled (queued, running or backing off)',
    registers: [registry],
    collect() {
      this.set(queue.depth());
    },
  });
  const leaderGauge = new Gauge({
    name: 'operator_leader',
    help: '1 while this process holds the Lease',
    registers: [registry],
  });

  const queue = createWorkQueue({
    process: async (name) => {
      const end = duration.startTimer();
      try {
        reconciles.inc({ outcome: await reconciler.reconcile(name) });
      } catch (error) {
        reconciles.inc({ outcome: 'error' });
        throw error;
      } finally {
        end();
      }
    },
    onError: (key, error, retryInMs) =>
      log('warn', 'reconcile failed; retrying', { feed: key, retry_in_ms: retryInMs, error: String(error) }),
  });

  const feedPath = `/apis/${FEED_GROUP}/${FEED_VERSION}/namespaces/${namespace}/${FEED_PLURAL}`;
  const informers = [
    makeInformer<KubernetesObject>(
      kc,
      feedPath,
      () =>
        custom.listNamespacedCustomObject({
          group: FEED_GROUP,
          version: FEED_VERSION,
          namespace,
          plural: FEED_PLURAL,
        }) as never,
    ),
    makeInformer(
      kc,
      `/apis/batch/v1/namespaces/${namespace}/cronjobs`,
      () => batch.listNamespacedCronJob({ namespace, labelSelector: FEED_LABEL }),
      FEED_LABEL,
    ),
    makeInformer(
      kc,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      () => batch.listNamespacedJob({ namespace, labelSelector: FEED_LABEL }),
      FEED_LABEL,
    ),
  ];
  const feedOf = (object: KubernetesObject, index: number) =>
    index === 0 ? object.metadata?.name : object.metadata?.labels?.[FEED_LABEL];
  let running = false;
  let synced = false;
  informers.forEach((informer, index) => {
    const enqueue = (object: KubernetesObject) => {
      const feed = feedOf(object, index);
      if (feed) queue.add(feed);
    };
    informer.on('add', enqueue);
    informer.on('update', enqueue);
    informer.on('delete', enqueue);
    // An informer stops on an error it cannot resume from (the API server away, say); start it again
    // until it runs, and queue every feed once it does, since changes may have been missed meanwhile.
    const restart = (error: unknown) => {
      if (!running) return;
      log('warn', 'watch stopped; starting it again', { informer: index, error: String(error) });
      setTimeout(() => {
        if (!running) return;
        informer
          .start()
          .then(
            () =>
              informers[0]!.list().forEach((feed) => feed.metadata?.name && queue.add(feed.metadata.name)),
            restart,
          );
      }, options.restartDelayMs ?? 2000);
    };
    informer.on('error', restart);
  });

  async function lead() {
    running = true;
    leaderGauge.set(1);
    await Promise.all(informers.map((informer) => informer.start()));
    synced = true;
  }

  const elector = createLeaderElector({
    api: kc.makeApiClient(CoordinationV1Api),
    namespace,
    name: options.leaseName,
    identity: options.identity,
    leaseSeconds: options.leaseSeconds,
    renewMs: Math.max(500, Math.floor((options.leaseSeconds * 1000) / 3)),
    onStarted: () =>
      void lead().catch((error) => log('error', 'could not start watching', { error: String(error) })),
    // A leader that lost its Lease stops at once: another process reconciles now.
    onStopped: () => {
      leaderGauge.set(0);
      log('warn', 'no longer the leader; stopping');
      void stop().then(() => process.exit(1));
    },
    log: (message, details) => log('info', message, details),
  });

  async function stop() {
    running = false;
    await Promise.all(informers.map((informer) => informer.stop().catch(() => undefined)));
    await queue.stop();
  }

  return {
    start: () => elector.start(),
    isLeader: () => elector.isLeader(),
    /** Ready: a follower waiting for the Lease, or a leader whose watches have listed. */
    isReady: () => !elector.isLeader() || synced,
    reconcileNow: (name: string) => queue.add(name),
    /** Graceful shutdown: finish the reconcile in progress, stop watching, hand the Lease back. */
    async shutdown() {
      await stop();
      await elector.release();
      leaderGauge.set(0);
    },
  };
}
