/**
 * Streaming CSV (RFC 4180) and ZIP of CSVs for the reports. Lines are written by the portfolios' CSV
 * export (`toCsv`: fields with a comma, quote or line break in double quotes, a quote doubled, CRLF line
 * ends) and text cells pass its formula-injection guard (`guardFormula`: text a spreadsheet would run as
 * a formula gets a leading apostrophe); amounts are decimal strings as the API writes them, ratios plain
 * decimals without an exponent, dates ISO 8601. UTF-8 without a byte-order mark. Rows are read one at
 * a time and written in chunks of CHUNK_ROWS lines, so a table of any length never sits in memory whole;
 * a ZIP (fflate's streaming deflate) takes its entries one after another with a fixed modification time.
 */
import { Zip, ZipDeflate } from 'fflate';
import { dec, guardFormula, toCsv } from '../portfolios/index.ts';
import type { TReportRows } from './report-model.ts';

/** How a column's values are written: `text` is guarded against formulas, the others are data as they are. */
export type TCsvKind = 'text' | 'decimal' | 'number' | 'date' | 'integer' | 'boolean';

export type TCsvColumn<T> = {
  header: string;
  /** The kind of every cell of the column, or of each row's cell (a key–value table). */
  kind: TCsvKind | ((row: T) => TCsvKind);
  value: (row: T) => string | number | boolean | null | undefined;
};

export const CHUNK_ROWS = 256;

/** A float as a plain decimal (no exponent): 1e-7 → `0.0000001`; NaN and infinities as empty cells. */
export const plainNumber = (value: number): string => (Number.isFinite(value) ? dec(value).toFixed() : '');

/** One cell's text by its column's kind. */
export function cellText(kind: TCsvKind, value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  switch (kind) {
    case 'text':
      return guardFormula(String(value));
    case 'number':
      return typeof value === 'number' ? plainNumber(value) : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return String(value);
  }
}

/** One RFC 4180 line (CRLF-terminated) of already formatted cells. */
export const csvLine = (cells: readonly string[]): string => toCsv(cells, []);

/** The CSV of `rows` in chunks of text: the header, then CHUNK_ROWS lines at a time. */
export async function* csvChunks<T>(
  columns: readonly TCsvColumn<T>[],
  rows: TReportRows<T>,
): AsyncGenerator<string> {
  yield csvLine(columns.map((column) => column.header));
  let chunk = '';
  let count = 0;
  for await (const row of rows) {
    chunk += csvLine(
      columns.map((column) =>
        cellText(typeof column.kind === 'function' ? column.kind(row) : column.kind, column.value(row)),
      ),
    );
    count += 1;
    if (count === CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      count = 0;
    }
  }
  if (chunk) yield chunk;
}

/** The same as bytes (UTF-8). */
export async function* csvBytes<T>(
  columns: readonly TCsvColumn<T>[],
  rows: TReportRows<T>,
): AsyncGenerator<Uint8Array> {
  for await (const text of csvChunks(columns, rows)) yield Buffer.from(text, 'utf8');
}

/** One entry of a ZIP: its name and its bytes, produced one chunk at a time. */
export type TZipEntry = { name: string; content: () => AsyncIterable<Uint8Array | string> };

/**
 * ZIP's DOS timestamps are local wall-clock fields, which fflate reads with the local getters: a
 * Date whose local fields are `time`'s UTC fields makes the same bytes in every time zone.
 */
const dosTime = (time: Date): Date =>
  new Date(
    time.getUTCFullYear(),
    time.getUTCMonth(),
    time.getUTCDate(),
    time.getUTCHours(),
    time.getUTCMinutes(),
    time.getUTCSeconds(),
  );

/**
 * A ZIP of the entries in the order given (deflate level 6, every entry's modification time `mtime`),
 * as byte chunks: an entry's content is read only when the one before it is complete, so the whole
 * archive is never in memory.
 */
export async function* zipChunks(entries: readonly TZipEntry[], mtime: Date): AsyncGenerator<Uint8Array> {
  const pending: Uint8Array[] = [];
  let failure: Error | null = null;
  let done = false;
  const zip = new Zip((error, data, final) => {
    if (error) failure = error;
    else pending.push(data);
    if (final) done = true;
  });
  const drain = function* () {
    if (failure) throw failure;
    while (pending.length) yield pending.shift()!;
  };
  const time = dosTime(mtime);
  for (const entry of entries) {
    const file = new ZipDeflate(entry.name, { level: 6 });
    file.mtime = time;
    zip.add(file);
    for await (const chunk of entry.content()) {
      file.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      yield* drain();
    }
    file.push(new Uint8Array(0), true);
    yield* drain();
  }
  zip.end();
  yield* drain();
  if (!done) throw new Error('the ZIP did not complete');
}

/** A text entry (README.txt): its text as one chunk. */
export const textEntry = (name: string, text: string): TZipEntry => ({
  name,
  content: async function* () {
    yield Buffer.from(text.replaceAll(/\r?\n/g, '\r\n'), 'utf8');
  },
});

/** A CSV entry from columns and rows. */
export const csvEntry = <T>(name: string, columns: readonly TCsvColumn<T>[], rows: TReportRows<T>): TZipEntry => ({
  name,
  content: () => csvBytes(columns, rows),
});
