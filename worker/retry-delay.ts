import type { MinimalJob } from 'bullmq';
import { ProviderError } from '../core/market/index.ts';

/**
 * BullMQ's custom backoff (type 'cooldown-aware' in core/jobs/definitions.ts): exponential from the job's base delay, but never before the provider that
 * rate-limited the attempt is out of its cooldown (a retry sooner would only be refused again).
 */
export function retryDelay(attemptsMade: number, _type?: string, error?: Error, job?: MinimalJob): number {
  const base = (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? 5000;
  const exponential = Math.round(2 ** Math.max(0, attemptsMade - 1) * base);
  const cooldown = error instanceof ProviderError ? error.retryAfterMs : undefined;
  // A little past the cooldown's end, so that the retry does not arrive just before it.
  return cooldown === undefined ? exponential : Math.max(exponential, cooldown + 250);
}
