/**
 * The frame every PDF report shares, on pdfkit: A4 portrait, DejaVu Sans embedded (a subset of the
 * glyphs used; core/reports/fonts), a running title at the top and, on every page, the page number, the
 * generation time and "Data provided by CoinGecko" at the bottom. Text is real text (selectable,
 * `pdftotext` reads it). The document info's CreationDate and ModDate are the generation time, from
 * which pdfkit derives the file ID (an MD5 of the info): the same model and time give the same bytes.
 *
 * Pages are written out as the document moves on (no page buffering), so a table of 10,000 rows flows
 * to the output page by page; `relieve()` waits while the output is behind (back-pressure).
 */
import PDFDocument from 'pdfkit';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatMoment } from './format.ts';
import type { TReportRows } from './report-model.ts';

// Fonts are named by their path everywhere: pdfkit caches a font under the name it was set by, and
// only a path (not a registerFont alias) is cached, so an alias would parse the file on every switch.
const font = (name: string) => fileURLToPath(new URL(`./fonts/${name}`, import.meta.url));
export const FONT_REGULAR = font('DejaVuSans.ttf');
export const FONT_BOLD = font('DejaVuSans-Bold.ttf');

export const PAGE = { width: 595.28, height: 841.89 } as const;
export const MARGIN = { top: 58, bottom: 56, left: 48, right: 48 } as const;
export const CONTENT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const BOTTOM = PAGE.height - MARGIN.bottom;

export const COLORS = {
  text: '#1a1a1a',
  muted: '#666666',
  rule: '#c8c8c8',
  band: '#f2f4f7',
  portfolio: '#1f5fbf',
  benchmark: '#e08a00',
  gain: '#2e8b57',
  loss: '#c0392b',
  area: '#c0392b',
} as const;

export type TPdfColumn = { header: string; width: number; align?: 'left' | 'right' };

export type TPdf = ReturnType<typeof pdfFrame>;

