import { createCorrelations } from './correlations.ts';
import { createRankings, type TRiskCache } from './rankings.ts';
import { createRiskReports } from './risk-report.ts';
import type { TRiskRepository } from './risk.repository.ts';

export type TRiskService = ReturnType<typeof createRiskService>;

/**
 * Risk use cases, one module each: a coin's report and the precomputation of default reports
 * (risk-report.ts), rankings of every coin (rankings.ts) and correlation matrices (correlations.ts).
 * Reads never write shared state; `cache` (the cache store) keeps computed rankings.
 */
export function createRiskService(deps: { risk: TRiskRepository; cache?: TRiskCache; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const reports = createRiskReports({ risk: deps.risk, now });
  return {
    report: reports.report,
    precompute: reports.precompute,
    rankings: createRankings({ risk: deps.risk, now, ...(deps.cache ? { cache: deps.cache } : {}) }).rankings,
    correlations: createCorrelations({ risk: deps.risk, now }),
  };
}
