import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseString } from 'fast-csv';
import { configDiagnostic, type ConfigDiagnostic } from './diagnostics.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** Lookup tables larger than this are refused (lookup tables are loaded into memory). */
export const MAX_TABLE_BYTES = 64 * 1024 * 1024;

/** One lookup table from `tables/*.csv`: the header row names the columns; rows are keyed by them. */
export type LoadedTable = { name: string; file: string; columns: string[]; rows: Record<string, string>[] };

/**
 * Reads one CSV lookup table. The first row is the header (required, names non-empty and unique);
 * every row must have as many cells as the header. A key (first column) seen twice is a warning
 * naming both rows. On any error no table is returned. `line` in diagnostics is the record number plus
 * one for the header: the file line unless blank lines or quoted cells spanning lines come before.
 */
export async function loadTable(file: string): Promise<{ table?: LoadedTable; diagnostics: ConfigDiagnostic[] }> {
  const at = (line: number, code: ErrorCode, message: string, severity: 'error' | 'warning' = 'error') =>
    configDiagnostic(file, { line, column: 1 }, code, message, severity);
  let source: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_TABLE_BYTES) return { diagnostics: [at(1, 'read-failed', `table is ${size} bytes; at most ${MAX_TABLE_BYTES}`)] };
    source = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    return { diagnostics: [at(1, 'read-failed', `cannot read the table (${(err as NodeJS.ErrnoException).code ?? 'error'})`)] };
  }
  if (source.trim() === '') return { diagnostics: [at(1, 'table-empty', 'the table is empty; expected a header row naming the columns')] };
  let records: string[][];
  try {
    records = await readRecords(source);
  } catch (err) {
    return { diagnostics: [at(1, 'table-syntax', `not valid CSV: ${(err as Error).message.split('\n')[0]}`)] };
  }
  const [header, ...body] = records;
  const columns = (header ?? []).map((c) => c.trim());
  const diagnostics = headerProblems(columns).map((m) => at(1, 'table-header', m));
  if (diagnostics.length) return { diagnostics };
  const rows: Record<string, string>[] = [];
  const firstRowOfKey = new Map<string, number>();
  body.forEach((cells, i) => {
    const line = i + 2;
    if (cells.length !== columns.length) {
      diagnostics.push(
        at(
          line,
          'table-row-width',
          `row ${i + 1} has ${cells.length} cell${cells.length === 1 ? '' : 's'}; the header has ${columns.length} (${columns.join(', ')})`,
        ),
      );
      return;
    }
    const row: Record<string, string> = {};
    columns.forEach((c, j) => (row[c] = cells[j]!));
    const key = cells[0]!;
    const first = firstRowOfKey.get(key);
    if (first !== undefined) {
      diagnostics.push(at(line, 'table-duplicate-key', `row ${i + 1} repeats the key of row ${first} in column ${columns[0]}`, 'warning'));
    } else firstRowOfKey.set(key, i + 1);
    rows.push(row);
  });
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const name = basename(file).replace(/\.csv$/i, '');
  return { table: { name, file, columns, rows }, diagnostics };
}

function headerProblems(columns: string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (c === '') problems.push(`column ${i + 1} of the header row has no name`);
    else if (seen.has(c)) problems.push(`column "${c}" appears twice in the header row`);
    seen.add(c);
  });
  return problems;
}

function readRecords(source: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const records: string[][] = [];
    parseString<string[], string[]>(source, { headers: false, ignoreEmpty: true })
      .on('error', reject)
      .on('data', (r: string[]) => records.push(r))
      .on('end', () => resolve(records));
  });
}
