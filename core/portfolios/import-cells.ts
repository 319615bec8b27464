import { MAX_LOT_IDS, timestampOutOfBounds } from './bounds.ts';
import type { TDelimiter } from './csv-reader.ts';
import { dec, DECIMAL_PATTERN, money } from './decimal.ts';

/** Readers of single cells shared by the import formats: each pushes its errors and never throws. */
export const USD_QUOTES = new Set(['USD', 'USDT', 'USDC', 'BUSD', 'ZUSD', 'FDUSD']);
/** The USD quote a pair ends with, the longest first (XXBTZUSD ends with ZUSD, not just USD). */
export const usdQuoteOf = (pair: string) =>
  [...USD_QUOTES].sort((a, b) => b.length - a.length).find((quote) => pair.endsWith(quote));
export const SYMBOL = /^[A-Z0-9._-]{1,20}$/;

/** What a reader needs besides the row: the file's delimiter (for amounts) and the clock (for bounds). */
export type TReadContext = { delimiter: TDelimiter; now: Date };

// "1,234.5": thousands separated by commas, in a comma-separated file only (the cell is quoted there).
const THOUSANDS = /^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
export const shown = (value: string) => (value.length > 60 ? `${value.slice(0, 60)}…` : value);

/**
 * A non-negative amount (exports write sells as negative quantities) of at most 20 integer digits and 18
 * decimals. A comma is read as a thousands separator only where it cannot be a decimal comma: "0,5" is
 * refused, not read as 5, and in a semicolon- or tab-separated file (a decimal-comma locale) any comma is.
 */
export function amount(
  value: string,
  name: string,
  errors: string[],
  context: TReadContext,
  options: { optional?: boolean } = {},
): string | null {
  let text = value.trim();
  if (text === '') {
    if (!options.optional) errors.push(`${name}: missing`);
    return null;
  }
  if (text.includes(',')) {
    if (context.delimiter !== ',' || !THOUSANDS.test(text)) {
      errors.push(`${name}: "${shown(value)}" has a comma; write decimals with a point and no separators`);
      return null;
    }
    text = text.replaceAll(',', '');
  }
  if (!DECIMAL_PATTERN.test(text)) {
    errors.push(
      `${name}: "${shown(value)}" is not a decimal number (at most 20 integer digits and 18 decimals)`,
    );
    return null;
  }
  return money(dec(text).abs());
}

export function time(value: string, errors: string[], context: TReadContext): Date {
  const text = value.trim();
  // Exchange exports write "2024-01-02 03:04:05" (UTC) or ISO 8601 with a zone.
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}| UTC)?$/.test(text)
    ? text
        .replace(' UTC', 'Z')
        .replace(' ', 'T')
        .replace(/(\.\d{3})\d+/, '$1')
    : /^\d{4}-\d{2}-\d{2}$/.test(text)
      ? `${text}T00:00:00Z`
      : '';
  const at = new Date(iso && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso);
  if (!iso || Number.isNaN(at.getTime())) errors.push(`timestamp: "${shown(value)}" is not a date and time`);
  else {
    const outside = timestampOutOfBounds(at, context.now);
    if (outside) errors.push(`timestamp: ${text} is ${outside}`);
  }
  return at;
}

export function symbolOf(value: string, errors: string[]): string {
  const symbol = value.trim().toUpperCase();
  if (!SYMBOL.test(symbol)) errors.push(`symbol: "${shown(value)}" is not a symbol`);
  return symbol;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function lotIdsOf(value: string, errors: string[]): string[] | null {
  const ids = value.split(/[;\s]/).filter(Boolean);
  if (!ids.length) return null;
  if (ids.length > MAX_LOT_IDS) errors.push(`lot_ids: ${ids.length} ids; at most ${MAX_LOT_IDS}`);
  const bad = ids.find((id) => !UUID.test(id));
  if (bad) errors.push(`lot_ids: "${shown(bad)}" is not a transaction id (a UUID)`);
  return ids.map((id) => id.toLowerCase());
}

// Binance "Trade History" export: Date(UTC), Pair, Side, Price, Executed, Amount, Fee; Executed, Amount
// and Fee carry their asset after the number ("0.5BTC", "0.00075BNB"). Split by a scan, not a regular
// expression: /^([0-9.,]+)\s*([A-Za-z0-9]*)$/ backtracked quadratically on a long run of digits.
const UNIT = /^[A-Za-z0-9]*$/;
export function withUnit(value: string): { number: string; unit: string } | null {
  const text = value.trim();
  let end = 0;
  while (end < text.length && '0123456789.,'.includes(text[end]!)) end += 1;
  const unit = text.slice(end).trimStart();
  return end > 0 && UNIT.test(unit) ? { number: text.slice(0, end), unit } : null;
}
