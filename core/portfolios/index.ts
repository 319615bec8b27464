// The portfolios feature's public module: the service and the vocabulary of its API.
export * from './portfolios.service.ts';
export { COST_BASIS_METHODS, type TCostBasisMethod } from './ledger.ts';
export { TRANSACTION_TYPES, CASH, type TLedgerTransaction, type TTransactionType } from './transaction.ts';
export { PERFORMANCE_RANGES, type TPerformanceRange } from './performance-range.ts';
export { addDays } from './performance.ts';
export { IMPORT_FORMATS, GENERIC_COLUMNS, type TImportFormat } from './import-formats.ts';
export { DECIMAL_PATTERN, dec, type Decimal } from './decimal.ts';
/** RFC 4180 lines and the formula-injection guard of the CSV export (the reports write CSV with them too). */
export { guardFormula, toCsv } from './csv.ts';
export type { TPortfolioRecord, TPortfolioSettings } from './portfolios.repository.ts';
export type { TTransactionRecord } from './transaction.ts';
export * from './limits.service.ts';
export { LIMIT_TYPES, REJECT_CODES, type TLimit, type TLimitType } from './limits.ts';

import { CreatePortfolios1733184000000 } from './migrations/1733184000000-create-portfolios.ts';
import { CreatePortfolioLimits1733270400000 } from './migrations/1733270400000-create-portfolio-limits.ts';

/** The feature's schema, oldest first (core/features.ts runs every feature's). */
export const PORTFOLIO_MIGRATIONS = [CreatePortfolios1733184000000, CreatePortfolioLimits1733270400000];
