import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenStoreOptions } from '../../engine/store/index.js';
import { dropSchemas, freshSchema } from './postgres.js';

/**
 * The store implementations every store test runs against. `fresh()` gives the location of a new,
 * empty store (a file in a temporary directory, or a PostgreSQL schema of its own); `cleanup()`
 * removes them all (call it in `after`). Open each store with `options`: the writer-thread variant
 * is SQLite as the engine opens it (a writer thread, this thread reading through a read-only
 * connection), so every write method is seen to reach the writer.
 */
export type StoreBackend = {
  name: 'sqlite' | 'postgres';
  /** For test titles: the name, and the variant. */
  title: string;
  options: OpenStoreOptions;
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
};

/** SQLite and PostgreSQL; with `writerThread`, SQLite a second time as the engine opens it. */
export function storeBackends(o: { writerThread?: boolean } = {}): StoreBackend[] {
  const dirs: string[] = [];
  const sqlite = (writerThread: boolean): StoreBackend => ({
    name: 'sqlite',
    title: writerThread ? 'sqlite, writer thread' : 'sqlite',
    options: writerThread ? { writerThread } : {},
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'interlace-store-'));
      dirs.push(dir);
      return `sqlite:${join(dir, 'messages.db')}`;
    },
    async cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  });
  return [
    sqlite(false),
    ...(o.writerThread ? [sqlite(true)] : []),
    { name: 'postgres', title: 'postgres', options: {}, fresh: freshSchema, cleanup: dropSchemas },
  ];
}
