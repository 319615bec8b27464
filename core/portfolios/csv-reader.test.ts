import { describe, expect, test } from '@jest/globals';
import { guardFormula, toCsv, unguardFormula } from './csv.ts';
import { CsvRefusal, readCsv, type TCsvLimits } from './csv-reader.ts';

const LIMITS: TCsvLimits = { maxRows: 100, maxFields: 64, maxRecordChars: 1000 };
const read = (text: string, limits: Partial<TCsvLimits> = {}, required = ['a', 'b']) =>
  readCsv(text, { required, format: 'test' }, { ...LIMITS, ...limits });
const refusal = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CsvRefusal) return { reason: error.reason, detail: error.message };
    throw error;
  }
  throw new Error('the file was read');
};

describe('Reading CSV (csv-parse, streamed)', () => {
  test('When fields are quoted, then delimiters, doubled quotes and line breaks inside them are kept; CRLF, LF, CR, a BOM and blank lines are handled; rows carry the line they start on', async () => {
    const text = '\ufeffa,b,c\r\n"1,5","say ""hi""","two\nlines"\n\n3,,\r4,x,y\n';
    const file = await read(text);
    expect(file.header).toEqual({ line: 1, fields: ['a', 'b', 'c'] });
    expect(file.rows).toEqual([
      { line: 2, fields: ['1,5', 'say "hi"', 'two\nlines'] },
      { line: 5, fields: ['3', '', ''] },
      { line: 6, fields: ['4', 'x', 'y'] },
    ]);
  });

  test('When cells have blanks around them, then unquoted ones are trimmed and quoted ones kept exactly', async () => {
    const file = await read('a , b\n  x  ," y "\n');
    expect(file.rows[0]!.fields).toEqual(['x', ' y ']);
  });

  test('When a quote is left open or appears inside an unquoted field, then the refusal names the line', async () => {
    expect(await refusal(read('a,b\n1,2\n"open,3'))).toEqual({
      reason: 'csv_malformed',
      detail: expect.stringContaining('line 3: a quoted field is not closed'),
    });
    expect(await refusal(read('a,b\nx"y,1'))).toEqual({
      reason: 'csv_malformed',
      detail: expect.stringContaining('line 2: a quote inside an unquoted field'),
    });
  });

  test.each([
    ['semicolons', 'a;b;c\n1;2,5;3\n', ';', ['1', '2,5', '3']],
    ['tabs (Excel’s Unicode text)', 'a\tb\n1\t"x\ty"\n', '\t', ['1', 'x\ty']],
    ['commas after a preamble', 'Report for x\n"Generated", "today"\n\nb,a\n2,1\n', ',', ['2', '1']],
  ])(
    'When a file is separated by %s, then the delimiter is found from the header row',
    async (_name, text, delimiter, fields) => {
      const file = await read(text);
      expect(file.delimiter).toBe(delimiter);
      expect(file.rows[0]!.fields).toEqual(fields);
    },
  );

  test('When no line names the columns with a comma, semicolon or tab between them, then the refusal says what the first line holds and what is missing', async () => {
    const { reason, detail } = await refusal(read('a|b\n1|2\n'));
    expect(reason).toBe('missing_columns');
    expect(detail).toContain('missing column(s) for the test format: a, b');
    expect(detail).toContain('"a|b"');
    expect(await refusal(read('\n\n'))).toEqual({ reason: 'empty_file', detail: 'the file is empty' });
  });

  test('When a file has more rows than the limit, then reading stops at the first one beyond, before any later content is parsed', async () => {
    const rows = Array.from({ length: 11 }, (_, index) => `${index},x`).join('\n');
    // A malformed record after the limit is never reached: the row limit answers first.
    const { reason, detail } = await refusal(read(`a,b\n${rows}\n"never closed`, { maxRows: 10 }));
    expect(reason).toBe('too_many_rows');
    expect(detail).toContain('more than 10 rows (line 12 is one too many)');
    expect((await read(`a,b\n${rows}`, { maxRows: 11 })).rows).toHaveLength(11);
  });

  test('When a record has too many fields or characters, then the file is refused naming the line and the limit', async () => {
    expect(await refusal(read(`a,b\n1,2\n${'x,'.repeat(70)}x`))).toEqual({
      reason: 'too_many_fields',
      detail: 'line 3: 71 fields; at most 64 per row',
    });
    const long = await refusal(read(`a,b\n1,"${'y'.repeat(2000)}"`));
    expect(long.reason).toBe('record_too_large');
    expect(long.detail).toContain('line 2: a record longer than 1000 characters');
  });
});

describe('Writing CSV', () => {
  test('When rows are written, then every text reads back exactly: delimiters, quotes, line breaks, blanks at either end, formulas and apostrophes', async () => {
    const texts = [
      'a,b',
      'say "x"',
      'multi\nline',
      ' padded ',
      '=SUM(A1)',
      "'=quoted",
      "'plain",
      'x;y',
      '\tab',
    ];
    const csv = toCsv(
      ['a', 'b'],
      texts.map((text, index) => [String(index), guardFormula(text)]),
    );
    const file = await read(csv);
    expect(file.rows.map((row) => unguardFormula(row.fields[1]!))).toEqual(texts);
    expect(file.rows[4]!.fields[1]).toBe("'=SUM(A1)");
    expect(toCsv(['a'], [[null]])).toBe('a\r\n\r\n');
  });
});
