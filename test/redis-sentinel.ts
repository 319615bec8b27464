import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './processes.ts';

export type TSentinelSet = {
  master: string;
  sentinels: { host: string; port: number }[];
  /** The port of the node that is master now (as the Sentinels say). */
  masterPort: () => Promise<number>;
  /** SIGKILLs the node listening on `port` (the master, say). */
  kill: (port: number) => Promise<void>;
  close: () => Promise<void>;
};

/**
 * One master, two replicas and three Sentinels on loopback (Debian's redis-server; `--sentinel` is what
 * the redis-sentinel command runs), append-only on every node, in a scratch folder.
 */
export async function startSentinelSet(): Promise<TSentinelSet> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-'));
  const children = new Map<number, ChildProcess>();
  const start = (port: number, args: string[]) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    children.set(port, child);
  };
  const nodes = [await freePort(), await freePort(), await freePort()];
  for (const [index, port] of nodes.entries()) {
    start(port, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--dbfilename',
      `dump-${port}.rdb`,
      '--appendonly',
      'yes',
      '--appendfilename',
      `aof-${port}.aof`,
      '--appenddirname',
      `aof-${port}`,
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      ...(index > 0 ? ['--replicaof', '127.0.0.1', String(nodes[0])] : []),
    ]);
  }
  const master = 'tbmaster';
  const sentinels: { host: string; port: number }[] = [];
  for (let index = 0; index < 3; index += 1) {
    const port = await freePort();
    const file = path.join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `sentinel monitor ${master} 127.0.0.1 ${nodes[0]} 2`,
        `sentinel down-after-milliseconds ${master} 1000`,
        `sentinel failover-timeout ${master} 5000`,
        `sentinel parallel-syncs ${master} 1`,
        '',
      ].join('\n'),
    );
    start(port, [file, '--sentinel']);
    sentinels.push({ host: '127.0.0.1', port });
  }

  const ask = async () => {
    const client = new Redis({
      host: '127.0.0.1',
      port: sentinels[0]!.port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    try {
      await client.connect();
      const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', master)) as [string, string];
      return Number(port);
    } finally {
      client.disconnect();
    }
  };
  // Ready when the Sentinels know the master and both replicas are in sync.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const probe = new Redis({ port: nodes[0], lazyConnect: true, maxRetriesPerRequest: 1 });
      await probe.connect();
      const info = await probe.info('replication');
      probe.disconnect();
      if (
        (await ask()) === nodes[0] &&
        /connected_slaves:2/.test(info) &&
        !/state=(wait_bgsave|send_bulk)/.test(info)
      )
        break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the Sentinel set did not come up');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    master,
    sentinels,
    masterPort: ask,
    kill: async (port) => {
      const child = children.get(port)!;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    close: async () => {
      for (const child of children.values()) {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
