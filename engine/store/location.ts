import { join } from 'node:path';
import { redactUrl as redact } from '../../lib/net.js';

/** Where the store is: one SQLite file, or a PostgreSQL database shared by several engine processes. */
export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/**
 * Reads a store location as written in `INTERLACE_STORE` or `store.url`:
 * `sqlite:PATH` (a relative PATH is relative to the working directory; `sqlite:` alone is
 * `messages.db` in `dataDir`; `sqlite::memory:` a throwaway in-memory store) or `postgres://…` / `postgresql://…`. Returns a sentence saying what
 * was expected when it is neither.
 */
export function parseStoreLocation(spec: string, dataDir: string): StoreLocation | { error: string } {
  const s = spec.trim();
  if (/^postgres(ql)?:\/\/./i.test(s)) {
    try {
      new URL(s);
    } catch {
      return { error: `${redact(s)} is not a valid URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE` };
    }
    return { kind: 'postgres', url: s };
  }
  if (s.startsWith('sqlite:')) {
    const path = s.slice('sqlite:'.length);
    if (path === ':memory:') return { kind: 'sqlite', path };
    return { kind: 'sqlite', path: path === '' ? join(dataDir, 'messages.db') : path };
  }
  return { error: `${JSON.stringify(redact(s))} is not a store location; expected sqlite:PATH or a postgres:// URL` };
}

/** A location as text, with any password replaced by `***` (for logs and the admin API). */
export function describeLocation(location: StoreLocation): string {
  return location.kind === 'sqlite' ? `sqlite:${location.path}` : redact(location.url);
}

/** The default location: `messages.db` in the data directory. */
export function defaultStoreLocation(dataDir: string): string {
  return `sqlite:${join(dataDir, 'messages.db')}`;
}
