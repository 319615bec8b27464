import { Decimal as DecimalJs } from 'decimal.js';

/**
 * Exact decimal arithmetic for money and quantities (never floats). 40 significant digits, so sums and
 * products of PostgreSQL NUMERIC(38,18) values stay exact; a division rounds half to even at that
 * precision, and answers are rounded to 18 decimal places, the scale the database stores.
 */
export const Decimal = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Decimal = InstanceType<typeof Decimal>;

export const SCALE = 18;
export const ZERO = new Decimal(0);

/** A decimal string as the API and PostgreSQL write it: digits, an optional sign and fraction, no exponent. */
export const DECIMAL_PATTERN = /^-?(0|[1-9]\d{0,19})(\.\d{1,18})?$/;

export const dec = (value: string | number | Decimal): Decimal => new Decimal(value);

/** The plain-notation string of a value rounded to 18 decimal places, without trailing zeros. */
export const money = (value: Decimal): string => {
  const text = value.toDecimalPlaces(SCALE).toFixed();
  return text === '-0' ? '0' : text;
};

export const sum = (values: Iterable<Decimal>): Decimal => {
  let total = ZERO;
  for (const value of values) total = total.plus(value);
  return total;
};

/**
 * Splits `total` in proportion to `parts` so that the pieces add up to `total` exactly: every piece but
 * the last is rounded to 18 places, the last takes the remainder.
 */
export function allocate(total: Decimal, parts: Decimal[]): Decimal[] {
  const whole = sum(parts);
  if (whole.isZero()) return parts.map(() => ZERO);
  const pieces: Decimal[] = [];
  let given = ZERO;
  parts.forEach((part, index) => {
    const piece =
      index === parts.length - 1 ? total.minus(given) : total.times(part).div(whole).toDecimalPlaces(SCALE);
    pieces.push(piece);
    given = given.plus(piece);
  });
  return pieces;
}