function pdfFrame(
  doc: PDFKit.PDFDocument,
  meta: { title: string; generatedAt: Date },
  failed: () => Error | null,
) {
  let pageNumber = 0;
  const generated = `Generated ${formatMoment(meta.generatedAt)}`;

  /** Writes outside the margins without pdfkit starting a new page for it. */
  function outside(draw: () => void) {
    const { x, y } = doc;
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    draw();
    doc.page.margins.bottom = bottom;
    doc.x = x;
    doc.y = y;
  }

  doc.on('pageAdded', () => {
    pageNumber += 1;
    outside(() => {
      doc.font(FONT_BOLD).fontSize(8).fillColor(COLORS.muted);
      doc.text(meta.title, MARGIN.left, 30, { width: CONTENT_WIDTH, lineBreak: false });
      doc.moveTo(MARGIN.left, 42).lineTo(PAGE.width - MARGIN.right, 42).lineWidth(0.5).stroke(COLORS.rule);
      const footerY = PAGE.height - 38;
      doc.moveTo(MARGIN.left, footerY - 6).lineTo(PAGE.width - MARGIN.right, footerY - 6).stroke(COLORS.rule);
      doc.font(FONT_REGULAR).fontSize(7).fillColor(COLORS.muted);
      doc.text(`${generated} · Data provided by CoinGecko`, MARGIN.left, footerY, {
        width: CONTENT_WIDTH,
        lineBreak: false,
      });
      doc.text(`Page ${pageNumber}`, MARGIN.left, footerY, {
        width: CONTENT_WIDTH,
        align: 'right',
        lineBreak: false,
      });
      doc.fillColor(COLORS.text);
    });
    doc.x = MARGIN.left;
    doc.y = MARGIN.top;
  });

  const pdf = {
    doc,
    get pages() {
      return pageNumber;
    },
    addPage() {
      doc.addPage({ size: 'A4', margins: MARGIN });
    },
    /** Starts a new page when less than `height` points are left on this one. */
    ensureSpace(height: number) {
      if (doc.y + height > BOTTOM) pdf.addPage();
    },
    title(text: string, lines: string[]) {
      doc.font(FONT_BOLD).fontSize(18).fillColor(COLORS.text).text(text, MARGIN.left, doc.y);
      doc.moveDown(0.2);
      doc.font(FONT_REGULAR).fontSize(9).fillColor(COLORS.muted);
      for (const line of lines) doc.text(line);
      doc.fillColor(COLORS.text).moveDown(0.8);
    },
    heading(text: string) {
      pdf.ensureSpace(60);
      doc.moveDown(0.4);
      doc.font(FONT_BOLD).fontSize(12).fillColor(COLORS.text).text(text, MARGIN.left, doc.y, { width: CONTENT_WIDTH });
      doc.moveDown(0.3);
    },
    paragraph(text: string, size = 8.5) {
      doc.font(FONT_REGULAR).fontSize(size).fillColor(COLORS.text);
      pdf.ensureSpace(doc.heightOfString(text, { width: CONTENT_WIDTH }) + 4);
      doc.text(text, MARGIN.left, doc.y, { width: CONTENT_WIDTH, lineGap: 1 });
      doc.moveDown(0.4);
    },
    /** Label–value pairs in `columns` columns. */
    keyValues(pairs: readonly (readonly [string, string])[], columns = 2) {
      const rowHeight = 14;
      const width = CONTENT_WIDTH / columns;
      const rows = Math.ceil(pairs.length / columns);
      pdf.ensureSpace(rows * rowHeight + 6);
      const top = doc.y;
      pairs.forEach(([label, value], index) => {
        const x = MARGIN.left + (index % columns) * width;
        const y = top + Math.floor(index / columns) * rowHeight;
        doc.font(FONT_REGULAR).fontSize(8.5).fillColor(COLORS.muted);
        doc.text(label, x, y, { width: width * 0.55 - 4, height: 10, lineBreak: false, ellipsis: true });
        doc.font(FONT_BOLD).fillColor(COLORS.text);
        doc.text(value, x + width * 0.55, y, { width: width * 0.45 - 8, lineBreak: false, align: 'right' });
      });
      doc.x = MARGIN.left;
      doc.y = top + rows * rowHeight + 6;
    },
    /**
     * A table read row by row: the header repeats on every page it runs onto; long cells are cut with
     * an ellipsis. Widths are fractions of the content width. Returns the number of rows written.
     */
    async table(columns: readonly TPdfColumn[], rows: TReportRows<readonly string[]>, size = 7): Promise<number> {
      const rowHeight = size + 4.5;
      const widths = columns.map((column) => column.width * CONTENT_WIDTH);
      const drawRow = (cells: readonly string[], bold: boolean, band: boolean) => {
        const y = doc.y;
        if (band) doc.rect(MARGIN.left, y, CONTENT_WIDTH, rowHeight).fill(bold ? '#e3e7ee' : COLORS.band);
        doc.font(bold ? FONT_BOLD : FONT_REGULAR).fontSize(size).fillColor(COLORS.text);
        let x = MARGIN.left;
        cells.forEach((cell, index) => {
          doc.text(cell, x + 2, y + 2.2, {
            width: widths[index]! - 4,
            align: columns[index]!.align ?? 'left',
            // One line: with a height, pdfkit cuts a word too long for the cell (with the ellipsis)
            // instead of breaking it over lines.
            height: size + 2,
            lineBreak: false,
            ellipsis: true,
          });
          x += widths[index]!;
        });
        doc.x = MARGIN.left;
        doc.y = y + rowHeight;
      };
      const header = () => drawRow(columns.map((column) => column.header), true, true);
      pdf.ensureSpace(rowHeight * 3);
      header();
      let count = 0;
      for await (const row of rows) {
        if (doc.y + rowHeight > BOTTOM) {
          pdf.addPage();
          header();
        }
        drawRow(row, false, count % 2 === 1);
        count += 1;
        if (count % 200 === 0) await pdf.relieve();
      }
      if (count === 0) drawRow(['(none)'], false, false);
      doc.moveDown(0.6);
      return count;
    },
    /**
     * Lets the output catch up: pdfkit pushes each finished page at once and the pipe moves it to `out`
     * as `out` takes it; the table calls this every 200 rows, and it waits (a turn of the event loop,
     * then while more than one buffer's worth is queued) so that a long table never piles up in memory.
     */
    async relieve() {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const failure = failed();
      if (failure) throw failure;
      while (doc.readableLength > doc.readableHighWaterMark && !doc.destroyed) {
        await new Promise<void>((resolve) => {
          const go = () => {
            doc.off('data', go);
            doc.off('close', go);
            resolve();
          };
          doc.on('data', go);
          doc.on('close', go);
        });
      }
    },
  };
  return pdf;
}

/**
 * Renders a PDF into `out`: `build` writes the pages; the document is ended and `out` finished when it
 * returns (a failure destroys both). The first page is added before `build` runs.
 */
export async function renderPdf(
  out: Writable,
  meta: { title: string; subject: string; generatedAt: Date },
  build: (pdf: TPdf) => Promise<void>,
): Promise<void> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    autoFirstPage: false,
    bufferPages: false,
    // pdfkit caches the glyph layout of every distinct word for the whole document: with a table of
    // 10,000 rows of distinct numbers that cache, not the pages, is what would grow with the report.
    fontLayoutCache: false,
    compress: true,
    pdfVersion: '1.7',
    font: FONT_REGULAR,
    displayTitle: true,
    lang: 'en',
    info: {
      Title: meta.title,
      Subject: meta.subject,
      Author: 'trading-backend',
      Creator: 'trading-backend reports',
      Producer: 'PDFKit',
      CreationDate: meta.generatedAt,
      ModDate: meta.generatedAt,
    },
  });
  // A failing output (a full disk, a client gone) ends the pipeline at once; the build stops at its
  // next relieve() and the failure is what rendering rejects with.
  let failure: Error | null = null;
  const written = pipeline(doc, out).catch((error: Error) => {
    failure = error;
  });
  const pdf = pdfFrame(doc, { title: meta.title, generatedAt: meta.generatedAt }, () => failure);
  try {
    pdf.addPage();
    await build(pdf);
  } catch (error) {
    if (!doc.destroyed) doc.destroy(error as Error);
    await written;
    throw failure ?? error;
  }
  doc.end();
  await written;
  if (failure) throw failure;
}
