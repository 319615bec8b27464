import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TChild } from './processes.ts';

/** buildah on the storage scripts/image.sh builds into (TEST_BUILDAH_DIR, or .tools/buildah). */
export function buildah(args: string[]): string {
  const dir = process.env.TEST_BUILDAH_DIR ?? path.resolve(import.meta.dirname, '..', '.tools', 'buildah');
  return execFileSync(
    'buildah',
    [
      '--root',
      path.join(dir, 'root'),
      '--runroot',
      path.join(dir, 'runroot'),
      '--storage-driver',
      'vfs',
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
}

export type TImage = {
  rootfs: string;
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  close: () => void;
};

/** The image's root filesystem (a buildah working container, mounted: vfs makes it a plain folder). */
export function openImage(image: string): TImage {
  const config = JSON.parse(buildah(['inspect', '--type', 'image', image])).OCIv1.config as {
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
  };
  const container = buildah([
    'from',
    '--pull-never',
    '--name',
    `image-test-${randomUUID().slice(0, 8)}`,
    image,
  ]);
  // runc wants the real path (.tools may be a symlink).
  const rootfs = realpathSync(buildah(['mount', container]));
  return {
    rootfs,
    env: config.Env ?? [],
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    workdir: config.WorkingDir ?? '/',
    close: () => {
      buildah(['rm', container]);
    },
  };
}

const NO_CAPABILITIES = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };

/**
 * Runs one container of `image` with runc, as the chart's securityContext has the kubelet run it: user
 * and group 10001, no capabilities, no privilege escalation, a read-only root filesystem and /tmp the
 * only writable path (a 64 MiB tmpfs, like the chart's emptyDir). It shares the host's network (the test
 * reaches it and it reaches PostgreSQL and Redis on loopback); `files` are bind-mounted read-only.
 */
export function runContainer(
  image: TImage,
  args: string[],
  env: Record<string, string>,
  files: Record<string, string> = {},
): TChild & { id: string } {
  const id = `tb-${randomUUID().slice(0, 12)}`;
  const bundle = mkdtempSync(path.join(os.tmpdir(), 'runc-'));
  const mounts = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=1777', 'size=64m'],
    },
    // What the kubelet mounts into every container.
    { destination: '/etc/resolv.conf', type: 'bind', source: '/etc/resolv.conf', options: ['rbind', 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['rbind', 'ro'] },
    ...Object.entries(files).map(([destination, source]) => ({
      destination,
      type: 'bind',
      source,
      options: ['rbind', 'ro'],
    })),
  ];
  writeFileSync(
    path.join(bundle, 'config.json'),
    JSON.stringify({
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 10001, gid: 10001, additionalGids: [10001] },
        args: [...image.entrypoint, ...args],
        env: [...image.env, ...Object.entries(env).map(([key, value]) => `${key}=${value}`)],
        cwd: image.workdir,
        capabilities: NO_CAPABILITIES,
        noNewPrivileges: true,
        rlimits: [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 4096 }],
      },
      root: { path: image.rootfs, readonly: true },
      hostname: id,
      mounts,
      linux: {
        // No network namespace: the host's (see above).
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
        maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
        readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
        resources: { devices: [{ allow: false, access: 'rwm' }] },
      },
    }),
  );
  mkdirSync(path.join(bundle, 'state'), { recursive: true });
  const child = spawn('runc', ['--root', path.join(bundle, 'state'), 'run', '--bundle', bundle, id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      try {
        execFileSync('runc', ['--root', path.join(bundle, 'state'), 'delete', '--force', id], {
          stdio: 'ignore',
        });
      } catch {
        // already gone
      }
      rmSync(bundle, { recursive: true, force: true });
      resolve(code);
    }),
  );
  return { id, process: child, output: () => output, exited };
}

/** Sends a signal to the container's PID 1 (tini, which forwards it to node). */
export function signalContainer(container: TChild & { id: string }, signal = 'TERM') {
  const bundleState = (container.process.spawnargs[2] ?? '').toString();
  execFileSync('runc', ['--root', bundleState, 'kill', container.id, signal], { stdio: 'ignore' });
}
