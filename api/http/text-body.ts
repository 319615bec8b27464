import express, { type RequestHandler } from 'express';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';

type TEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

const refuse = (detail: string) =>
  new AppError(ErrorCode.ValidationFailed, {
    detail: `body: ${detail}`,
    errors: [{ name: 'body', in: 'body', detail }],
  });

const CHARSETS: Record<string, TEncoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
  'utf-16': 'utf-16le',
};

/**
 * The encoding of a text body: a byte-order mark wins (UTF-8, UTF-16 LE or BE, as Excel's "Unicode
 * text" writes it), then the Content-Type charset; without either, text whose first two characters are
 * ASCII in UTF-16 (a zero byte beside each) is taken for UTF-16 without a mark, anything else for UTF-8.
 */
export function encodingOf(
  bytes: Uint8Array,
  charset: string | undefined,
): { encoding: TEncoding; skip: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  if (charset) {
    const known = CHARSETS[charset.toLowerCase()];
    if (!known) throw refuse(`charset ${charset} is not supported; send UTF-8 or UTF-16`);
    return { encoding: known, skip: 0 };
  }
  // ASCII in UTF-16: a zero byte beside each of the first two characters (a CSV header is ASCII).
  const zeros = (at: number) => bytes.length >= 4 && bytes[at] === 0 && bytes[at + 2] === 0;
  const nonZero = (at: number) => bytes[at] !== 0 && bytes[at + 2] !== 0;
  if (zeros(1) && nonZero(0)) return { encoding: 'utf-16le', skip: 0 };
  if (zeros(0) && nonZero(1)) return { encoding: 'utf-16be', skip: 0 };
  return { encoding: 'utf-8', skip: 0 };
}

/** Decodes a text body exactly or refuses it: invalid sequences and NUL characters are a 400, never U+FFFD. */
export function decodeText(bytes: Uint8Array, charset?: string): string {
  const { encoding, skip } = encodingOf(bytes, charset);
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(skip));
  } catch {
    throw refuse(
      `not valid ${encoding.toUpperCase()}${encoding === 'utf-8' ? ' (save the file as "CSV UTF-8", or UTF-16 with a byte-order mark)' : ''}`,
    );
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0)
    throw refuse(
      `a NUL character at offset ${nul}: not text in ${encoding.toUpperCase()} (UTF-16 needs a byte-order mark or a charset)`,
    );
  return text;
}

/**
 * A text body (CSV imports) up to `limit` bytes, counted while it streams in (413 beyond): read as bytes,
 * decoded by decodeText(), then handed on as a string like any other body.
 */
export function textBody(options: { types: string[]; limit: string }): RequestHandler[] {
  return [
    express.raw({ type: options.types, limit: options.limit }),
    (req, _res, next) => {
      if (!Buffer.isBuffer(req.body)) {
        next();
        return;
      }
      const charset = /;\s*charset="?([^";\s]+)/i.exec(req.get('content-type') ?? '')?.[1];
      try {
        req.body = decodeText(req.body, charset);
        next();
      } catch (error) {
        next(error);
      }
    },
  ];
}
