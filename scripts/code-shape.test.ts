import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@jest/globals';

const ROOT = path.resolve(import.meta.dirname, '..');
const MAX_LINES = 300;

/**
 * Pure math is excepted (issue #21): a long pure function reads better whole than split, and its own
 * unit tests hold it. Each entry must stay pure (imports only from its own feature's pure modules)
 * and keep a test file beside it.
 */
const PURE_MATH: Record<string, string> = {
  'core/portfolios/ledger.ts': 'the lot ledger (docs/portfolio-methodology.md)',
};

/** The source files (tests and test helpers aside) under a folder. */
function sources(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .map((file) => path.join(folder, file).split(path.sep).join('/'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('/test/'));
}

const lineCount = (file: string) => readFileSync(path.join(ROOT, file), 'utf8').split('\n').length - 1;

test(`When core/ and api/ are read, then no source file is over ${MAX_LINES} lines (pure math excepted)`, () => {
  const long = [...sources('core'), ...sources('api')]
    .filter((file) => !(file in PURE_MATH))
    .map((file) => ({ file, lines: lineCount(file) }))
    .filter(({ lines }) => lines > MAX_LINES);
  expect(long).toEqual([]);
});

test('When a file is excepted as pure math, then it imports nothing with effects and has its own tests', () => {
  for (const file of Object.keys(PURE_MATH)) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]!);
    expect({ file, imports: imports.filter((source) => !source.startsWith('./')) }).toEqual({
      file,
      imports: [],
    });
    expect({ file, tested: existsSync(path.join(ROOT, file.replace(/\.ts$/, '.test.ts'))) }).toEqual({
      file,
      tested: true,
    });
  }
});
