import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type TChild = { process: ChildProcess; output: () => string; exited: Promise<number | null> };

/**
 * Starts one of the project's entrypoints (api/main.ts, worker/main.ts, …) as a real child process.
 * With `logFile`, its output goes straight to that file (as a container runtime writes it), so the
 * parent spends no CPU reading it: benchmarks need that, since the parent also runs the load generator.
 */
export function startProcess(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
  options: { logFile?: string; stdin?: string; nodeArgs?: string[] } = {},
): TChild {
  const fd = options.logFile === undefined ? undefined : openSync(options.logFile, 'w');
  let output = '';
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', fd ?? 'pipe', fd ?? 'pipe'],
  });
  child.stdin?.end(options.stdin);
  if (fd !== undefined) closeSync(fd);
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const read = () => (options.logFile === undefined ? output : readFileSync(options.logFile, 'utf8'));
  return { process: child, output: read, exited };
}

/** Polls `url` until it answers with `status` (or throws after `timeoutMs`). */
export async function waitForStatus(url: string, status = 200, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).status === status) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
}
