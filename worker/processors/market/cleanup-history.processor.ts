import { cleanupHistory } from '../../../core/market/index.ts';
import type { TProcessor } from '../processor.types.ts';

export const cleanupHistoryProcessor: TProcessor<'cleanup-history'> = (payload, _job, deps) =>
  cleanupHistory(deps.db, {
    retention_days: payload.retention_days ?? deps.config.HISTORY_RETENTION_DAYS,
    batch_size: payload.batch_size,
    as_of: payload.as_of,
  });
