/**
 * Waits for the next window when the current one ends within `needMs`. Rate-limit counters
 * (api/http/rate-limit.ts) and job deduplication (`windowMs` in core/platform/jobs/define-job.ts) live
 * in fixed windows aligned to the clock: a counted sequence that straddles a window's end starts again
 * from nothing, so a test that expects the N-th request to be refused (or to meet the same job) must
 * run inside one window.
 */
export async function awayFromWindowEnd(needMs = 5000, windowMs = 60_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
