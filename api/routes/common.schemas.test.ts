import { describe, expect, test } from '@jest/globals';
import { intParam, numberParam, zSymbolList, ZTimestampParam, zText } from './common.schemas.ts';

const parses = (schema: { safeParse: (value: unknown) => { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('the parameter grammar the OpenAPI document publishes', () => {
  test('When timestamps are given, then only calendar dates pass, by the same pattern the document states', () => {
    for (const valid of [
      '2024-02-29',
      '2000-02-29',
      '2024-01-31T12:00',
      '2024-01-31t12:00:00z',
      '2024-01-31 12:00:00.123456789+05:30',
      '0001-01-01',
      '0400-02-29',
    ])
      expect([valid, parses(ZTimestampParam, valid)]).toStrictEqual([valid, true]);
    for (const invalid of [
      '2023-02-29',
      '1900-02-29',
      '2024-04-31',
      '2024-13-01',
      '2024-01-31T24:00:00Z',
      '2024-06-30T23:59:60Z',
      '0000-01-01', // PostgreSQL has no year 0
      '0000-02-29',
      'yesterday',
      '2024-1-1',
    ])
      expect([invalid, parses(ZTimestampParam, invalid)]).toStrictEqual([invalid, false]);
    expect(ZTimestampParam.parse('2024-01-31T12:00:00+0530').toISOString()).toBe('2024-01-31T06:30:00.000Z');
    expect(ZTimestampParam.parse('2024-01-31T12:00').toISOString()).toBe('2024-01-31T12:00:00.000Z'); // no offset: UTC
  });

  test('When integers and numbers are given, then only their plain decimal spelling passes', () => {
    const limit = intParam(1, 250, 100);
    expect(limit.parse(undefined)).toBe(100);
    expect(limit.parse('250')).toBe(250);
    for (const invalid of ['', ' 5', '1e2', '0x10', '1.5', '251', '0', '5 '])
      expect([invalid, parses(limit, invalid)]).toStrictEqual([invalid, false]);
    const rate = numberParam(-0.5, 1, 0);
    expect(rate.parse('-0.0907887608439768')).toBe(-0.0907887608439768);
    expect(rate.parse('4e-2')).toBe(0.04);
    for (const invalid of ['', 'Infinity', 'NaN', '0x1', '1.5', '-0.6'])
      expect([invalid, parses(rate, invalid)]).toStrictEqual([invalid, false]);
  });

  test('When symbol lists are given, then the count is part of the pattern and duplicates count once', () => {
    const pair = zSymbolList(2, 25, 'BTC,ETH');
    expect(pair.parse(' btc , Eth ')).toStrictEqual(['BTC', 'ETH']);
    expect(pair.parse('BTC,BTC')).toStrictEqual(['BTC']);
    for (const invalid of [
      'BTC',
      'BTC,,ETH',
      'BTC,ETH,',
      'BTC;ETH',
      Array.from({ length: 26 }, (_, i) => `C${i}`).join(','),
    ])
      expect([invalid, parses(pair, invalid)]).toStrictEqual([invalid, false]);
  });

  test('When text holds what PostgreSQL cannot store, then it is refused', () => {
    const text = zText(10);
    expect(parses(text, 'bitcoin 😀')).toBe(true);
    expect(parses(text, 'a\u0000b')).toBe(false);
    expect(parses(text, 'a\ud800b')).toBe(false);
    expect(parses(text, 'x'.repeat(11))).toBe(false);
  });
});
