import { readFileSync } from 'node:fs';
import path from 'node:path';

function readVersion(): string {
  let dir = import.meta.dirname;
  for (let depth = 0; depth < 5; depth += 1) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'trading-backend' && pkg.version) return pkg.version;
    } catch {
      // not at the project root yet
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

/** The package version, read once; the same in sources and in the build output. */
export const APP_VERSION = readVersion();
