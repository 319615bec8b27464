import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';

/**
 * Reading an import's CSV with csv-parse (RFC 4180: quoted fields with doubled quotes and line breaks,
 * CRLF, LF or CR line ends), streamed in chunks with every limit checked as records arrive: the file is
 * refused at the first record over a limit, before any row is read as a transaction.
 */
export type TCsvLimits = {
  /** Data rows (the header excluded); reading stops at the first one beyond. */
  maxRows: number;
  /** Fields in one record. */
  maxFields: number;
  /** Characters of one record (csv-parse's max_record_size). */
  maxRecordChars: number;
};

export type TCsvRow = { line: number; fields: string[] };

export type TCsvFile = {
  delimiter: TDelimiter;
  header: TCsvRow;
  rows: TCsvRow[];
};

/** Why a file cannot be read: `reason` is stable, `detail` names the line and the limit or what was found. */
export class CsvRefusal extends Error {
  readonly reason: string;

  constructor(reason: string, detail: string) {
    super(detail);
    this.reason = reason;
  }
}

export const DELIMITERS = [',', ';', '\t'] as const;
export type TDelimiter = (typeof DELIMITERS)[number];
const DELIMITER_NAMES: Record<TDelimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

/** How far the header row is looked for (exchange reports put a few lines of preamble before it). */
const HEADER_SEARCH_LINES = 50;
const HEADER_SEARCH_CHARS = 64 * 1024;
const CHUNK_CHARS = 64 * 1024;

type TLine = { number: number; offset: number; text: string };

/** The first lines of `text` with their numbers and offsets (CRLF, LF and CR end a line). */
function firstLines(text: string): TLine[] {
  const lines: TLine[] = [];
  const end = Math.min(text.length, HEADER_SEARCH_CHARS);
  let offset = 0;
  while (offset < end && lines.length < HEADER_SEARCH_LINES) {
    let stop = offset;
    while (stop < end && text[stop] !== '\n' && text[stop] !== '\r') stop += 1;
    lines.push({ number: lines.length + 1, offset, text: text.slice(offset, stop) });
    offset = stop + (text[stop] === '\r' && text[stop + 1] === '\n' ? 2 : 1);
  }
  return lines;
}

const cellName = (cell: string) => {
  const trimmed = cell.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).trim()
    : trimmed;
};

/**
 * The header row and its delimiter: the first line that, split at a comma, a semicolon or a tab, names
 * every required column. None: a refusal saying what the first line holds and which columns are missing.
 */
export function findHeader(
  text: string,
  required: readonly string[],
  format: string,
): { delimiter: TDelimiter; line: TLine } {
  const lines = firstLines(text);
  for (const line of lines) {
    for (const delimiter of DELIMITERS) {
      const names = new Set(line.text.split(delimiter).map(cellName));
      if (required.every((column) => names.has(column))) return { delimiter, line };
    }
  }
  const first = lines.find((line) => line.text.trim() !== '');
  if (!first) throw new CsvRefusal('empty_file', 'the file is empty');
  // The delimiter the first line most likely uses, to say which columns it lacks.
  const likely = [...DELIMITERS].sort((a, b) => first.text.split(b).length - first.text.split(a).length)[0]!;
  const names = new Set(first.text.split(likely).map(cellName));
  const missing = required.filter((column) => !names.has(column));
  const shown = first.text.length > 120 ? `${first.text.slice(0, 120)}…` : first.text;
  throw new CsvRefusal(
    'missing_columns',
    `missing column(s) for the ${format} format: ${missing.join(', ')} (no header row in the first ` +
      `${HEADER_SEARCH_LINES} lines names ${required.join(', ')} with a comma, semicolon or tab between them; ` +
      `line ${first.number}, read with ${DELIMITER_NAMES[likely]}s: "${shown}")`,
  );
}

/** Line breaks inside a record's quoted fields: the record started that many lines before it ended. */
const breaksIn = (fields: readonly string[]) => {
  let count = 0;
  for (const field of fields) {
    for (let index = 0; index < field.length; index += 1) {
      const char = field[index];
      if (char === '\n' || (char === '\r' && field[index + 1] !== '\n')) count += 1;
    }
  }
  return count;
};

async function* chunks(text: string) {
  for (let offset = 0; offset < text.length; offset += CHUNK_CHARS) {
    yield text.slice(offset, offset + CHUNK_CHARS);
    // Between chunks other requests (and /health) get the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const refusalOf = (error: CsvError, lineOffset: number, limits: TCsvLimits): CsvRefusal => {
  const line = (error as CsvError & { lines?: number }).lines;
  const at = line === undefined ? '' : `line ${line + lineOffset}: `;
  if (error.code === 'CSV_MAX_RECORD_SIZE')
    return new CsvRefusal(
      'record_too_large',
      `${at}a record longer than ${limits.maxRecordChars} characters (is the delimiter right, or a quote left open?)`,
    );
  if (error.code === 'CSV_QUOTE_NOT_CLOSED')
    return new CsvRefusal('csv_malformed', `${at}a quoted field is not closed`);
  if (error.code === 'INVALID_OPENING_QUOTE')
    return new CsvRefusal('csv_malformed', `${at}a quote inside an unquoted field`);
  return new CsvRefusal('csv_malformed', `${at}${error.message}`);
};

/**
 * Reads an import file: finds the header row and the delimiter, then streams the records after it
 * through csv-parse, refusing the file at the first record beyond a limit. Blanks around unquoted fields
 * are trimmed; quoted fields are kept exactly. Blank lines are skipped.
 */
export async function readCsv(
  input: string,
  columns: { required: readonly string[]; format: string },
  limits: TCsvLimits,
): Promise<TCsvFile> {
  const text = input.startsWith('\ufeff') ? input.slice(1) : input;
  const { delimiter, line } = findHeader(text, columns.required, columns.format);
  const lineOffset = line.number - 1;
  const parser = parse({
    delimiter,
    record_delimiter: ['\r\n', '\n', '\r'],
    trim: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: limits.maxRecordChars,
    info: true,
  });
  const source = Readable.from(chunks(text.slice(line.offset)));
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  let header: TCsvRow | null = null;
  const rows: TCsvRow[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const row = { line: info.lines - breaksIn(record) + lineOffset, fields: record };
      if (record.length > limits.maxFields)
        throw new CsvRefusal(
          'too_many_fields',
          `line ${row.line}: ${record.length} fields; at most ${limits.maxFields} per row`,
        );
      if (!header) {
        header = row;
        continue;
      }
      if (rows.length === limits.maxRows)
        throw new CsvRefusal(
          'too_many_rows',
          `more than ${limits.maxRows} rows (line ${row.line} is one too many); split the file`,
        );
      rows.push(row);
    }
  } catch (error) {
    if (error instanceof CsvError) throw refusalOf(error, lineOffset, limits);
    throw error;
  } finally {
    source.destroy();
    parser.destroy();
  }
  if (!header) throw new CsvRefusal('empty_file', 'the file is empty');
  return { delimiter, header, rows };
}
