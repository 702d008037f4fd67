import { ParserOptions } from '@fast-csv/parse';
import parserModule from '@fast-csv/parse/build/src/parser/Parser.js';
import iconv from 'iconv-lite';
import type { Diagnostic } from '../../lib/errors.js';
import type { FlatColumn, FlatLayout } from './layout.js';
import type { FlatRecord } from './records.js';
import { readValue, type Value } from './values.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** fast-csv's record parser (the one its streams use), applied to one record at a time. */
const { Parser } = parserModule as unknown as {
  Parser: new (o: ParserOptions) => { parse(line: string, more: boolean): { rows: string[][] } };
};

export type FlatFormat = 'csv' | 'fixed';

/** A row read from a record: its values by column name (empty cells left out), or its problems. */
export type RowResult =
  | { kind: 'blank' }
  | { kind: 'row'; line: number; values: Record<string, Value>; key?: string }
  | { kind: 'bad'; line: number; problems: Diagnostic[]; key?: string };

type Bound = { column: FlatColumn; index: number };

/**
 * Reads the records of one flat file against its layout. CSV cells are split by fast-csv's parser
 * (quoted records) or at the delimiter (records without a quote, where the two are the same);
 * fixed-width cells are cut by character position. Each cell is then typed and checked. A problem
 * names the file, the line, the column and what was expected; it never stops the file.
 */
export class RowReader {
  private bound: Bound[] | undefined;
  private headerWidth: number | undefined;
  private readonly csv: InstanceType<typeof Parser> | undefined;
  private readonly quote: string;

  constructor(
    readonly format: FlatFormat,
    readonly layout: FlatLayout,
    private readonly encoding: string,
    private readonly file: string,
  ) {
    this.quote = layout.quote;
    this.csv =
      format === 'csv' ? new Parser(new ParserOptions({ delimiter: layout.delimiter, quote: layout.quote, trim: false })) : undefined;
    if (format === 'fixed' || !layout.header) this.bound = layout.columns.map((column, index) => ({ column, index }));
  }

  /** True while the header row is still expected. */
  get needsHeader(): boolean {
    return this.bound === undefined;
  }

  /** Reads the header record (CSV with `header: true`); resolves to file-level problems (the file cannot be read). */
  readHeader(record: FlatRecord): Diagnostic[] {
    const text = this.text(record);
    const cells = this.cells(text, record.line);
    if (!cells.ok) return [cells.problem];
    const names = cells.cells.map((c) => c.trim());
    const problems: Diagnostic[] = [];
    const bound: Bound[] = [];
    for (const column of this.layout.columns) {
      const wanted = column.header ?? column.name;
      const index = names.indexOf(wanted);
      if (index >= 0) bound.push({ column, index });
      else if (column.required)
        problems.push(
          this.problem(
            record.line,
            undefined,
            'flat-header-missing',
            `the header row has no column ${JSON.stringify(wanted)}; expected it (required column ${column.name})`,
          ),
        );
      else bound.push({ column, index: -1 });
    }
    if (this.layout.extraColumns === 'error') {
      const declared = new Set(this.layout.columns.map((c) => c.header ?? c.name));
      names.forEach((n, i) => {
        if (!declared.has(n))
          problems.push(
            this.problem(
              record.line,
              i + 1,
              'flat-header-unknown',
              `the header row names column ${JSON.stringify(n.slice(0, 64))}, which the layout does not declare (extraColumns: error)`,
            ),
          );
      });
    }
    this.bound = bound;
    this.headerWidth = names.length;
    return problems;
  }

