import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_STATES } from '../core/platform/jobs/index.ts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type TWorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** Parses `used_memory` and `maxmemory` out of Redis INFO memory. */
export function parseRedisMemory(info: string): { used: number; max: number } {
  const field = (name: string) => Number(info.match(new RegExp(`^${name}:(\\d+)`, 'm'))?.[1] ?? NaN);
  return { used: field('used_memory'), max: field('maxmemory') };
}

/**
 * Job and queue metrics; queue depth is read from Redis at scrape time. The worker also reports Redis
 * memory against maxmemory: with noeviction, a full Redis refuses new jobs, so that is worth an alert.
 */
export function createWorkerMetrics(registry: Registry, queues: Queue[], redis?: Redis) {
  // Both Redis gauges are collected in one scrape: share one INFO call between them.
  let lastInfo: { at: number; result: Promise<{ used: number; max: number }> } | undefined;
  const memory = () => {
    if (!lastInfo || Date.now() - lastInfo.at > 1000) {
      lastInfo = {
        at: Date.now(),
        result: redis!.info('memory').then(parseRedisMemory, () => ({ used: NaN, max: NaN })),
      };
    }
    return lastInfo.result;
  };
  return {
    redisUsed: new Gauge({
      name: 'redis_memory_used_bytes',
      help: 'Memory used by Redis (INFO used_memory)',
      registers: redis ? [registry] : [],
      async collect() {
        const { used } = await memory();
        if (!Number.isNaN(used)) this.set(used);
      },
    }),
    redisMax: new Gauge({
      name: 'redis_memory_max_bytes',
      help: 'Redis maxmemory (0 = unlimited)',
      registers: redis ? [registry] : [],
      async collect() {
        const { max } = await memory();
        if (!Number.isNaN(max)) this.set(max);
      },
    }),
    jobs: new Counter({
      name: 'worker_jobs_total',
      help: 'Jobs finished by queue, job name and status (completed, failed)',
      labelNames: ['queue', 'job', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'worker_job_duration_seconds',
      help: 'Job processing time by queue, job name and status',
      labelNames: ['queue', 'job', 'status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    depth: new Gauge({
      name: 'bullmq_queue_jobs',
      help: 'Jobs in each queue by state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        for (const queue of queues) {
          try {
            const counts = await queue.getJobCounts(...JOB_STATES);
            for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch {
            // Redis unreachable: keep the last values rather than failing the whole scrape.
          }
        }
      },
    }),
  };
}
