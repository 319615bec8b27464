import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { FEATURES, JOB_NAMES, MIGRATIONS } from './features.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const routeModules = readdirSync(path.join(ROOT, 'api/routes'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) =>
    readdirSync(path.join(ROOT, 'api/routes', entry.name))
      .filter((file) => file.endsWith('.routes.ts'))
      .map((file) => `api/routes/${entry.name}/${file}`),
  );

test('When the feature list is read, then every route module belongs to one feature (the system routes to the platform)', () => {
  const claimed = FEATURES.flatMap((feature) => feature.routes);
  expect(new Set(claimed).size).toBe(claimed.length);
  expect([...claimed, 'api/routes/system/system.routes.ts'].sort()).toEqual([...routeModules].sort());
});

test('When the jobs and migrations of every feature are gathered, then names are unique and migrations run oldest first', () => {
  expect(new Set(JOB_NAMES).size).toBe(JOB_NAMES.length);
  const names = MIGRATIONS.map((migration) => migration.name);
  expect(new Set(names).size).toBe(names.length);
  const stamps = names.map((name) => Number(/(\d{13})$/.exec(name)![1]));
  expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  expect(FEATURES.every((feature) => feature.jobs.every((job) => typeof job.handle === 'function'))).toBe(
    true,
  );
});
