import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { TByteRange } from '../../../core/reports/index.ts';

/**
 * The one range of `Range: bytes=…` (RFC 9110 §14): a range, 'unsatisfiable' (416), or null to send the
 * whole content (no header, another unit, several ranges, or a header that does not parse, which a
 * server may ignore).
 */
export function rangeOf(header: string | undefined, size: number): TByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return null;
  return { start, end };
}

const matches = (header: string | undefined, etag: string) =>
  header !== undefined &&
  (header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag));

/**
 * Sends a stored report: ETag (its SHA-256), 304 on If-None-Match, one byte range (206, or 416 past the
 * end; If-Range with another validator sends the whole), streamed from the store chunk by chunk.
 */
export async function sendReport(
  req: Request,
  res: Response,
  report: { size: number; sha256: string; content_type: string; filename: string },
  read: (range?: TByteRange) => NodeJS.ReadableStream,
): Promise<void> {
  const etag = `"${report.sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Content-Disposition', `attachment; filename="${report.filename}"`);
  if (matches(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  const ifRange = req.get('if-range');
  const range = ifRange === undefined || ifRange.trim() === etag ? rangeOf(req.get('range'), report.size) : null;
  if (range === 'unsatisfiable') {
    res
      .status(416)
      .setHeader('Content-Range', `bytes */${report.size}`)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Range Not Satisfiable',
          status: 416,
          detail: `The report has ${report.size} bytes.`,
        }),
      );
    return;
  }
  res.setHeader('Content-Type', report.content_type);
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${report.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(report.size));
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(read(range ?? undefined), res);
}
