import { statSync } from 'node:fs';
import { rename, stat, writeFile } from 'node:fs/promises';
import { writeFlat } from '../../parsers/flat/index.js';
import type { Logger } from '../../lib/log.js';
import type { Table, Tables } from '../../transforms/index.js';
import { loadTable, type LoadedTable } from '../config/tables.js';

/** How often a table file is checked for a change. */
const WATCH_MS = 2_000;

/**
 * The lookup tables of a running engine, kept current. A table file that changes is read again in
 * full and, only when it reads without error and still has every column the old one had (the rules
 * were compiled against them), replaces the old table in one assignment: a lookup sees the old table
 * or the new one, never half of either. A bad file leaves the old table in place, with an error in
 * the log naming the file and line. A channel can feed a table too (the `table` destination): rows
 * are merged by key, the file is rewritten (temporary file, then rename) and the table replaced.
 */
export class LiveTables {
  readonly tables: Tables = {};
  private readonly files = new Map<string, string>();
  /** Size and modification time of each file as last read (or written). */
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    loaded: readonly LoadedTable[],
    private readonly log: Logger,
  ) {
    for (const t of loaded) {
      this.tables[t.name] = { columns: t.columns, rows: t.rows };
      this.files.set(t.name, t.file);
      this.seen.set(t.name, fingerprint(statSync(t.file, { throwIfNoEntry: false })));
    }
  }

  /** The table's columns, or undefined when there is none (the `table` destination checks with it). */
  columns(name: string): string[] | undefined {
    return Object.prototype.hasOwnProperty.call(this.tables, name) ? this.tables[name]!.columns : undefined;
  }

  /**
   * Checks every table file each `intervalMs` against its size and modification time when last read,
   * and reloads the ones that changed. Polling, not change events: it sees editors that replace a
   * file by renaming, network shares, and a change made before watching began.
   */
  watch(intervalMs = WATCH_MS): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const [name, file] of this.files) {
        const now = fingerprint(await stat(file).catch(() => undefined));
        if (now !== this.seen.get(name)) {
          this.seen.set(name, now);
          await this.reload(name);
        }
      }
    } finally {
      this.checking = false;
    }
  }

  /** Reads a table's file again; resolves true when the new content replaced the old. */
  async reload(name: string): Promise<boolean> {
    const file = this.files.get(name);
    if (!file) return false;
    const { table, diagnostics } = await loadTable(file);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (!table || errors.length > 0) {
      const first = errors[0];
      this.log.error(
        { table: name, file, line: first?.line, code: first?.code, reason: first?.message ?? 'unreadable' },
        'lookup table not reloaded, the previous content stays in use',
      );
      return false;
    }
    const old = this.tables[name];
    const missing = old?.columns.filter((c) => !table.columns.includes(c)) ?? [];
    if (missing.length > 0) {
      this.log.error(
        { table: name, file, missing },
        'lookup table not reloaded: the new file lacks columns the rules use; the previous content stays in use',
      );
      return false;
    }
    this.tables[name] = { columns: table.columns, rows: table.rows };
    this.log.info({ table: name, rows: table.rows.length }, 'lookup table reloaded');
    return true;
  }

  /**
   * Merges rows into a table by `keyColumn` (default its first column): a row whose key exists
   * replaces it (columns it does not give keep their value), a new key is appended. Cells must be
   * text; columns the table does not have are an error. Writes are serialised.
   */
  upsert(name: string, rows: Array<Record<string, unknown>>, keyColumn?: string): Promise<{ updated: number; added: number }> {
    const run = this.writing.then(() => this.merge(name, rows, keyColumn));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async merge(name: string, rows: Array<Record<string, unknown>>, keyColumn?: string): Promise<{ updated: number; added: number }> {
    const table = this.tables[name];
    const file = this.files.get(name);
    if (!table || !file) throw new Error(`there is no lookup table ${JSON.stringify(name)}`);
    const key = keyColumn ?? table.columns[0]!;
    const next: Table = { columns: table.columns, rows: table.rows.map((r) => ({ ...r })) };
    const at = new Map(next.rows.map((r, i) => [r[key], i]));
    let updated = 0;
    let added = 0;
    rows.forEach((row, n) => {
      const unknown = Object.keys(row).filter((c) => !table.columns.includes(c));
      if (unknown.length)
        throw new Error(`row ${n + 1}: table ${name} has no column ${unknown.join(', ')}; its columns are ${table.columns.join(', ')}`);
      const k = row[key];
      if (typeof k !== 'string' && typeof k !== 'number') throw new Error(`row ${n + 1}: no key in column ${key}`);
      const cells: Record<string, string> = {};
      for (const [c, v] of Object.entries(row)) {
        if (v !== undefined && v !== null && typeof v === 'object') throw new Error(`row ${n + 1}: column ${c} is not text`);
        cells[c] = v === undefined || v === null ? '' : String(v as string | number | boolean);
      }
      const i = at.get(String(k));
      if (i === undefined) {
        next.rows.push(Object.fromEntries(table.columns.map((c) => [c, cells[c] ?? ''])));
        at.set(String(k), next.rows.length - 1);
        added++;
      } else {
        next.rows[i] = { ...next.rows[i]!, ...cells };
        updated++;
      }
    });
    const text = await writeFlat(
      'csv',
      { columns: table.columns.map((c) => ({ name: c, type: 'string', required: false, header: c })), lineBreak: '\n' },
      next.rows,
    );
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text, { flush: true });
    await rename(tmp, file);
    this.seen.set(name, fingerprint(await stat(file).catch(() => undefined)));
    this.tables[name] = next;
    this.log.info({ table: name, updated, added }, 'lookup table updated by a channel');
    return { updated, added };
  }
}

function fingerprint(s: { size: number; mtimeMs: number } | undefined): string {
  return s ? `${s.size}:${s.mtimeMs}` : 'absent';
}
