// The jobs feature's public module: the job use cases of the API (trigger a sync, follow a job, the
// operators' queue administration). The producer and how jobs are declared live in core/platform/jobs;
// the list of every job is core/features.ts.
export * from './job.service.ts';
export * from './job-status.ts';
export * from './job-admin.service.ts';
