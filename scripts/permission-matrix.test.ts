import { readFile } from 'node:fs/promises';
import { expect, test } from '@jest/globals';
import { README, renderPermissionMatrix, withMatrix } from './permission-matrix.ts';

test('When the README is read, then its permission matrix is the one the code enforces (node scripts/permission-matrix.ts rewrites it)', async () => {
  const readme = await readFile(README, 'utf8');
  expect(withMatrix(readme)).toBe(readme);
  expect(readme).toContain(renderPermissionMatrix());
});

test('When the matrix is rendered, then it has a row per permission and a column per role', () => {
  const lines = renderPermissionMatrix().split('\n');
  expect(lines[1]).toBe('| permission | admin | trader | analyst | service | anonymous¹ | what it allows |');
  expect(lines.find((line) => line.startsWith('| `jobs:trigger`'))).toBe(
    '| `jobs:trigger` | ✓ |  |  | ✓ |  | Trigger market syncs and backfills |',
  );
});