  /** Reads one data record. */
  readRow(record: FlatRecord): RowResult {
    const line = record.line;
    if (record.overflow) {
      return {
        kind: 'bad',
        line,
        problems: [
          this.problem(
            line,
            undefined,
            'flat-record-too-long',
            `the record is longer than ${this.layout.maxRecordBytes} bytes (maxRecordBytes); an unclosed quote or a file that is not ${this.format === 'csv' ? 'CSV' : 'fixed-width text'}`,
          ),
        ],
      };
    }
    const text = this.text(record);
    if (text.trim() === '') return { kind: 'blank' };
    const bound = this.bound!;
    let cell: (b: Bound) => string;
    const problems: Diagnostic[] = [];
    if (this.format === 'csv') {
      const split = this.cells(text, line);
      if (!split.ok) return { kind: 'bad', line, problems: [split.problem] };
      const cells = split.cells;
      const expected = this.headerWidth ?? this.layout.columns.length;
      if (
        this.headerWidth !== undefined
          ? cells.length !== expected
          : cells.length < expected || (cells.length > expected && this.layout.extraColumns === 'error')
      ) {
        problems.push(
          this.problem(
            line,
            undefined,
            'flat-row-width',
            `the row has ${cells.length} cell${cells.length === 1 ? '' : 's'}; expected ${expected}${this.headerWidth !== undefined ? ' (as many as the header row)' : ''}`,
          ),
        );
        return { kind: 'bad', line, problems, key: this.keyOf(bound, cells) };
      }
      cell = (b) => (b.index < 0 ? '' : (cells[b.index] ?? ''));
    } else {
      // positions count characters; only text with surrogate pairs needs the slower split
      const points = /[\ud800-\udfff]/.test(text) ? [...text] : undefined;
      cell = (b) => {
        const from = b.column.start! - 1;
        return points ? points.slice(from, from + b.column.width!).join('') : text.slice(from, from + b.column.width!);
      };
    }
    const values: Record<string, Value> = {};
    for (const b of bound) {
      const raw = cell(b);
      const trimmed = this.format === 'fixed' || this.layout.trim ? raw.trim() : raw;
      const r = readValue(b.column, trimmed, this.format);
      if (r.ok) {
        if (r.value !== undefined) values[b.column.name] = r.value;
      } else problems.push(this.problem(line, this.columnNumber(b), r.code, `column ${b.column.name}: ${r.message}`));
    }
    const groupBy = typeof this.layout.message === 'object' ? this.layout.message.groupBy : undefined;
    const key =
      groupBy === undefined
        ? undefined
        : (() => {
            const b = bound.find((x) => x.column.name === groupBy);
            return b ? cell(b).trim() : undefined;
          })();
    if (problems.length > 0) return { kind: 'bad', line, problems, ...(key !== undefined ? { key } : {}) };
    return { kind: 'row', line, values, ...(key !== undefined ? { key } : {}) };
  }

  private keyOf(bound: Bound[], cells: string[]): string | undefined {
    const groupBy = typeof this.layout.message === 'object' ? this.layout.message.groupBy : undefined;
    const b = groupBy === undefined ? undefined : bound.find((x) => x.column.name === groupBy);
    return b && b.index >= 0 ? cells[b.index]?.trim() : undefined;
  }

  private columnNumber(b: Bound): number {
    return this.format === 'fixed' ? b.column.start! : b.index + 1;
  }

  /** The record as text, without its line break (and without a byte order mark on the first line). */
  private text(record: FlatRecord): string {
    let end = record.raw.length;
    if (record.raw[end - 1] === 0x0a) end--;
    if (record.raw[end - 1] === 0x0d) end--;
    const bytes = record.raw.subarray(0, end);
    const enc = this.encoding.toLowerCase();
    const text =
      enc === 'utf-8' || enc === 'utf8'
        ? bytes.toString('utf8')
        : enc === 'latin1' || enc === 'iso-8859-1'
          ? bytes.toString('latin1')
          : iconv.decode(bytes, this.encoding);
    return record.line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  private cells(text: string, line: number): { ok: true; cells: string[] } | { ok: false; problem: Diagnostic } {
    if (!text.includes(this.quote)) return { ok: true, cells: text.split(this.layout.delimiter) };
    try {
      const rows = this.csv!.parse(text, false).rows;
      if (rows.length !== 1)
        return { ok: false, problem: this.problem(line, undefined, 'flat-csv-syntax', 'the record is not one CSV row') };
      return { ok: true, cells: rows[0]! };
    } catch (err) {
      const detail = (err as Error).message
        .replace(/^Parse Error: /, '')
        .replace(/ at '.*$/s, '')
        .replace(/ in line:.*$/s, '');
      return { ok: false, problem: this.problem(line, undefined, 'flat-csv-syntax', `not valid CSV: ${detail.slice(0, 120)}`) };
    }
  }

  private problem(line: number, column: number | undefined, code: ErrorCode, message: string): Diagnostic {
    const where = `${this.file}:${line}${column !== undefined ? `:${column}` : ''}`;
    return {
      severity: 'error',
      code,
      message: `${where} ${message}`,
      location: { file: this.file, line, ...(column !== undefined ? { column } : {}) },
    };
  }
}
