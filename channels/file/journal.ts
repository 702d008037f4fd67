import { appendFile, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The crash-safety record of the file source, kept in the archive directory. After each unit of a
 * file is stored, a line says how many units of that file (known by name, size, mtime and SHA-256)
 * are stored and under which message ids. When the process dies before the file is archived, the
 * next poll finds the line, skips the stored units and only finishes the move. Once the file is
 * archived, a `done` line retires the entry. The file is rewritten with only the open entries when it
 * is loaded and when it grows past a few hundred lines.
 */
export type JournalEntry = {
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  /** Units stored so far, in order. */
  stored: number;
  /** Units in the file. */
  total: number;
  messageIds: string[];
};

type Line = JournalEntry | { name: string; done: true };

export const JOURNAL_NAME = '.interlace-file-source.jsonl';
const COMPACT_AFTER = 500;

export class FileJournal {
  private readonly entries = new Map<string, JournalEntry>();
  private lines = 0;
  private readonly path: string;

  constructor(directory: string) {
    this.path = join(directory, JOURNAL_NAME);
  }

  /**
   * Reads the journal; a missing file is an empty journal, a damaged line is skipped. Entries for
   * which `keep(name)` is false (their file is gone from the drop directory) are dropped.
   */
  async load(keep: (name: string) => boolean = () => true): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const parsed = JSON.parse(line) as Line;
        if ('done' in parsed) this.entries.delete(parsed.name);
        else if (typeof parsed.name === 'string' && Array.isArray(parsed.messageIds)) this.entries.set(parsed.name, parsed);
      } catch {
        // a line cut short by a crash: the entries before it still count
      }
    }
    for (const name of [...this.entries.keys()]) if (!keep(name)) this.entries.delete(name);
    await this.compact();
  }

  /** Names of the files with an open entry. */
  openNames(): string[] {
    return [...this.entries.keys()];
  }

  /** The open entry of a file, only when it is the very same file (size, mtime and hash). */
  find(name: string, size: number, mtimeMs: number, sha256: string): JournalEntry | undefined {
    const e = this.entries.get(name);
    return e && e.size === size && e.mtimeMs === mtimeMs && e.sha256 === sha256 ? e : undefined;
  }

  /** Records progress of a file durably (appended and synced). */
  async record(entry: JournalEntry): Promise<void> {
    this.entries.set(entry.name, { ...entry, messageIds: [...entry.messageIds] });
    await this.append(entry);
  }

  /** Retires the entry of an archived file. */
  async retire(name: string): Promise<void> {
    if (!this.entries.delete(name)) return;
    await this.append({ name, done: true });
    if (this.lines > COMPACT_AFTER) await this.compact();
  }

  private async append(line: Line): Promise<void> {
    const handle = await open(this.path, 'a', 0o600);
    try {
      await appendFile(handle, `${JSON.stringify(line)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.lines += 1;
  }

  private async compact(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const text = [...this.entries.values()].map((e) => `${JSON.stringify(e)}\n`).join('');
    await writeFile(tmp, text, { flush: true, mode: 0o600 });
    await rename(tmp, this.path);
    this.lines = this.entries.size;
  }
}
