// Enqueues one job and exits: what the Kubernetes CronJobs run.
//   trigger sync [--limit 50] [--provider coingecko|coinmarketcap|replay]
//   trigger backfill (--symbol BTC | --top 50) [--days 365] [--provider ...]
//   trigger cleanup [--retention-days 365] [--batch-size 10000]
import { parseArgs } from 'node:util';
import { createQueueRedis } from '../core/platform/redis/redis.ts';
import { loadConfigOrExit } from '../core/platform/config/env.ts';
import { createJobQueues } from '../core/features.ts';
import { TRIGGER_COMMANDS, type TTriggerCommand } from '../core/schedules.ts';
import { flushTracing } from '../core/platform/tracing/index.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: 'string' },
    provider: { type: 'string' },
    symbol: { type: 'string' },
    top: { type: 'string' },
    days: { type: 'string' },
    'retention-days': { type: 'string' },
    'batch-size': { type: 'string' },
  },
});
const command = positionals[0] ?? '';
const name = Object.hasOwn(TRIGGER_COMMANDS, command)
  ? TRIGGER_COMMANDS[command as TTriggerCommand]
  : undefined;
if (!name) {
  process.stderr.write('usage: trigger sync|backfill|cleanup [options]\n');
  process.exit(2);
}
const int = (value: string | undefined) => (value === undefined ? undefined : Number(value));
const payload = Object.fromEntries(
  Object.entries({
    limit: int(values.limit),
    provider: values.provider,
    symbol: values.symbol,
    top: int(values.top),
    days: int(values.days),
    retention_days: int(values['retention-days']),
    batch_size: int(values['batch-size']),
  }).filter(([, value]) => value !== undefined),
);

const config = loadConfigOrExit();
const connection = createQueueRedis(config.REDIS, { maxRetriesPerRequest: 3, connectTimeout: 5000 });
// The producer adds what core/workflows.ts says follows the job (a sync's risk and alerts, as one flow).
const queues = createJobQueues(connection, config.QUEUE_PREFIX);
try {
  const result = await queues.enqueue(name, payload);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(
    `could not enqueue ${name}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await queues.close();
  await connection.quit();
  // With tracing on, the enqueue's span: the jobs' spans name it as their parent.
  await flushTracing();
}
