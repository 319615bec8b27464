import { type Decimal, dec } from './decimal.ts';

/**
 * A day's value Σ quantity × close in integers (BigInt mantissas and decimal scales) instead of decimal.js
 * objects, for the daily valuation's thousands of coin-days. decimal.js works at 40 significant digits:
 * an operation whose exact result fits in 40 digits is exact, one that does not is rounded. So while every
 * product and every partial sum fits (checked on each, against 10^40 at the scale they are kept at, which
 * bounds their significant digits), the decimal path's answer is the exact sum, and this one is the same
 * value to the last digit. When anything would not fit, or the sum is zero (whose sign decimal.js
 * tracks), the caller falls back to the decimal path for that day.
 */
export type TScaled = { mantissa: bigint; scale: number };

const LIMIT = 10n ** 40n;
const POWERS: bigint[] = [1n];
const power = (exponent: number): bigint => {
  while (POWERS.length <= exponent) POWERS.push(POWERS.at(-1)! * 10n);
  return POWERS[exponent]!;
};

/** A plain decimal string as a mantissa and scale ("-12.50" → -1250, 2); null for anything else. */
export function scaledOf(text: string): TScaled | null {
  // A scan rather than a pattern: this runs once per stored close (tens of thousands per valuation).
  let dot = -1;
  const first = text.charCodeAt(0) === 45 ? 1 : 0; // '-'
  if (text.length === first) return null;
  for (let index = first; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 46 && dot < 0 && index > first && index < text.length - 1) dot = index;
    else if (code < 48 || code > 57) return null;
  }
  const digits = dot < 0 ? text.slice(first) : text.slice(first, dot) + text.slice(dot + 1);
  // Up to 15 digits a double holds the integer exactly, and BigInt takes a double faster than a string.
  const magnitude = digits.length <= 15 ? BigInt(Number(digits)) : BigInt(digits);
  return { mantissa: first ? -magnitude : magnitude, scale: dot < 0 ? 0 : text.length - dot - 1 };
}

/** A Decimal's value as a mantissa and scale (null if it is not finite). */
export const scaledOfDecimal = (value: Decimal): TScaled | null =>
  value.isFinite() ? scaledOf(value.toFixed()) : null;

const outside = (value: bigint) => value >= LIMIT || value <= -LIMIT;

/** Adds terms to a starting amount, exactly, while decimal.js would have been exact too. */
export class ExactSum {
  private mantissa: bigint;
  private scale: number;
  /** False once a product or a partial sum would have been rounded by decimal.js. */
  exact: boolean;

  constructor(start: TScaled | null) {
    this.mantissa = start?.mantissa ?? 0n;
    this.scale = start?.scale ?? 0;
    this.exact = start !== null && !outside(start.mantissa);
  }

  /** this + quantity × price. */
  addProduct(quantity: TScaled, price: TScaled): void {
    if (!this.exact) return;
    let product = quantity.mantissa * price.mantissa;
    const scale = quantity.scale + price.scale;
    if (outside(product)) {
      this.exact = false;
      return;
    }
    if (scale > this.scale) {
      this.mantissa *= power(scale - this.scale);
      this.scale = scale;
    } else if (scale < this.scale) product *= power(this.scale - scale);
    this.mantissa += product;
    if (outside(this.mantissa)) this.exact = false;
  }

  /** The sum as a Decimal; null when it was not exact throughout, or is zero. */
  value(): Decimal | null {
    if (!this.exact || this.mantissa === 0n) return null;
    const negative = this.mantissa < 0n;
    const digits = (negative ? -this.mantissa : this.mantissa).toString().padStart(this.scale + 1, '0');
    const cut = digits.length - this.scale;
    return dec(`${negative ? '-' : ''}${digits.slice(0, cut)}${this.scale ? `.${digits.slice(cut)}` : ''}`);
  }
}
