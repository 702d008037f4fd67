import type { MessagePort } from 'node:worker_threads';
import { StoreError } from '../../lib/errors.js';
import { parseStoreLocation, type StoreLocation } from './location.js';
import { PostgresStore } from './postgres/store.js';
import { refused, remoteWriter, type StoreCalls, type StoreResults } from './remote.js';
import { SqliteStore } from './sqlite/store.js';
import { SqliteWriterThread } from './sqlite/threaded.js';
import type { Store } from './types.js';

export type OpenStoreOptions = {
  /** SQLite only: `full` fsyncs every commit (survives power loss), `normal` survives a process crash. */
  sync?: 'full' | 'normal';
  /** Where `sqlite:` alone puts `messages.db`; default the working directory. */
  dataDir?: string;
  /**
   * SQLite: one writer thread holds the writing connection and this thread reads (an engine: its
   * threads answer senders while commits wait for the disk). Without it, this thread writes itself
   * (the CLI's commands, tests). PostgreSQL: ignored.
   */
  writerThread?: boolean;
};

/** Stores opened with a writer thread, for the other threads of the process that write to them. */
const writers = new WeakMap<Store, SqliteWriterThread>();

/**
 * Opens the store at a location (`sqlite:PATH` or `postgres://…`), creating or migrating its schema
 * first. This is the one place that knows which implementation a location means.
 */
export async function openStore(location: string | StoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  const loc = resolveLocation(location, options.dataDir);
  if (loc.kind === 'postgres') return PostgresStore.open({ url: loc.url });
  const sync = options.sync ? { sync: options.sync } : {};
  if (!options.writerThread) return new SqliteStore({ path: loc.path, ...sync });
  const writer = await SqliteWriterThread.open({ path: loc.path, ...sync });
  writers.set(writer.store, writer);
  return writer.store;
}

/**
 * For another thread of this process: a port to send its writes to the store's writer thread
 * (`openThreadStore`), or undefined when the store takes writes from any connection (PostgreSQL).
 * Each call gives a new port; the thread that receives it owns it.
 */
export function writerPort(store: Store): MessagePort | undefined {
  return writers.get(store)?.connect();
}

/**
 * The store of another thread of the process (the processing thread). SQLite has one writer: this
 * thread reads through a read-only connection of its own and sends every write on `writer` (from
 * `writerPort`), so its writes join the writer thread's group commits. When the writer thread stops,
 * pending writes fail and `onWriterLost` is called: the port is dead, the thread needs a new one.
 * PostgreSQL takes writes from any number of connections: this thread opens its own pool.
 */
export async function openThreadStore(
  location: string | StoreLocation,
  options: OpenStoreOptions & { writer?: MessagePort; onWriterLost?: () => void } = {},
): Promise<Store> {
  const loc = resolveLocation(location, options.dataDir);
  if (loc.kind === 'postgres') return PostgresStore.open({ url: loc.url });
  const port = options.writer;
  if (!port) throw new StoreError('store-open-failed', `a thread of the engine opened ${loc.path} without a port to its writer thread`);
  const reader = new SqliteStore({ path: loc.path, readOnly: true });
  let gone: string | undefined;
  const lost = () => {
    gone = "the store's writer thread stopped";
    remote.failAll(gone);
    options.onWriterLost?.();
  };
  const post = (calls: StoreCalls) => (gone ? remote.settle(refused(calls, gone)) : port.postMessage(calls));
  const remote = remoteWriter(reader, post, {
    close: async () => {
      port.off('close', lost);
      port.close();
      gone = 'the store was closed';
      remote.failAll(gone);
      await reader.close();
    },
  });
  port.on('message', (results: StoreResults) => remote.settle(results));
  port.once('close', lost);
  return remote.store;
}

function resolveLocation(location: string | StoreLocation, dataDir = '.'): StoreLocation {
  if (typeof location !== 'string') return location;
  const loc = parseStoreLocation(location, dataDir);
  if ('error' in loc) throw new StoreError('store-location-invalid', loc.error);
  return loc;
}
