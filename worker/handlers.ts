import { JOB_NAMES, type TJobName } from '../core/jobs/index.ts';
import { backfillHistoryProcessor } from './processors/market/backfill-history.processor.ts';
import { cleanupHistoryProcessor } from './processors/market/cleanup-history.processor.ts';
import { computeRiskProcessor } from './processors/risk/compute-risk.processor.ts';
import type { TProcessor } from './processors/processor.types.ts';
import { deliverWebhookProcessor } from './processors/webhooks/deliver-webhook.processor.ts';
import { evaluateAlertsProcessor } from './processors/alerts/evaluate-alerts.processor.ts';
import { syncMarketsProcessor } from './processors/market/sync-markets.processor.ts';

export const HANDLERS: { [N in TJobName]: TProcessor<N> } = {
  'sync-markets': syncMarketsProcessor,
  'backfill-history': backfillHistoryProcessor,
  'cleanup-history': cleanupHistoryProcessor,
  'compute-risk': computeRiskProcessor,
  'evaluate-alerts': evaluateAlertsProcessor,
  'deliver-webhook': deliverWebhookProcessor,
};

/** The worker refuses to boot when a job name has no processor. */
export function assertEveryJobHasAHandler(): void {
  const missing = JOB_NAMES.filter((name) => typeof HANDLERS[name] !== 'function');
  if (missing.length) throw new Error(`no processor for job(s): ${missing.join(', ')}`);
}
