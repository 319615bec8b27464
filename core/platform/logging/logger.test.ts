import { expect, test } from '@jest/globals';
import { accessWriterOf, createAccessLogger, type TAccessFields } from './logger.ts';

/** An access logger writing into `lines`. */
function capture(level = 'info') {
  const lines: string[] = [];
  const logger = createAccessLogger({
    level,
    name: 'test-api',
    destination: { write: (line: Buffer) => lines.push(line.toString()), flushSync: () => undefined },
  });
  return { logger, lines };
}

const withoutTime = (line: string) => line.replace(/,"time":"[^"]+"/, '');

test('When the access writer writes a line, then it is the line pino would write for the same fields', () => {
  const { logger, lines } = capture();
  const writer = accessWriterOf(logger)!;
  const cases: [TAccessFields, 'info' | 'error'][] = [
    [
      {
        requestId: 'r-1',
        method: 'GET',
        url: '/api/v1/cryptocurrencies/?limit=100',
        status: 200,
        duration_ms: 0.04,
        ip: '127.0.0.1',
        cache: 'HIT',
      },
      'info',
    ],
    [
      {
        requestId: 'r-"2"',
        method: 'POST',
        url: '/x?q="\\\n\u0001é\u2028',
        status: 503,
        duration_ms: 12.5,
        ip: undefined,
        cache: undefined,
      },
      'error',
    ],
  ];
  for (const [fields, level] of cases) {
    writer(level, fields);
    logger[level](fields, 'request completed');
    const [fast, slow] = lines.splice(0).map(withoutTime);
    expect(fast).toBe(slow);
    expect(JSON.parse(fast!)).toMatchObject({ level, msg: 'request completed', status: fields.status });
  }
});

test('When the level is above info, then the access writer writes nothing', () => {
  const { logger, lines } = capture('warn');
  accessWriterOf(logger)!('info', {
    requestId: 'r',
    method: 'GET',
    url: '/',
    status: 200,
    duration_ms: 1,
    ip: '::1',
    cache: undefined,
  });
  expect(lines).toStrictEqual([]);
});

test('When a logger is not an access logger, then it has no writer (lines go through pino)', async () => {
  const { createLogger } = await import('./logger.ts');
  expect(accessWriterOf(createLogger({ level: 'info', name: 'app' }))).toBeUndefined();
});
