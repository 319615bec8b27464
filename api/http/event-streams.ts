import type { Redis } from 'ioredis';

type TListener = (message: string) => void;

const CONNECT_TIMEOUT_MS = 2000;

/** The cache connection queues no commands while offline: a new subscriber waits to be ready first. */
function ready(connection: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('Redis subscriber did not connect')), CONNECT_TIMEOUT_MS);
    const onReady = () => done();
    const onEnd = () => done(new Error('Redis subscriber closed'));
    function done(error?: Error) {
      clearTimeout(timer);
      connection.off('ready', onReady);
      connection.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    }
    connection.on('ready', onReady);
    connection.on('end', onEnd);
  });
}

/**
 * Redis pub/sub for live streams (SSE): one subscriber connection per API process, opened with the
 * first listener and closed with the last, fanning each channel's messages out to its listeners.
 */
export function createEventStreams(redis: Redis) {
  let subscriber: Redis | null = null;
  const listeners = new Map<string, Set<TListener>>();

  return {
    /** Starts listening on `channel`; resolves once subscribed, with the function that stops it. */
    async listen(channel: string, listener: TListener): Promise<() => Promise<void>> {
      if (!subscriber) {
        subscriber = redis.duplicate();
        subscriber.on('error', () => undefined);
        subscriber.on('message', (from: string, message: string) => {
          for (const each of listeners.get(from) ?? []) each(message);
        });
      }
      const connection = subscriber;
      if (connection.status !== 'ready') await ready(connection);
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        await connection.subscribe(channel);
      }
      set.add(listener);
      return async () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(channel) === set) {
          listeners.delete(channel);
          await connection.unsubscribe(channel).catch(() => undefined);
        }
        if (listeners.size === 0 && subscriber === connection) {
          subscriber = null;
          connection.disconnect();
        }
      };
    },
  };
}
export type TEventStreams = ReturnType<typeof createEventStreams>;
