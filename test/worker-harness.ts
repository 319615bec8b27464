import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { createCacheRedis, createQueueRedis } from '../core/platform/redis/redis.ts';
import type { TConfig } from '../core/platform/config/env.ts';
import { createJobQueues, FEATURES, JOBS, type TAnyFeature, type TJobQueues } from '../core/features.ts';
import { closeQuietly, type TAnyJob } from '../core/platform/jobs/index.ts';
import { createLogger } from '../core/platform/logging/logger.ts';
import { createMetricsRegistry } from '../core/platform/metrics/registry.ts';
import { createServices } from '../core/services.ts';
import { createWorkers } from '../worker/create-workers.ts';
import { createWorkerMetrics } from '../worker/worker-metrics.ts';

export type TTestWorkers = {
  queues: TJobQueues;
  workers: Worker[];
  metrics: ReturnType<typeof createMetricsRegistry>;
  close: () => Promise<void>;
};

/** The real BullMQ workers of worker/ in this process, on the test's own queue prefix. */
export async function startTestWorkers(
  config: TConfig,
  db: DataSource,
  /** A fixture feature added to the product's (test/fixtures/notes). */
  extra?: TAnyFeature,
): Promise<TTestWorkers> {
  const jobs: readonly TAnyJob[] = extra ? [...JOBS, ...extra.jobs] : JOBS;
  const connections: Redis[] = [];
  const connect = () => {
    const connection = createQueueRedis(config.REDIS);
    connections.push(connection);
    return connection;
  };
  const redis = createCacheRedis(config.REDIS);
  const cache = createCacheRedis(config.CACHE_REDIS);
  // Fail-fast connections report timeouts as errors; the code using them handles the failed commands.
  for (const connection of [redis, cache]) connection.on('error', () => undefined);
  connections.push(redis, cache);
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'test-worker' });
  const registry = createMetricsRegistry();
  const queues = createJobQueues(connect(), config.QUEUE_PREFIX, undefined, jobs) as unknown as TJobQueues;
  const workers = createWorkers({
    config,
    logger,
    metrics: createWorkerMetrics(registry, Object.values(queues.queues)),
    queues,
    services: createServices(
      { config, db, redis, cacheRedis: cache, queues, logger },
      extra ? [...FEATURES, extra] : FEATURES,
    ),
    connection: connect,
    jobs,
  });
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  return {
    queues,
    workers,
    metrics: registry,
    close: async () => {
      await Promise.all(workers.map(closeQuietly));
      for (const queue of Object.values(queues.queues))
        await queue.obliterate({ force: true }).catch(() => undefined);
      await queues.close();
      for (const connection of connections) connection.disconnect();
    },
  };
}

/** Polls a job until it is completed or failed. */
export async function waitForJob(queues: TJobQueues, jobId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await queues.find(jobId);
    const state = found ? await found.job.getState() : 'missing';
    // Read again: the job read above may predate its completion (no return value yet).
    if (state === 'completed' || state === 'failed') return { state, job: (await queues.find(jobId))!.job };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms`);
}

/** Polls a job until one of its attempts has failed (it may still have retries left). */
export async function waitForFailedAttempt(queues: TJobQueues, jobId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await queues.find(jobId);
    if (found?.job.failedReason) return found.job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not fail within ${timeoutMs} ms`);
}
