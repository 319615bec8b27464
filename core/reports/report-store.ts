import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';

/** A byte range, both ends inclusive (HTTP's `bytes=start-end`). */
export type TByteRange = { start: number; end: number };

/**
 * Where report content lives: one small interface, so another backend (object storage) is one more
 * implementation. Writing and reading stream; nothing here holds a whole report.
 */
export type TReportStore = {
  /** Stores `content` under `id` (replacing what was there); fails past the size cap, storing nothing. */
  write(id: string, content: AsyncIterable<Uint8Array>): Promise<{ size: number; sha256: string }>;
  /** The content, or the bytes of `range`, as a stream. */
  read(id: string, range?: TByteRange): Readable;
  delete(id: string): Promise<void>;
};

/** 256 KiB: large enough that a report is few rows, small enough that one chunk in memory is nothing. */
export const REPORT_CHUNK_BYTES = 256 * 1024;

export const reportTooLarge = (maxBytes: number) =>
  new AppError(ErrorCode.PayloadTooLarge, {
    detail: `The report is larger than the ${maxBytes} bytes one report may take (REPORT_MAX_BYTES).`,
    extensions: { reason: 'report_too_large', limit: maxBytes },
  });

/**
 * The PostgreSQL store: `report_chunks(report_id, seq, data)`, every chunk REPORT_CHUNK_BYTES but the
 * last, so a byte offset names its chunk without an index of offsets. A write buffers one chunk at a
 * time; a read fetches one chunk at a time as the consumer pulls (backpressure from the socket).
 */
export function createPostgresReportStore(deps: {
  db: DataSource;
  maxBytes: number;
  chunkBytes?: number;
}): TReportStore {
  const { db, maxBytes } = deps;
  const chunkBytes = deps.chunkBytes ?? REPORT_CHUNK_BYTES;

  return {
    async write(id, content) {
      await db.query('DELETE FROM report_chunks WHERE report_id = $1', [id]);
      const hash = createHash('sha256');
      let size = 0;
      let seq = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (bytes: Buffer) => {
        await db.query('INSERT INTO report_chunks (report_id, seq, data) VALUES ($1, $2, $3)', [id, seq, bytes]);
        seq += 1;
      };
      try {
        for await (const piece of content) {
          const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
          size += buffer.length;
          if (size > maxBytes) throw reportTooLarge(maxBytes);
          hash.update(buffer);
          pending.push(buffer);
          pendingBytes += buffer.length;
          while (pendingBytes >= chunkBytes) {
            const joined = Buffer.concat(pending, pendingBytes);
            await flush(joined.subarray(0, chunkBytes));
            const rest = joined.subarray(chunkBytes);
            pending = rest.length ? [Buffer.from(rest)] : [];
            pendingBytes = rest.length;
          }
        }
        if (pendingBytes > 0 || seq === 0) await flush(Buffer.concat(pending, pendingBytes));
      } catch (error) {
        await db.query('DELETE FROM report_chunks WHERE report_id = $1', [id]).catch(() => undefined);
        throw error;
      }
      return { size, sha256: hash.digest('hex') };
    },

    read(id, range) {
      const first = range ? Math.floor(range.start / chunkBytes) : 0;
      const last = range ? Math.floor(range.end / chunkBytes) : Number.MAX_SAFE_INTEGER;
      async function* chunks() {
        for (let seq = first; seq <= last; seq += 1) {
          const from = range && seq === first ? range.start - seq * chunkBytes : 0;
          const to = range && seq === last ? range.end - seq * chunkBytes + 1 : chunkBytes;
          // substring on bytea: PostgreSQL sends only the bytes asked for (1-based offsets).
          const rows: { data: Buffer }[] = await db.query(
            'SELECT substring(data FROM $3 FOR $4) AS data FROM report_chunks WHERE report_id = $1 AND seq = $2',
            [id, seq, from + 1, to - from],
          );
          if (!rows[0]) {
            if (range) throw new Error(`report ${id}: chunk ${seq} is missing`);
            return;
          }
          if (rows[0].data.length) yield rows[0].data;
        }
      }
      return Readable.from(chunks(), { objectMode: false });
    },

    async delete(id) {
      await db.query('DELETE FROM report_chunks WHERE report_id = $1', [id]);
    },
  };
}
