import { ENCODINGS, type TEncoding, type TRepresentation, type TRepresentations } from './encodings.ts';

const NEWLINE = 0x0a;

/**
 * A cached response as sent to clients preferring one coding: the body (compressed once, when the
 * entry was filled) stays a Buffer from Redis to the socket, with no decode, re-encode or compression.
 */
export type TCacheEntry = TRepresentation;

/** The cache key of what is sent to clients preferring `encoding` (identity keeps the plain key). */
export const codingKey = (key: string, encoding: TEncoding) =>
  encoding === 'identity' ? key : `${key}|${encoding}`;

/** What is sent for each preferred coding: its compressed form, or identity where compression did not pay. */
export const forEachCoding = (representations: TRepresentations): Map<TEncoding, TCacheEntry> =>
  new Map(ENCODINGS.map((encoding) => [encoding, representations[encoding] ?? representations.identity]));

/** An entry as stored: `version \n etag \n coding \n body`. */
export const encodeEntry = (version: string, entry: TCacheEntry): Buffer =>
  Buffer.concat([Buffer.from(`${version}\n${entry.etag}\n${entry.encoding}\n`, 'latin1'), entry.body]);

/** The stored entry, if it was computed under `version` and reads well (anything else is a miss). */
export function decodeEntry(raw: Buffer, version: string): TCacheEntry | null {
  const first = raw.indexOf(NEWLINE);
  const second = raw.indexOf(NEWLINE, first + 1);
  const third = raw.indexOf(NEWLINE, second + 1);
  if (first < 0 || second < 0 || third < 0 || raw.toString('latin1', 0, first) !== version) return null;
  const encoding = raw.toString('latin1', second + 1, third) as TEncoding;
  if (!ENCODINGS.includes(encoding)) return null;
  return { etag: raw.toString('latin1', first + 1, second), encoding, body: raw.subarray(third + 1) };
}
