import { JOB_NAMES, type TJobName } from '../core/jobs/index.ts';
import { alertProcessors } from './processors/alerts/index.ts';
import { marketProcessors } from './processors/market/index.ts';
import type { TProcessor } from './processors/processor.types.ts';
import { riskProcessors } from './processors/risk/index.ts';
import { webhookProcessors } from './processors/webhooks/index.ts';

// Each feature's processors, one entry per feature; the type requires a handler for every declared job.
export const HANDLERS: { [N in TJobName]: TProcessor<N> } = {
  ...marketProcessors,
  ...riskProcessors,
  ...alertProcessors,
  ...webhookProcessors,
};

/** The worker refuses to boot when a job name has no processor. */
export function assertEveryJobHasAHandler(): void {
  const missing = JOB_NAMES.filter((name) => typeof HANDLERS[name] !== 'function');
  if (missing.length) throw new Error(`no processor for job(s): ${missing.join(', ')}`);
}
