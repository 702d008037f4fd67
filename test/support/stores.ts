import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchemas, freshSchema } from './postgres.js';

/**
 * The store implementations every store test runs against. `fresh()` gives the location of a new,
 * empty store (a file in a temporary directory, or a PostgreSQL schema of its own); `cleanup()`
 * removes them all (call it in `after`).
 */
export type StoreBackend = { name: 'sqlite' | 'postgres'; fresh(): Promise<string>; cleanup(): Promise<void> };

export function storeBackends(): StoreBackend[] {
  const dirs: string[] = [];
  return [
    {
      name: 'sqlite',
      async fresh() {
        const dir = mkdtempSync(join(tmpdir(), 'interlace-store-'));
        dirs.push(dir);
        return `sqlite:${join(dir, 'messages.db')}`;
      },
      async cleanup() {
        for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      },
    },
    { name: 'postgres', fresh: freshSchema, cleanup: dropSchemas },
  ];
}
