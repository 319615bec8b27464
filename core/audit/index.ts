// The audit feature's public module.
export * from './audit.service.ts';
export { deleteAuditOlderThan, type TAuditRow } from './audit.repository.ts';
