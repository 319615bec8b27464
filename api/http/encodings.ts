import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export const ENCODINGS = ['br', 'gzip', 'identity'] as const;
export type TEncoding = (typeof ENCODINGS)[number];

/** One stored form of a response body, with the ETag of exactly these bytes' representation. */
export type TRepresentation = { encoding: TEncoding; etag: string; body: Buffer };
export type TRepresentations = Record<TEncoding, TRepresentation | undefined> & { identity: TRepresentation };

/** Below this, compressing saves less than the headers cost; such bodies are only sent as they are. */
export const MIN_COMPRESSIBLE_BYTES = 1024;

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

// Quality 5 compresses the 100-coin listing (84 KB) to 13.3 KB in about a millisecond; 11 would save
// 2 KB more for over 100 ms of CPU on every cache fill (docs/benchmarks.md, compression).
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;

const hashOf = (body: Buffer) => createHash('sha1').update(body).digest('base64url');

/**
 * The identity, brotli and gzip forms of a JSON body, made once when an entry is cached (in zlib's
 * thread pool, not on the event loop). A compressed form is kept only when it is smaller.
 */
export async function representationsOf(body: Buffer): Promise<TRepresentations> {
  const hash = hashOf(body);
  const identity: TRepresentation = { encoding: 'identity', etag: `"${hash}"`, body };
  if (body.length < MIN_COMPRESSIBLE_BYTES) return { identity, br: undefined, gzip: undefined };
  const [br, gz] = await Promise.all([
    brotli(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gzip(body, { level: GZIP_LEVEL }),
  ]);
  return {
    identity,
    // Each coding is its own representation with its own validator (RFC 9110 §8.8.3).
    br: br.length < body.length ? { encoding: 'br', etag: `"${hash}-br"`, body: br } : undefined,
    gzip: gz.length < body.length ? { encoding: 'gzip', etag: `"${hash}-gz"`, body: gz } : undefined,
  };
}

const chosen = new Map<string, TEncoding>();
const MAX_REMEMBERED_HEADERS = 256;

/**
 * The coding a client prefers among those we store (RFC 9110 §12.5.3): the highest q-value wins,
 * brotli before gzip on a tie, `*` standing for codings not named, identity when neither is
 * acceptable. Clients repeat the same few headers, so each distinct header is parsed once.
 */
export function preferredEncoding(acceptEncoding: string | undefined): TEncoding {
  if (!acceptEncoding) return 'identity';
  const known = chosen.get(acceptEncoding);
  if (known) return known;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (name && Number.isFinite(weight)) weights.set(name.trim(), Math.min(1, Math.max(0, weight)));
  }
  const weightOf = (name: string) => weights.get(name) ?? weights.get('*') ?? 0;
  const [br, gz] = [weightOf('br'), weightOf('gzip')];
  const encoding: TEncoding = br > 0 && br >= gz ? 'br' : gz > 0 ? 'gzip' : 'identity';
  if (chosen.size >= MAX_REMEMBERED_HEADERS) chosen.clear();
  chosen.set(acceptEncoding, encoding);
  return encoding;
}
