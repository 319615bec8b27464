import { z } from 'zod';

/** A comma list: parts trimmed, empty parts dropped (`a, b,` is `['a', 'b']`). */
export const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
);

/** An on/off setting: true/false or 1/0. */
export const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');
