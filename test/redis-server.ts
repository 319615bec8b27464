import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './processes.ts';

export type TRedisServer = {
  url: string;
  /** A field of INFO (`used_memory`, `evicted_keys`, …) as a number. */
  info: (field: string) => Promise<number>;
  close: () => Promise<void>;
};

/**
 * A private redis-server (Debian's) on a free loopback port, in a scratch folder, started with `args`
 * (`--maxmemory 8mb --maxmemory-policy allkeys-lru`, say); nothing persisted unless the args ask for it.
 */
export async function startRedisServer(args: string[]): Promise<TRedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...args,
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  client.on('error', () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if (client.status !== 'ready') await client.connect();
      await client.ping();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    info: async (field) => {
      const text = await client.info();
      const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
      if (!match) throw new Error(`no ${field} in INFO`);
      return Number(match[1]);
    },
    close: async () => {
      client.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
