import { TransformMappingError } from './errors.js';
import type { Table, Tables } from './types.js';

/**
 * Read-only access to the lookup tables, indexed once per (table, key column) on first use. Keys are
 * matched exactly (case and spaces count); when a key occurs on several rows the first row wins.
 * The tables are read through the record given, so a table replaced there (a reload: one assignment
 * of a new Table object) is seen by the next lookup, with its own index; never half of one.
 */
export class TableIndex {
  private readonly indexes = new WeakMap<Table, Map<string, Map<string, Record<string, string>>>>();

  constructor(private readonly tables: Tables) {}

  names(): string[] {
    return Object.keys(this.tables);
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.tables, name);
  }

  private get(name: string): Table | undefined {
    return this.has(name) ? this.tables[name] : undefined;
  }

  /** The table's columns, or undefined when there is no such table. */
  columns(name: string): string[] | undefined {
    return this.get(name)?.columns;
  }

  /** The row whose `keyColumn` (default: the first column) equals `key`, or undefined. */
  find(name: string, key: string, keyColumn?: string): Record<string, string> | undefined {
    return this.index(name, keyColumn).get(key);
  }

  private index(name: string, keyColumn?: string): Map<string, Record<string, string>> {
    const table = this.get(name);
    if (!table)
      throw new TransformMappingError('unknown-table', `there is no lookup table named ${JSON.stringify(name)}`, { kind: 'lookup' });
    const column = keyColumn ?? table.columns[0];
    const id = column ?? '';
    let byColumn = this.indexes.get(table);
    if (!byColumn) this.indexes.set(table, (byColumn = new Map<string, Map<string, Record<string, string>>>()));
    let index = byColumn.get(id);
    if (!index) {
      index = new Map();
      if (column !== undefined) {
        for (const row of table.rows) {
          const key = Object.prototype.hasOwnProperty.call(row, column) ? row[column] : undefined;
          if (key !== undefined && !index.has(key)) index.set(key, row);
        }
      }
      byColumn.set(id, index);
    }
    return index;
  }
}

/**
 * Turns a key produced by an expression into the text to look up: strings as they are, numbers in
 * their shortest form; undefined, null and "" mean "no key" (a miss). Anything else is an error.
 */
export function lookupKey(value: unknown): { ok: true; key: string | undefined } | { ok: false; got: string } {
  if (value === undefined || value === null || value === '') return { ok: true, key: undefined };
  if (typeof value === 'string') return { ok: true, key: value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, key: String(value) };
  if (Array.isArray(value)) return { ok: false, got: `an array of ${value.length}` };
  return { ok: false, got: typeof value === 'object' ? 'an object' : `a ${typeof value}` };
}

/** A copy of a row, so that nothing an expression does can change the table. */
export function copyRow(row: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(row)) {
    Object.defineProperty(out, key, { value: row[key], enumerable: true, writable: true, configurable: true });
  }
  return out;
}
