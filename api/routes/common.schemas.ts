// Parameter schemas shared by the route groups (symbols, integers with bounds, ISO timestamps, order).
import { z } from '../openapi/zod.ts';

export const SYMBOL = /^[A-Za-z0-9._-]{1,20}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

// Text PostgreSQL can store: no NUL (U+0000) and no unpaired UTF-16 surrogate (which would reach the
// database as U+FFFD, silently changing the value). Also the `pattern` of every free-text parameter.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const STORABLE_TEXT = /^(?:[^\u0000\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/** Free text of at most `max` characters that PostgreSQL can store; anything else is a 400 naming it. */
export const zText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(STORABLE_TEXT, 'must not contain NUL (U+0000) or unpaired surrogate characters');

export const ZSymbol = z
  .string()
  .regex(SYMBOL, 'must be 1-20 letters, digits, ".", "_" or "-"')
  .transform((symbol) => symbol.toUpperCase())
  .openapi({ example: 'BTC', description: 'Ticker symbol, case-insensitive' });

export const intParam = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be an integer' })
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: fallback });

export const ZTimestampParam = z
  .string()
  .regex(ISO_8601, 'must be an ISO 8601 date or date-time, e.g. 2024-01-31 or 2024-01-31T12:00:00Z')
  .transform((value, ctx) => {
    // A bare date means midnight UTC; a date-time without an offset is read as UTC too.
    const normalized =
      value.length === 10 ? `${value}T00:00:00Z` : /[Zz]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`;
    const date = new Date(normalized.replace(' ', 'T'));
    const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
    const calendar = new Date(Date.UTC(year, month - 1, day));
    // Date rolls 2024-02-30 over to March 1; a date that does not round-trip is not a calendar date.
    if (
      Number.isNaN(date.getTime()) ||
      calendar.getUTCMonth() !== month - 1 ||
      calendar.getUTCDate() !== day
    ) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid calendar date' });
      return z.NEVER;
    }
    return date;
  })
  .openapi({
    type: 'string',
    format: 'date-time',
    example: '2022-01-01T00:00:00Z',
    description: 'ISO 8601 date (midnight UTC) or date-time (UTC when no offset is given)',
  });

export const ZOrder = z.enum(['asc', 'desc']);
