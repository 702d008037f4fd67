import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { nameThisThread, snapshot, watchEventLoop } from '../../../lib/metrics.js';
import { storeCallServer, type StoreCalls } from '../remote.js';
import { SqliteStore } from './store.js';
import type { FromWriter, ToWriter, WriterInit } from './threaded.js';

/**
 * Entry of the store's writer thread: the one connection that writes to the SQLite file. Every other
 * thread sends its writes here (the engine thread through `parentPort`, others through a port each);
 * what one turn of this thread's event loop receives is one group commit, so commits grow with the
 * time the disk takes, and no thread that answers senders waits for an fsync.
 */
const port = parentPort!;
const init = workerData as WriterInit;
const post = (m: FromWriter) => port.postMessage(m);
nameThisThread('writer');
watchEventLoop();

let store: SqliteStore;
try {
  store = new SqliteStore({ path: init.path, ...(init.sync ? { sync: init.sync } : {}) });
} catch (err) {
  post({ type: 'fatal', error: err instanceof Error ? err.message : String(err) });
  port.close();
  throw err;
}
store.onIngested((batch) => post({ type: 'ingested', batch }));
const serveEngine = storeCallServer(store, (results) => post(results));

/** Serves another thread's writes on its own port, until that thread goes away. */
function attach(other: MessagePort): void {
  const serve = storeCallServer(store, (results) => other.postMessage(results));
  other.on('message', (batch: StoreCalls) => serve(batch));
}

port.on('message', (m: ToWriter) => {
  if (m.type === 'store-calls') serveEngine(m);
  else if (m.type === 'attach') attach(m.port);
  else if (m.type === 'metrics') post({ type: 'metrics', id: m.id, families: snapshot() });
  else if (m.type === 'close') {
    void store.close().then(() =>
      // the results of the last commit are posted at the end of a turn (remote.ts): after them
      setImmediate(() => setImmediate(() => post({ type: 'closed' }))),
    );
  }
});
post({ type: 'ready' });
