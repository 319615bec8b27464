import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { dec } from '../portfolios/index.ts';
import { plainNumber } from './csv-writer.ts';
import { formatAmount, formatPercent } from './format.ts';
import { reportMedia, renderReport } from './render.ts';
import type { TRealizedGainRow, TReportFormat, TReportKind, TReportModels } from './report-model.ts';
import {
  sampleAuditModel,
  sampleCoinRiskModel,
  sampleRealizedGainsModel,
  sampleStatementModel,
} from '../../test/report-models.ts';

// poppler-utils, provisioned by scripts/pdf-tools.sh (npm test and npm run test:unit run it).
const TOOLS = process.env.TEST_PDF_TOOLS ?? '/usr/bin';
const run = promisify(execFile);
const tool = async (name: string, args: string[]) =>
  (await run(path.join(TOOLS, name), args, { maxBuffer: 64 * 1024 * 1024 })).stdout;

const GENERATED_AT = new Date('2026-01-02T03:04:05.000Z');

/** A Writable that keeps what it is given, and how much had arrived at a moment `mark()` names. */
function collector() {
  const chunks: Buffer[] = [];
  let size = 0;
  const out = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      size += chunk.length;
      setImmediate(callback);
    },
  });
  return { out, bytes: () => Buffer.concat(chunks), size: () => size, writes: () => chunks.length };
}

async function render<K extends TReportKind>(kind: K, format: TReportFormat, model: TReportModels[K], at = GENERATED_AT) {
  const sink = collector();
  const media = await renderReport(kind, format, model, sink.out, { generatedAt: at });
  return { media, bytes: sink.bytes() };
}

const models = {
  portfolio_statement: () => sampleStatementModel({ transactions: 400, days: 365 }),
  realized_gains: () => sampleRealizedGainsModel(),
  coin_risk: () => sampleCoinRiskModel(),
  audit_export: () => sampleAuditModel(300),
} satisfies { [K in TReportKind]: () => TReportModels[K] };

const csvRows = (text: string | Uint8Array): Record<string, string>[] =>
  parse(Buffer.from(text).toString('utf8'), { columns: true, relax_column_count: false });

const sum = (rows: Record<string, string>[], column: string) =>
  rows.reduce((total, row) => total.plus(row[column] || '0'), dec(0));

