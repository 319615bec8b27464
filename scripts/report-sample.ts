// Writes docs/report-sample.png, the README's sample: the first page of a portfolio statement rendered
// from a generated model (test/report-models.ts) at a fixed generation time, as pdftoppm draws it
// (poppler-utils, provisioned by scripts/pdf-tools.sh). The same inputs give the same picture.
//   node scripts/report-sample.ts
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderReport } from '../core/reports/index.ts';
import { sampleStatementModel } from '../test/report-models.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const tools = execFileSync('bash', [path.join(ROOT, 'scripts/pdf-tools.sh')], { encoding: 'utf8' }).trim();
const dir = await mkdtemp(path.join(tmpdir(), 'report-sample-'));
try {
  const pdf = path.join(dir, 'statement.pdf');
  await renderReport('portfolio_statement', 'pdf', sampleStatementModel(), createWriteStream(pdf), {
    generatedAt: new Date('2026-01-01T08:00:00Z'),
  });
  execFileSync(path.join(tools, 'pdftoppm'), [
    '-png',
    '-r',
    '60',
    '-f',
    '1',
    '-l',
    '1',
    '-singlefile',
    pdf,
    path.join(dir, 'page'),
  ]);
  await rename(path.join(dir, 'page.png'), path.join(ROOT, 'docs/report-sample.png'));
  console.log('docs/report-sample.png written');
} finally {
  await rm(dir, { recursive: true, force: true });
}
