import type { Logger } from 'pino';
import { flushTracing } from '../tracing/index.ts';

/**
 * The one graceful shutdown of the three roots (api, worker, operator): on SIGTERM or SIGINT, once,
 * `drain` runs (stop taking work, finish what is in flight, close connections); if it takes longer than
 * `timeoutMs` the process exits 1, else 0. Returns whether shutdown has begun (readiness reads it).
 */
export function onShutdown(deps: {
  logger: Pick<Logger, 'info' | 'error'> & { flush?: () => void };
  timeoutMs: number;
  /** Logged when the signal arrives: what this root does now. */
  starting: string;
  /** Logged when the timeout forces the exit. */
  timedOut: string;
  drain: () => Promise<void>;
}): () => boolean {
  let shuttingDown = false;
  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    deps.logger.info({ signal }, deps.starting);
    const force = setTimeout(() => {
      deps.logger.error(deps.timedOut);
      process.exit(1);
    }, deps.timeoutMs).unref();
    await deps.drain();
    // The spans still buffered (within the same deadline).
    await flushTracing();
    clearTimeout(force);
    deps.logger.info('shutdown complete');
    deps.logger.flush?.();
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return () => shuttingDown;
}
