import { writeToString } from 'fast-csv';
import type { FlatColumn } from './layout.js';
import { formatValue } from './values.js';

export type WriteLayout = {
  columns: FlatColumn[];
  delimiter?: string;
  quote?: string;
  /** Write a header row (CSV: the column names; fixed-width: nothing). */
  header?: boolean;
  /** Line break between records (default CRLF, what most ERP imports expect). */
  lineBreak?: '\r\n' | '\n';
};

/**
 * Writes rows (objects keyed by column name) as CSV (with fast-csv's formatter) or fixed-width text.
 * A value that does not fit (a fixed-width field too narrow, a decimal with more digits than its
 * scale) is an error naming the row and column: a value is never cut or rounded on its way to an ERP.
 */
export async function writeFlat(format: 'csv' | 'fixed', layout: WriteLayout, rows: readonly Record<string, unknown>[]): Promise<string> {
  const lineBreak = layout.lineBreak ?? '\r\n';
  const cells = rows.map((row, i) => layout.columns.map((c) => cell(c, row, i)));
  if (format === 'csv') {
    const all = layout.header === false ? cells : [layout.columns.map((c) => c.header ?? c.name), ...cells];
    const text = await writeToString(all, {
      delimiter: layout.delimiter ?? ',',
      quote: layout.quote ?? '"',
      rowDelimiter: lineBreak,
      headers: false,
    });
    return all.length > 0 ? text + lineBreak : text;
  }
  const width = Math.max(...layout.columns.map((c) => (c.start ?? 1) + (c.width ?? 0) - 1));
  return cells
    .map((values, i) => {
      const line = Array<string>(width).fill(' ');
      layout.columns.forEach((c, j) => {
        const v = values[j]!;
        const w = c.width!;
        if ([...v].length > w)
          throw new RangeError(
            `row ${i + 1} column ${c.name}: ${JSON.stringify(v.slice(0, 40))} is ${[...v].length} characters; the field is ${w} wide`,
          );
        const right = c.align ? c.align === 'right' : c.type === 'integer' || c.type === 'decimal';
        const pad = c.pad ?? ' ';
        const text = right ? v.padStart(w, pad) : v.padEnd(w, pad);
        [...text].forEach((ch, k) => (line[c.start! - 1 + k] = ch));
      });
      return line.join('') + lineBreak;
    })
    .join('');
}

function cell(column: FlatColumn, row: Record<string, unknown>, index: number): string {
  const value = Object.prototype.hasOwnProperty.call(row, column.name) ? row[column.name] : undefined;
  if ((value === undefined || value === null || value === '') && column.required)
    throw new RangeError(`row ${index + 1} column ${column.name}: no value; the column is required`);
  try {
    return formatValue(column, value);
  } catch (err) {
    throw new RangeError(`row ${index + 1} ${(err as Error).message}`);
  }
}
