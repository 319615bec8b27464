export const DEAD_LETTER_QUEUE = 'dead-letter';

/**
 * What the dead-letter queue keeps: enough to see what failed and to replay it. A job's letter is
 * replayed as a new job with the same data; a delivery's (an outbound webhook whose every attempt failed)
 * by the feature that delivers it, as a new round.
 */
export type TDeadLetter =
  | {
      source: 'job';
      queue: string;
      job_id: string;
      data: Record<string, unknown>;
      failed_reason: string;
      attempts: number;
      failed_at: string;
    }
  | {
      source: 'webhook';
      delivery_id: string;
      endpoint_id: string;
      event_type: string;
      round: number;
      failed_reason: string;
      attempts: number;
      failed_at: string;
    };

/** A delivery's letter without its source (what the delivering feature files). */
export type TDeliveryDeadLetter = Omit<Extract<TDeadLetter, { source: 'webhook' }>, 'source'>;
