/** Every state a BullMQ job can be in, as the API and the queue-depth metric name them. */
export const JOB_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'completed',
  'failed',
  'paused',
  'waiting-children',
] as const;

export type TJobState = (typeof JOB_STATES)[number];
