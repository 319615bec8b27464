import { backfillHistory } from '../../../core/market/index.ts';
import type { TProcessor } from '../processor.types.ts';

export const backfillHistoryProcessor: TProcessor<'backfill-history'> = (payload, job, deps) =>
  backfillHistory(
    { ...deps, onProgress: (done, total) => job.updateProgress(Math.round((done / total) * 100)) },
    payload,
  );