const collect = async <T>(rows: Iterable<T> | AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'reports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes the PDF and reads it back with poppler: page count and size, fonts, text, every page rendered. */
async function inspectPdf(name: string, bytes: Buffer) {
  const file = path.join(dir, `${name}.pdf`);
  await writeFile(file, bytes);
  const info = await tool('pdfinfo', [file]);
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
  const fonts = (await tool('pdffonts', [file])).split('\n').slice(2).filter(Boolean);
  const text = await tool('pdftotext', ['-layout', file, '-']);
  const prefix = path.join(dir, `${name}-page`);
  await tool('pdftoppm', ['-png', '-r', '30', file, prefix]);
  const images = (await readdir(dir)).filter((entry) => entry.startsWith(`${name}-page`) && entry.endsWith('.png'));
  const sizes = await Promise.all(images.map(async (image) => (await stat(path.join(dir, image))).size));
  return { info, pages, fonts, text, images: images.length, sizes };
}

describe('renderReport: CSV', () => {
  test('When a statement is rendered as CSV, then it is a ZIP of one RFC 4180 CSV per table and a README, whose figures add up to the answers', async () => {
    const model = models.portfolio_statement();
    const { media, bytes } = await render('portfolio_statement', 'csv', model);
    expect(media).toEqual({ content_type: 'application/zip', file_extension: 'zip' });
    const files = unzipSync(bytes);
    expect(Object.keys(files)).toEqual([
      'README.txt',
      'summary.csv',
      'holdings_start.csv',
      'holdings_end.csv',
      'realized_gains.csv',
      'performance_daily.csv',
      'gains_by_month.csv',
      'allocation.csv',
      'drift.csv',
      'risk.csv',
      'transactions.csv',
    ]);
    const readme = Buffer.from(files['README.txt']!).toString('utf8');
    expect(readme).toContain('RFC 4180');
    expect(readme).toContain('CoinGecko');
    for (const [name, content] of Object.entries(files).filter(([entry]) => entry.endsWith('.csv'))) {
      const text = Buffer.from(content).toString('utf8');
      expect(text.endsWith('\r\n')).toBe(true);
      expect(text.split('\n')[0]!.endsWith('\r')).toBe(true);
      expect(csvRows(text).length).toBeGreaterThanOrEqual(name === 'holdings_start.csv' ? 1 : 0);
    }

    const summary = new Map(csvRows(files['summary.csv']!).map((row) => [row.item!, row.value!]));
    expect(summary.get('value_end')).toBe(model.holdings_end.totals.value);
    expect(summary.get('value_start')).toBe(model.holdings_start.totals.value);
    expect(summary.get('twr')).toBe(plainNumber(model.performance.twr));
    expect(summary.get('excess_return')).toBe(plainNumber(model.performance.excess_return!));
    expect(summary.get('realized_gain')).toBe(model.realized.totals.gain);
    expect(summary.get('cost_basis_method')).toBe('fifo');
    expect(summary.get('generated_at')).toBe(GENERATED_AT.toISOString());

    for (const [name, holdings] of [
      ['holdings_start.csv', model.holdings_start],
      ['holdings_end.csv', model.holdings_end],
    ] as const) {
      const rows = csvRows(files[name]!);
      expect(sum(rows, 'market_value').toFixed()).toBe(dec(holdings.totals.value).toFixed());
      expect(rows.map((row) => row.symbol)).toEqual([
        ...holdings.holdings.map((h) => h.symbol),
        ...(holdings.cash === null ? [] : ['USD']),
      ]);
    }

    const realized = csvRows(files['realized_gains.csv']!);
    expect(realized).toHaveLength(model.realized.disposals.length);
    expect(sum(realized, 'gain_or_loss').toFixed()).toBe(dec(model.realized.totals.gain).toFixed());
    expect(sum(realized, 'proceeds').toFixed()).toBe(dec(model.realized.totals.proceeds).toFixed());
    expect(sum(realized, 'cost_basis').toFixed()).toBe(dec(model.realized.totals.cost).toFixed());

    const transactions = csvRows(files['transactions.csv']!);
    const expected = await collect(sampleStatementModel({ transactions: 400, days: 365 }).transactions);
    expect(transactions).toHaveLength(expected.length);
    expect(transactions.map((row) => row.quantity)).toEqual(expected.map((tx) => tx.quantity));
    const formula = transactions.find((row) => row.notes!.includes('HYPERLINK'));
    expect(formula?.notes).toBe(`'=HYPERLINK("http://example.com")`);
    expect(transactions.find((row) => row.notes!.includes('leg'))?.notes).toMatch(/^rebalance, "[A-Z]+" leg$/);

    const daily = csvRows(files['performance_daily.csv']!);
    expect(daily).toHaveLength(model.performance.series.length);
    expect(daily.at(-1)?.value).toBe(model.performance.value_end);
    const months = csvRows(files['gains_by_month.csv']!);
    expect(sum(months, 'realized_gain').toFixed()).toBe(dec(model.realized.totals.gain).toFixed());
    const allocation = csvRows(files['allocation.csv']!);
    expect(sum(allocation, 'value').toFixed()).toBe(dec(model.holdings_end.totals.value).toFixed());
    const risk = new Map(csvRows(files['risk.csv']!).map((row) => [row.metric!, row.value!]));
    expect(risk.get('sharpe_ratio')).toBe(plainNumber(model.risk!.metrics.sharpe_ratio!));
    expect(csvRows(files['drift.csv']!)).toHaveLength(model.drift!.rows.length);
  });

  test('When realized gains are rendered as CSV, then the columns follow Form 8949 and the rows are the model’s, totals by term included', async () => {
    const model = models.realized_gains();
    const { media, bytes } = await render('realized_gains', 'csv', model);
    expect(media).toEqual({ content_type: 'text/csv; charset=utf-8', file_extension: 'csv' });
    const text = bytes.toString('utf8');
    expect(text.split('\r\n')[0]).toBe(
      'description,date_acquired,date_sold,proceeds,cost_basis,gain_or_loss,term,symbol,quantity,holding_days,short_position,lot_id,transaction_id',
    );
    const rows = csvRows(text);
    const expected = model.rows as TRealizedGainRow[];
    expect(rows.length).toBeGreaterThan(10);
    expect(rows).toEqual(
      expected.map((row) => ({
        description: row.description,
        date_acquired: row.date_acquired,
        date_sold: row.date_disposed,
        proceeds: row.proceeds,
        cost_basis: row.cost_basis,
        gain_or_loss: row.gain,
        term: row.term,
        symbol: row.symbol,
        quantity: row.quantity,
        holding_days: String(row.holding_days),
        short_position: String(row.short_position),
        lot_id: row.lot_id,
        transaction_id: row.transaction_id,
      })),
    );
    for (const term of ['short', 'long'] as const) {
      const own = rows.filter((row) => row.term === term);
      expect(own.length).toBe(model.totals[term].count);
      expect(sum(own, 'gain_or_loss').toFixed()).toBe(dec(model.totals[term].gain).toFixed());
      expect(sum(own, 'proceeds').toFixed()).toBe(dec(model.totals[term].proceeds).toFixed());
    }
    expect(model.totals.short.count).toBeGreaterThan(0);
    expect(model.totals.long.count).toBeGreaterThan(0);
    expect(sum(rows, 'gain_or_loss').toFixed()).toBe(dec(model.totals.all.gain).toFixed());
  });

  test('When a coin risk report is rendered as CSV, then its ZIP has every metric per symbol, the drawdown paths and a symmetric correlation matrix', async () => {
    const model = models.coin_risk();
    const files = unzipSync((await render('coin_risk', 'csv', model)).bytes);
    expect(Object.keys(files)).toEqual(['README.txt', 'metrics.csv', 'drawdown.csv', 'correlation.csv']);
    const metrics = csvRows(files['metrics.csv']!);
    expect(metrics.map((row) => row.symbol)).toEqual(['BTC', 'ETH', 'SOL']);
    for (const key of Object.keys(model.coins[0]!.report.metrics)) expect(Object.keys(metrics[0]!)).toContain(key);
    expect(metrics[1]!.var_95).toBe(plainNumber(model.coins[1]!.report.metrics.var_95));
    const drawdown = csvRows(files['drawdown.csv']!);
    expect(drawdown).toHaveLength(model.coins.reduce((count, coin) => count + coin.drawdown.length, 0));
    expect(drawdown.every((row) => Number(row.drawdown) <= 0)).toBe(true);
    const matrix = csvRows(files['correlation.csv']!);
    for (const row of matrix) for (const other of matrix) expect(row[other.symbol!]).toBe(other[row.symbol!]);
    expect(matrix[0]!.BTC).toBe('1');
  });

  test('When the audit log is exported as CSV, then quoted fields, line breaks and JSON details read back, and formula-like text is guarded', async () => {
    const model = sampleAuditModel(120);
    const rows = csvRows((await render('audit_export', 'csv', model)).bytes);
    const expected = await collect(sampleAuditModel(120).rows);
    expect(rows).toHaveLength(120);
    expect(rows.map((row) => JSON.parse(row.details!))).toEqual(expected.map((row) => row.details));
    expect(rows[0]!.target_id).toBe("'@SUM(A1:A2)");
    expect(rows[1]!.target_id).toBe('p-1');
    expect(rows.map((row) => row.at)).toEqual(expected.map((row) => row.at));
  });
});

describe('renderReport: PDF', () => {
  test('When a statement is rendered as PDF, then it is A4 with embedded fonts, page numbers, the key figures as text, and every page renders', async () => {
    const model = models.portfolio_statement();
    const { media, bytes } = await render('portfolio_statement', 'pdf', model);
    expect(media).toEqual(reportMedia('portfolio_statement', 'pdf'));
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const pdf = await inspectPdf('statement', bytes);
    expect(pdf.info).toMatch(/Page size:\s+595\.28 x 841\.89 pts \(A4\)/);
    expect(pdf.pages).toBeGreaterThanOrEqual(5);
    expect(pdf.fonts.length).toBeGreaterThanOrEqual(2);
    for (const font of pdf.fonts) expect(font).toMatch(/DejaVuSans\S*\s+CID TrueType\s+Identity-H\s+yes/);
    expect(pdf.images).toBe(pdf.pages);
    for (const size of pdf.sizes) expect(size).toBeGreaterThan(500);
    const text = pdf.text.replaceAll(/\s+/g, ' ');
    for (const figure of [
      formatAmount(model.holdings_end.totals.value),
      formatAmount(model.holdings_start.totals.value),
      formatAmount(model.realized.totals.gain),
      formatAmount(model.fees),
      formatPercent(model.performance.twr),
      formatPercent(model.performance.mwr),
      formatPercent(model.performance.benchmark.twr),
      formatPercent(model.performance.excess_return),
    ])
      expect(text).toContain(figure);
    expect(text).toContain('Data provided by CoinGecko');
    expect(text).toContain('Generated 2026-01-02 03:04 UTC');
    expect(text).toContain(`Page ${pdf.pages}`);
    expect(text).toContain('Methodology');
    expect(text).toContain('not tax advice');
    expect(text).toContain('FIFO');
    const transactions = await collect(sampleStatementModel({ transactions: 400, days: 365 }).transactions);
    expect(text).toContain(`${transactions.length} transactions.`);
  });

  test('When the other kinds are rendered as PDF, then each has its figures as text and embedded fonts only', async () => {
    const gains = models.realized_gains();
    const gainsPdf = await inspectPdf('gains', (await render('realized_gains', 'pdf', gains)).bytes);
    const gainsText = gainsPdf.text.replaceAll(/\s+/g, ' ');
    expect(gainsText).toContain('Tax year 2025');
    expect(gainsText).toContain(formatAmount(gains.totals.short.gain));
    expect(gainsText).toContain(formatAmount(gains.totals.long.gain));
    expect(gainsText).toContain(formatAmount(gains.totals.all.proceeds));
    expect(gainsText).toContain('Form 8949');

    const risk = models.coin_risk();
    const riskPdf = await inspectPdf('risk', (await render('coin_risk', 'pdf', risk)).bytes);
    expect(riskPdf.pages).toBe(3);
    const riskText = riskPdf.text.replaceAll(/\s+/g, ' ');
    for (const coin of risk.coins) {
      expect(riskText).toContain(`${coin.report.symbol}: risk score ${coin.report.risk_score}`);
      expect(riskText).toContain(formatPercent(coin.report.metrics.volatility_annualized));
    }
    expect(riskText).toContain('Correlation of daily returns');

    const auditPdf = await inspectPdf('audit', (await render('audit_export', 'pdf', sampleAuditModel(300))).bytes);
    expect(auditPdf.text).toContain('300 events.');
    for (const pdf of [gainsPdf, riskPdf, auditPdf]) {
      expect(pdf.images).toBe(pdf.pages);
      for (const font of pdf.fonts) expect(font).toMatch(/\s+yes\s+yes\s+yes\s/);
      expect(pdf.text).toContain('Data provided by CoinGecko');
    }
  });
});

describe('renderReport: determinism and streaming', () => {
  test.each(
    (['portfolio_statement', 'realized_gains', 'coin_risk', 'audit_export'] as const).flatMap((kind) =>
      (['csv', 'pdf'] as const).map((format) => [kind, format] as const),
    ),
  )('When %s is rendered as %s twice from the same model and time, then the bytes are identical', async (kind, format) => {
    const first = await render(kind, format, models[kind]() as never);
    const second = await render(kind, format, models[kind]() as never);
    expect(first.bytes.length).toBeGreaterThan(100);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    const later = await render(kind, format, models[kind]() as never, new Date('2026-01-03T00:00:00Z'));
    // Only the generation time differs: it is printed (PDF, ZIP README) or stamped (ZIP entry times).
    if (format === 'pdf' || kind === 'portfolio_statement' || kind === 'coin_risk')
      expect(later.bytes.equals(first.bytes)).toBe(false);
  });

  test.each(['csv', 'pdf'] as const)(
    'When a long statement is rendered as %s, then output is written while the transactions are still being read',
    async (format) => {
      const model = sampleStatementModel({ transactions: 3000, days: 200 });
      const sink = collector();
      let read = 0;
      const seen: { read: number; size: number }[] = [];
      const source = model.transactions as AsyncIterable<unknown>;
      model.transactions = {
        async *[Symbol.asyncIterator]() {
          for await (const tx of source) {
            read += 1;
            if (read === 1 || read === 3000) seen.push({ read, size: sink.size() });
            yield tx as never;
          }
        },
      };
      await renderReport('portfolio_statement', format, model, sink.out, { generatedAt: GENERATED_AT });
      expect(read).toBe(3000);
      // More bytes had gone out by the last transaction than by the first: the table streamed.
      expect(seen[1]!.size).toBeGreaterThan(seen[0]!.size + 10_000);
      expect(sink.size()).toBeGreaterThan(seen[1]!.size);
    },
  );
});

describe('renderReport: edge cases', () => {
  const empty = () => {
    const model = sampleStatementModel({ transactions: 0, days: 1 });
    model.performance = { ...model.performance, series: [], benchmark: { symbol: 'BTC', twr: null }, excess_return: null, mwr: null };
    model.benchmark_series = [];
    model.drawdown = [];
    model.gains_by_month = [];
    model.allocation = [];
    model.risk = null;
    model.risk_unavailable_reason = 'the period has 0 daily returns; risk needs at least 30';
    model.drift = null;
    return model;
  };

  test.each(['csv', 'pdf'] as const)('When a statement has no transactions, series, risk or targets, then it still renders as %s', async (format) => {
    const { bytes } = await render('portfolio_statement', format, empty());
    if (format === 'csv') {
      const files = unzipSync(bytes);
      expect(csvRows(files['transactions.csv']!)).toEqual([]);
      expect(Buffer.from(files['transactions.csv']!).toString()).toBe('timestamp,type,symbol,quantity,price,fee,notes,external_id,id\r\n');
    } else {
      const pdf = await inspectPdf('empty', bytes);
      expect(pdf.text).toContain('No risk metrics: the period has 0 daily returns');
      expect(pdf.text).toContain('0 transactions.');
      expect(pdf.images).toBe(pdf.pages);
    }
  });

  test('When text has accents, symbols and is too long for its cell, then the PDF keeps it as text in the embedded font, cut with an ellipsis', async () => {
    const model = sampleAuditModel(3);
    const rows = await collect(model.rows);
    rows[0]!.action = 'renamed «Épargne» €';
    rows[1]!.action = 'x'.repeat(400);
    const pdf = await inspectPdf('unicode', (await render('audit_export', 'pdf', { ...model, rows })).bytes);
    expect(pdf.text).toContain('renamed «Épargne» €');
    expect(pdf.text).not.toContain('x'.repeat(400));
    expect(pdf.text).toContain('xxx…');
    for (const font of pdf.fonts) expect(font).toMatch(/\s+yes\s+yes\s+yes\s/);
  });

  test.each(['csv', 'pdf'] as const)('When the output fails mid-way, then rendering as %s rejects with its error', async (format) => {
    let size = 0;
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        setImmediate(() => callback(size > 20_000 ? new Error('disk full') : null));
      },
    });
    const model = sampleStatementModel({ transactions: 3000, days: 200 });
    await expect(
      renderReport('portfolio_statement', format, model, out, { generatedAt: GENERATED_AT }),
    ).rejects.toThrow('disk full');
  });
});

