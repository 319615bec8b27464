// The risk feature's public module (the metric functions, the service and its repository).
export * from './risk-math.ts';
export * from './risk-window.ts';
export * from './rankings.ts';
export * from './risk.service.ts';
export * from './risk.repository.ts';
export * from './risk.jobs.ts';
