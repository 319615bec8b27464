/**
 * CSV as RFC 4180 writes it: comma-separated, fields with commas, quotes or line breaks in double
 * quotes (a quote doubled inside), CRLF or LF line ends, an optional UTF-8 byte-order mark.
 */
export class CsvError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/** Rows of fields; blank lines are skipped. Each row carries the line it started on. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index += 1;
        } else quoted = false;
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
      continue;
    }
    if (char === '"') {
      if (field !== '') throw new CsvError(line, 'a quote inside an unquoted field');
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index += 1;
      endRow();
      line += 1;
      rowLine = line;
    } else field += char;
  }
  if (quoted) throw new CsvError(rowLine, 'a quoted field is not closed');
  if (field !== '' || fields.length) endRow();
  return rows;
}

const needsQuotes = /[",\r\n]/;
const escapeField = (value: string) => (needsQuotes.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

export function toCsv(header: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  return (
    [header, ...rows].map((row) => row.map((value) => escapeField(value ?? '')).join(',')).join('\r\n') +
    '\r\n'
  );
}
