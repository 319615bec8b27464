import type { TJobProducer } from './queues.ts';

/**
 * What features announce when something they own changed. Each feature adds its events here by
 * declaration merging (an interface for that reason: `declare module` in the feature's own files), and
 * core/workflows.ts must say what follows each one: the type makes a missing consequence an error.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TEvents {}

export type TEventName = keyof TEvents;

/** Tells core/workflows.ts that something changed; it decides what follows (cache versions, jobs). */
export type TAnnounce = <E extends TEventName>(event: E, data: TEvents[E]) => Promise<void>;

/** What a feature is given of the job system: enqueue its own jobs, file dead letters, announce changes. */
export type TJobs<Name extends string = string> = TJobProducer<Name> & { announce: TAnnounce };
