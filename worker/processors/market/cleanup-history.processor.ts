import { deleteAuditOlderThan } from '../../../core/audit/index.ts';
import { cleanupHistory } from '../../../core/market/index.ts';
import type { TProcessor } from '../processor.types.ts';

/** The daily retention job: price history past HISTORY_RETENTION_DAYS, audit events past AUDIT_RETENTION_DAYS. */
export const cleanupHistoryProcessor: TProcessor<'cleanup-history'> = async (payload, _job, deps) => {
  const history = await cleanupHistory(deps.db, {
    retention_days: payload.retention_days ?? deps.config.HISTORY_RETENTION_DAYS,
    batch_size: payload.batch_size,
    as_of: payload.as_of,
  });
  const audit = await deleteAuditOlderThan(deps.db, {
    days: deps.config.AUDIT_RETENTION_DAYS,
    asOf: new Date(payload.as_of),
    batchSize: payload.batch_size,
  });
  return { ...history, audit };
};
