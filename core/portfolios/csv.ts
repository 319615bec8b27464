/**
 * Writing CSV (RFC 4180): fields with the delimiter, quotes or line breaks in double quotes (a quote
 * doubled inside), CRLF line ends. Fields with blanks at either end are quoted too, because the reader
 * trims blanks around unquoted fields only: what is written reads back exactly.
 */
const needsQuotes = (value: string) =>
  /[",;\t\r\n]/.test(value) || value.trimStart() !== value || value.trimEnd() !== value;
const escapeField = (value: string) => (needsQuotes(value) ? `"${value.replaceAll('"', '""')}"` : value);

export function toCsv(header: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  return (
    [header, ...rows].map((row) => row.map((value) => escapeField(value ?? '')).join(',')).join('\r\n') +
    '\r\n'
  );
}

// Text a spreadsheet would run as a formula is written with an apostrophe in front (OWASP CSV
// injection); so is text that starts with an apostrophe, so that reading strips exactly one and every
// text reads back as it was written.
const GUARDED = /^[=+\-@\t\r']/;

export const guardFormula = (text: string): string => (GUARDED.test(text) ? `'${text}` : text);

/** The text guardFormula() wrote: one leading apostrophe before a guarded character is removed. */
export const unguardFormula = (text: string): string =>
  text.startsWith("'") && GUARDED.test(text.slice(1)) ? text.slice(1) : text;
