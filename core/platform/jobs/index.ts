// The job system's platform part: how features declare jobs, the producer, the dead-letter type.
export * from './define-job.ts';
export * from './dead-letter.ts';
export * from './job-states.ts';
export * from './queues.ts';
export * from './events.ts';
