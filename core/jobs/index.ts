// The job system's public module: definitions, the producer side (queues) and the job use cases.
export * from './definitions.ts';
export * from './queues.ts';
export * from './job.service.ts';
export * from './job-status.ts';
export * from './job-admin.service.ts';
