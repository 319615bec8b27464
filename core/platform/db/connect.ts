import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

/** Initialises the data source, retrying with capped backoff so a process can start before PostgreSQL. */
export async function connectWithRetry(
  db: DataSource,
  logger: Logger,
  stop: () => boolean = () => false,
): Promise<void> {
  for (let attempt = 1; !db.isInitialized && !stop(); attempt += 1) {
    try {
      await db.initialize();
      logger.info('database connected');
      return;
    } catch (error) {
      const delay = Math.min(500 * 2 ** Math.min(attempt, 5), 10_000);
      logger.warn({ err: error, attempt, retry_in_ms: delay }, 'database not reachable yet');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
