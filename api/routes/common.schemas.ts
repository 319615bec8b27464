// Parameter schemas shared by the route groups. Each one is enforced exactly as the OpenAPI document
// states it (the same regular expression validates and is published as `pattern`), so that a client
// generated from the document, or a schema-driven fuzzer, never sends a "valid" value we refuse.
import { z } from '../openapi/zod.ts';

const SYMBOL_SOURCE = '[A-Za-z0-9._-]{1,20}';
export const SYMBOL = new RegExp(`^${SYMBOL_SOURCE}$`);

// No NUL (U+0000): PostgreSQL text cannot hold it. Unpaired UTF-16 surrogates are refused too (they
// would reach the database as U+FFFD); they are not Unicode text, so no JSON Schema string holds one.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
export const NO_NUL = /^[^\u0000]*$/;

/** Free text of at most `max` characters that PostgreSQL can store; anything else is a 400 naming it. */
export const zText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(NO_NUL, 'must not contain NUL (U+0000) characters')
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode (no unpaired surrogates)');

export const ZSymbol = z
  .string()
  .regex(SYMBOL, 'must be 1-20 letters, digits, ".", "_" or "-"')
  .transform((symbol) => symbol.toUpperCase())
  .openapi({ example: 'BTC', description: 'Ticker symbol, case-insensitive', maxLength: 20 });

/**
 * A comma list of `min`..`max` symbols, spaces allowed around each, any case; duplicates count once.
 * The count is part of the pattern, so the document states it too.
 */
export const zSymbolList = (min: number, max: number, example: string) => {
  const item = ` *${SYMBOL_SOURCE} *`;
  const pattern = new RegExp(`^${item}(?:,${item}){${min - 1},${max - 1}}$`);
  const message = `must be a comma-separated list of ${min}-${max} symbols (1-20 letters, digits, ".", "_" or "-")`;
  // Blanks around the symbols are allowed, so the pattern alone has no length bound.
  const maxLength = max * 32;
  return z
    .string()
    .max(maxLength, `must be at most ${maxLength} characters`)
    .regex(pattern, message)
    .transform((value) => [...new Set(value.split(',').map((part) => part.trim().toUpperCase()))])
    .openapi({
      type: 'string',
      pattern: pattern.source,
      maxLength,
      example,
      description: `${min}-${max} symbols, comma-separated, any case`,
    });
};

const INTEGER = /^-?\d{1,15}$/;

/** An integer query parameter in [min, max]: digits only ("1e2", "0x10", " 5" and "" are not integers). */
export const intParam = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(INTEGER, 'must be an integer')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: fallback });

const DECIMAL = /^-?(?:\d{1,20}(?:\.\d{0,40})?|\.\d{1,40})(?:[eE][-+]?\d{1,4})?$/;

/** A decimal number query parameter in [min, max] (JSON number syntax; no hex, no blanks, no "Infinity"). */
export const numberParam = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(DECIMAL, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback)
    .openapi({ type: 'number', minimum: min, maximum: max, default: fallback });

// Calendar dates only: years 0001-9999 (PostgreSQL has no year 0), each month with its own last day,
// 29 February in leap years (divisible by 4, centuries only when divisible by 400).
const DAY_OF_YEAR =
  '(?!0000)\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))';
const LEAP_DAY = '(?!0000)(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29';
const TIME =
  '[Tt ](?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:\\.\\d{1,9})?)?(?:[Zz]|[+-](?:[01]\\d|2[0-3]):?[0-5]\\d)?';
const TIMESTAMP = new RegExp(`^(?:${DAY_OF_YEAR}|${LEAP_DAY})(?:${TIME})?$`);

// Dates a portfolio can hold: from Bitcoin's genesis block (2009-01-03) to 2099-12-31, in the pattern too.
const PORTFOLIO_DAY =
  '(?!2009-01-0[12])(?:2009|20[1-9]\\d)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))';
const PORTFOLIO_LEAP_DAY = '20(?:1[26]|[2468][048]|[3579][26])-02-29';
export const PORTFOLIO_TIMESTAMP = new RegExp(`^(?:${PORTFOLIO_DAY}|${PORTFOLIO_LEAP_DAY})(?:${TIME})?$`);

const zTimestamp = (pattern: RegExp, message: string, description: string) =>
  z
    .string()
    .regex(pattern, message)
    .transform((value) => {
      if (value.length === 10) return new Date(`${value}T00:00:00Z`);
      const normalized = value.replace(' ', 'T').toUpperCase();
      return new Date(/Z|[+-]\d{2}:?\d{2}$/.test(normalized) ? normalized : `${normalized}Z`);
    })
    .openapi({
      type: 'string',
      pattern: pattern.source,
      maxLength: 35,
      example: '2022-01-01T00:00:00Z',
      description,
    });

/**
 * An ISO 8601 date (midnight UTC) or date-time (UTC when it has no offset), checked against the
 * calendar by the pattern itself: 2024-02-29 passes, 2023-02-29 and 2024-04-31 do not.
 */
export const ZTimestampParam = zTimestamp(
  TIMESTAMP,
  'must be an ISO 8601 calendar date or date-time, e.g. 2024-01-31 or 2024-01-31T12:00:00Z',
  'ISO 8601 calendar date (midnight UTC) or date-time (UTC when no offset is given), e.g. 2024-01-31 or 2024-01-31T12:00:00+02:00',
);

/** The same, within the days a portfolio can hold: 2009-01-03 (Bitcoin's first day) to 2099-12-31. */
export const ZPortfolioTimestamp = zTimestamp(
  PORTFOLIO_TIMESTAMP,
  'must be an ISO 8601 calendar date or date-time between 2009-01-03 and 2099-12-31',
  'ISO 8601 calendar date (midnight UTC) or date-time (UTC when no offset is given), from 2009-01-03 (Bitcoin’s first day) to 2099-12-31',
);

export const ZOrder = z.enum(['asc', 'desc']);

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const KEYSET_IDS = { uuid: UUID, serial: '\\d{1,18}', message: 'msg_[0-9a-f]{32}' } as const;

/**
 * A keyset page cursor: the position after which the next page starts, `<created ISO time>~<id>`, as
 * the previous page's `next_cursor` gives it. Any well-formed position is a valid one (it is not a
 * secret), so the pattern states the whole rule.
 */
export const zKeysetCursor = (id: keyof typeof KEYSET_IDS) => {
  const pattern = new RegExp(
    `^((?:${DAY_OF_YEAR}|${LEAP_DAY})T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\.\\d{3}Z)~(${KEYSET_IDS[id]})$`,
  );
  return z
    .string()
    .regex(pattern, 'must be a next_cursor from a previous page')
    .transform((value) => {
      const [, at, key] = pattern.exec(value)!;
      return { at: at!, id: key! };
    })
    .openapi({
      type: 'string',
      pattern: pattern.source,
      maxLength: 64,
      description: 'The `next_cursor` of the previous page',
    });
};
