import { describe, expect, test } from '@jest/globals';
import { AppError } from '../../core/platform/errors/app-error.ts';
import { decodeText, encodingOf } from './text-body.ts';

const utf16 = (text: string, bigEndian = false, mark = true) => {
  const bytes = Buffer.from(`${mark ? '\ufeff' : ''}${text}`, 'utf16le');
  return bigEndian ? bytes.swap16() : bytes;
};
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error.detail;
    throw error;
  }
  throw new Error('decoded');
};

describe('Text bodies (CSV imports)', () => {
  test('When a body has a byte-order mark, then it decides the encoding, whatever the charset says', () => {
    expect(decodeText(Buffer.from('\ufeffa,é', 'utf8'), 'utf-16le')).toBe('a,é');
    expect(decodeText(utf16('a\tü'))).toBe('a\tü');
    expect(decodeText(utf16('a\tü', true))).toBe('a\tü');
  });

  test('When a body has no mark, then the charset decides, else a zero byte beside the first character means UTF-16, else UTF-8', () => {
    expect(decodeText(utf16('x;y', true, false), 'UTF-16BE')).toBe('x;y');
    expect(encodingOf(utf16('ab', false, false), undefined).encoding).toBe('utf-16le');
    expect(encodingOf(utf16('ab', true, false), undefined).encoding).toBe('utf-16be');
    expect(decodeText(Buffer.from('plain €'))).toBe('plain €');
  });

  test('When bytes are not the encoding, carry NUL or name an unknown charset, then the refusal says so instead of decoding to U+FFFD', () => {
    expect(refusal(() => decodeText(Buffer.from('caf\u00e9', 'latin1')))).toContain('not valid UTF-8');
    expect(refusal(() => decodeText(Buffer.from([0xff, 0xfe, 0x00, 0xd8])))).toContain('not valid UTF-16LE');
    expect(refusal(() => decodeText(Buffer.from('a\u0000b')))).toContain('a NUL character at offset 1');
    expect(refusal(() => decodeText(Buffer.from('a'), 'iso-8859-1'))).toContain(
      'charset iso-8859-1 is not supported',
    );
  });
});
