import { describe, expect, test } from '@jest/globals';
import express from 'express';
import pino from 'pino';
import { QueryFailedError } from 'typeorm';
import { problemHandler } from './problem.ts';

/** An app whose one route fails with `error`, answered by the real problem handler. */
async function answer(error: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const app = express();
  app.get('/', () => {
    throw error;
  });
  app.use(problemHandler(pino({ level: 'silent' })));
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } finally {
    server.close();
  }
}

const pgError = (code: string, message: string) =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error(message), { code }));

describe('PostgreSQL errors as problems', () => {
  test('When PostgreSQL refuses a value (SQLSTATE class 22), then the answer is a 400, never a 500', async () => {
    for (const [code, message] of [
      ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
      ['22003', 'numeric field overflow'],
      ['22008', 'date/time field value out of range'],
      ['22P02', 'invalid input syntax for type integer'],
    ]) {
      const { status, body } = await answer(pgError(code!, message!));
      expect(status).toBe(400);
      expect(body.type).toBe('urn:trading-backend:problem:validation_failed');
      expect(String(body.detail)).toContain(message);
    }
  });

  test('When PostgreSQL is unreachable or times out, then the answer is still a 503', async () => {
    expect((await answer(pgError('57014', 'canceling statement due to statement timeout'))).status).toBe(503);
  });

  test('When the error is of another kind, then it stays a 500 without details', async () => {
    const { status, body } = await answer(pgError('42P01', 'relation "x" does not exist'));
    expect(status).toBe(500);
    expect(body.detail).toBe('An unexpected error occurred.');
  });
});
