/**
 * How the PDF reports write figures (tests format the API's own answers with the same functions and
 * look for them in `pdftotext`'s output). Amounts keep the API's exact decimal string, grouped in
 * thousands with a comma and cut (rounded half even) to `places` decimals; ratios are percentages with
 * two decimals. Never locale-dependent, so a report reads the same wherever it is rendered.
 */
import { dec } from '../portfolios/index.ts';

/** `1234567` → `1,234,567`. */
function group(digits: string): string {
  let out = '';
  for (let index = 0; index < digits.length; index += 1) {
    if (index > 0 && (digits.length - index) % 3 === 0) out += ',';
    out += digits[index];
  }
  return out;
}

/** `1234567.891` → `1,234,567.89` (places 2); null → `–`. */
export function formatAmount(value: string | null | undefined, places = 2): string {
  if (value === null || value === undefined || value === '') return '–';
  const fixed = dec(value).toFixed(places, 6 /* ROUND_HALF_EVEN */);
  const negative = fixed.startsWith('-') && !/^-0(\.0+)?$/.test(fixed);
  const [whole, fraction] = fixed.replace(/^-/, '').split('.') as [string, string | undefined];
  return `${negative ? '-' : ''}${group(whole)}${fraction ? `.${fraction}` : ''}`;
}

/** A quantity: up to 8 decimals, trailing zeros dropped: `0.50000000` → `0.5`. */
export function formatQuantity(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const text = formatAmount(value, 8);
  if (!text.includes('.')) return text;
  let end = text.length;
  while (text[end - 1] === '0') end -= 1;
  return text.slice(0, text[end - 1] === '.' ? end - 1 : end);
}

/** 0.12345 → `12.35 %`; null → `–`. */
export function formatPercent(value: number | null | undefined, places = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const text = (value * 100).toFixed(places);
  return `${/^-0(\.0+)?$/.test(text) ? text.slice(1) : text} %`;
}

/** A plain ratio (Sharpe, beta): 4 decimals. */
export function formatRatio(value: number | null | undefined, places = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const text = value.toFixed(places);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

/** An ISO moment as `YYYY-MM-DD HH:MM UTC`. */
export const formatMoment = (iso: string | Date): string => {
  const text = typeof iso === 'string' ? iso : iso.toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
};
