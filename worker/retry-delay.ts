import type { MinimalJob } from 'bullmq';

/** An error that knows when a retry can succeed (a provider's rate-limit cooldown, say). */
const retryAfterOf = (error: Error | undefined): number | undefined => {
  const value = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof value === 'number' ? value : undefined;
};

/**
 * BullMQ's custom backoff (type 'cooldown-aware' in core/platform/jobs/define-job.ts): exponential from the
 * job's base delay, but never before the cooldown the failed attempt reported (`retryAfterMs`, as the
 * market providers' ProviderError carries it) is over: a retry sooner would only be refused again.
 */
export function retryDelay(attemptsMade: number, _type?: string, error?: Error, job?: MinimalJob): number {
  const base = (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? 5000;
  const exponential = Math.round(2 ** Math.max(0, attemptsMade - 1) * base);
  const cooldown = retryAfterOf(error);
  // A little past the cooldown's end, so that the retry does not arrive just before it.
  return cooldown === undefined ? exponential : Math.max(exponential, cooldown + 250);
}
