// Report rendering alone (the renderers, no database; scripts/bench/reports.ts measures the whole
// render job): a generated statement of N transactions over five years (test/report-models.ts)
// rendered as PDF and as a ZIP of CSVs into a file, each in a fresh child process so that its peak
// resident memory is its own. Prints seconds per 1,000 transactions and the peak RSS for 1,000 and
// 10,000 transactions, and a 10,000-transaction PDF with the JavaScript heap capped at 64 MB.
//   node scripts/bench/report-render.ts            both sizes, both formats
//   node scripts/bench/report-render.ts --one pdf 10000   (internal: one measurement, JSON on stdout)
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderReport } from '../../core/reports/index.ts';
import { sampleStatementModel } from '../../test/report-models.ts';

const FIVE_YEARS = 1826;

async function one(format: 'pdf' | 'csv', transactions: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-reports-'));
  const file = path.join(dir, `statement.${format}`);
  try {
    const built = performance.now();
    const model = sampleStatementModel({ transactions, days: FIVE_YEARS, from: '2021-01-01' });
    const buildMs = performance.now() - built;
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await renderReport('portfolio_statement', format, model, createWriteStream(file), {
      generatedAt: new Date('2026-01-01T00:00:00Z'),
    });
    const renderMs = performance.now() - started;
    const size = (await stat(file)).size;
    const peakRss = process.resourceUsage().maxRSS * 1024;
    return { format, transactions, buildMs, renderMs, size, rssBefore, peakRss };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

if (process.argv[2] === '--one') {
  const result = await one(process.argv[3] as 'pdf' | 'csv', Number(process.argv[4]));
  process.stdout.write(JSON.stringify(result));
} else {
  const run = promisify(execFile);
  console.log(
    '| format | transactions | render s | s per 1,000 tx | output MB | RSS before render MB | peak RSS MB |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  // The last row caps the JavaScript heap at 64 MB: a renderer that held the report whole would fail.
  const cases = [
    ['pdf', 1_000, []],
    ['pdf', 10_000, []],
    ['csv', 1_000, []],
    ['csv', 10_000, []],
    ['pdf', 10_000, ['--max-old-space-size=64']],
  ] as const;
  for (const [format, transactions, flags] of cases) {
    const { stdout } = await run(
      process.execPath,
      [...flags, import.meta.filename, '--one', format, String(transactions)],
      { maxBuffer: 1024 * 1024 },
    );
    const r = JSON.parse(stdout) as Awaited<ReturnType<typeof one>>;
    console.log(
      `| ${format}${flags.length ? ' (heap capped at 64 MB)' : ''} | ${transactions} | ${(r.renderMs / 1000).toFixed(2)} | ${(r.renderMs / transactions).toFixed(3)} | ${(r.size / 1024 / 1024).toFixed(2)} | ${mb(r.rssBefore)} | ${mb(r.peakRss)} |`,
    );
  }
}
