import { computeRiskProcessor } from './compute-risk.processor.ts';

/** Handlers of the risk feature's jobs (core/risk/risk.jobs.ts). */
export const riskProcessors = { 'compute-risk': computeRiskProcessor };
