import type { Redis } from 'ioredis';
import type { TJobName, TJobPayloads } from './features.ts';
import { invalidateMarketCache } from './market/index.ts';
import type { TAnnounce, TEventName, TEvents, TFlowStep, TJobProducer } from './platform/jobs/index.ts';
import { bumpResourceVersion } from './platform/cache/versions.ts';

// Every consequence in the platform, in this one file: what follows a job, and what follows a change a
// feature announces. Handlers never enqueue the next job themselves, and services never know who reacts
// to their changes. The scheduler, the CronJob trigger and the API enqueue through the producer, which
// asks this file (flowOf) what to add with a job.
//
//   sync-markets ─▶ compute-risk ─▶ evaluate-alerts            (one flow when enqueued; step by step
//                                                              after a scheduler-made sync)
//   portfolio.changed ─▶ its cache version ─▶ evaluate-alerts {portfolio_id}
//   market.changed    ─▶ the market data version (every cached market answer retires)
//   market.ticked     ─▶ the market data version ─▶ evaluate-alerts {symbols}   (the worker's ticker)

type TStep = { [N in TJobName]: { name: N; data: Partial<TJobPayloads[N]> } }[TJobName];

/** The job that follows each job, when one does. */
const NEXT: { [N in TJobName]?: (payload: TJobPayloads[N]) => TStep } = {
  // New prices make the synced coins' precomputed risk reports stale.
  'sync-markets': (payload) => ({ name: 'compute-risk', data: { top: payload.limit, as_of: payload.as_of } }),
  // Fresh reports: evaluate the alerts watching those coins (after a sync's reports: every alert).
  'compute-risk': (payload) => ({
    name: 'evaluate-alerts',
    data: payload.symbols ? { symbols: payload.symbols } : {},
  }),
};

/** Jobs enqueued together with every step after them, as one BullMQ flow (the jobs API shows its steps). */
const AS_FLOW: readonly TJobName[] = ['sync-markets'];

const nextOf = (name: string, payload: Record<string, unknown>): TStep | undefined =>
  (NEXT[name as TJobName] as ((payload: Record<string, unknown>) => TStep) | undefined)?.(payload);

/** The steps the producer enqueues with `name` as one flow, in order (none: the job runs alone). */
export function flowOf(name: string, payload: Record<string, unknown>): TFlowStep[] {
  if (!AS_FLOW.includes(name as TJobName)) return [];
  const steps: TFlowStep[] = [];
  for (let step = nextOf(name, payload); step; step = nextOf(step.name, step.data))
    steps.push(step as TFlowStep);
  return steps;
}

export type TWorkflows = ReturnType<typeof createWorkflows>;

export function createWorkflows(deps: {
  queues: TJobProducer<TJobName>;
  /** The cache store, where the cache versions live. */
  cacheRedis: Redis;
  keyPrefix: string;
}) {
  const { queues, cacheRedis, keyPrefix } = deps;

  const on: { [E in TEventName]: (data: TEvents[E]) => Promise<void> } = {
    // Cached answers about the portfolio retire at once; its limit and risk alerts are evaluated in
    // the worker, never in the request.
    'portfolio.changed': async ({ portfolio_id }) => {
      await bumpResourceVersion(cacheRedis, keyPrefix, `portfolio:${portfolio_id}`);
      await queues.enqueue('evaluate-alerts', { portfolio_id });
    },
    // Stored prices changed: a new market data version retires every cached market answer.
    'market.changed': async () => {
      await invalidateMarketCache(cacheRedis, keyPrefix);
    },
    // A tick moved current prices: the same, and the alerts on those coins (price alerts fire between syncs).
    'market.ticked': async ({ symbols }) => {
      await invalidateMarketCache(cacheRedis, keyPrefix);
      await queues.enqueue('evaluate-alerts', { symbols });
    },
  };

  return {
    announce: (async (event, data) => {
      await (on[event] as (data: unknown) => Promise<void>)(data);
    }) as TAnnounce,

    /**
     * After a job that ran outside a flow (a scheduler-made sync, a compute-risk enqueued alone): enqueues
     * its next step and names it in the job's result (`<next_job>_job`). Steps of a flow have theirs already.
     */
    async after(name: string, payload: Record<string, unknown>): Promise<Record<string, string>> {
      const step = nextOf(name, payload);
      if (!step) return {};
      const next = await queues.enqueue(step.name, step.data);
      return { [`${step.name.replaceAll('-', '_')}_job`]: next.job_id };
    },
  };
}
