import { expect, test } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../core/platform/errors/app-error.ts';
import { validate } from './validate.ts';

function run(handler: ReturnType<typeof validate>, url: string, query: Record<string, string>) {
  const req = {
    url,
    baseUrl: '/api/v1/things',
    route: { path: '/' },
    params: {},
    query,
  } as unknown as Request;
  const res = { locals: {} } as Response;
  let passed: unknown = 'not called';
  handler(req, res, ((error?: unknown) => (passed = error)) as NextFunction);
  return { input: res.locals.input as { query: { limit: number; tags: string[] } }, error: passed };
}

test('When the same URL comes again, then its parsed input is reused, frozen, and not parsed again', () => {
  let parses = 0;
  const ZQuery = z.strictObject({
    limit: z.coerce.number().int().min(1),
    tags: z.string().transform((value) => {
      parses += 1;
      return value.split(',');
    }),
  });
  const handler = validate({ query: ZQuery });
  const first = run(handler, '/?limit=5&tags=a,b', { limit: '5', tags: 'a,b' });
  const second = run(handler, '/?limit=5&tags=a,b', { limit: '5', tags: 'a,b' });
  expect(first.error).toBe(undefined);
  expect(second.input).toStrictEqual({ query: { limit: 5, tags: ['a', 'b'] } });
  expect(second.input).toBe(first.input);
  expect(parses).toBe(1);
  expect(Object.isFrozen(second.input.query.tags)).toBeTruthy(); // handlers cannot change what other requests share
  run(handler, '/?limit=6&tags=a,b', { limit: '6', tags: 'a,b' });
  expect(parses).toBe(2); // another URL is parsed
});

test('When a URL is invalid, then every request for it gets the 400 (failures are not remembered)', () => {
  const handler = validate({ query: z.strictObject({ limit: z.coerce.number().int().min(1) }) });
  for (let i = 0; i < 2; i += 1) {
    const { error } = run(handler, '/?limit=0', { limit: '0' });
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/limit/);
  }
});
