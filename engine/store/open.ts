import { StoreError } from '../../lib/errors.js';
import { parseStoreLocation, type StoreLocation } from './location.js';
import { PostgresStore } from './postgres/store.js';
import { remoteWriter, type StoreCalls, type StoreResults } from './remote.js';
import { SqliteStore } from './sqlite/store.js';
import type { Store } from './types.js';

export type OpenStoreOptions = {
  /** SQLite only: `full` fsyncs every commit (survives power loss), `normal` survives a process crash. */
  sync?: 'full' | 'normal';
  /** Where `sqlite:` alone puts `messages.db`; default the working directory. */
  dataDir?: string;
};

/**
 * Opens the store at a location (`sqlite:PATH` or `postgres://…`), creating or migrating its schema
 * first. This is the one place that knows which implementation a location means.
 */
export async function openStore(location: string | StoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  const loc = resolveLocation(location, options.dataDir);
  if (loc.kind === 'sqlite') return new SqliteStore({ path: loc.path, ...(options.sync ? { sync: options.sync } : {}) });
  return PostgresStore.open({ url: loc.url });
}

/** A store for a second thread of the same process, and how it talks to the first thread's store. */
export type ThreadStore = {
  store: Store;
  /** Feeds back the results of writes `forward` sent (see engine/store/remote.ts). */
  settle(results: StoreResults): void;
  /** Rejects every write still waiting on the first thread. */
  failAll(reason: string): void;
};

/**
 * The store of the processing thread. SQLite has one writer: this thread reads through its own
 * connection and sends every write to the listener thread's store with `forward` (which runs them with
 * `storeCallServer`), so its writes join the listener's group commits. PostgreSQL takes writes from any
 * number of connections: this thread opens its own pool and `forward` is never called.
 */
export async function openThreadStore(
  location: string | StoreLocation,
  forward: (calls: StoreCalls) => void,
  options: OpenStoreOptions = {},
): Promise<ThreadStore> {
  const loc = resolveLocation(location, options.dataDir);
  if (loc.kind === 'sqlite') return remoteWriter(new SqliteStore({ path: loc.path, sync: 'normal' }), forward);
  const store = await PostgresStore.open({ url: loc.url });
  return { store, settle: () => {}, failAll: () => {} };
}

function resolveLocation(location: string | StoreLocation, dataDir = '.'): StoreLocation {
  if (typeof location !== 'string') return location;
  const loc = parseStoreLocation(location, dataDir);
  if ('error' in loc) throw new StoreError('store-location-invalid', loc.error);
  return loc;
}
