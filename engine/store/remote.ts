import { InterlaceError, StoreError } from '../../lib/errors.js';
import type { Store } from './types.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/**
 * One writer. The listener thread's connection is the only one that writes to the SQLite file, so
 * its group commits never wait on another connection's lock (SQLite's busy handler sleeps a whole
 * millisecond or more). The processing thread reads through its own connection and sends its writes
 * here, where they join the listener's commits.
 */
export const WRITE_METHODS = [
  'ingest',
  'recordAnswer',
  'markFiltered',
  'markError',
  'markRouted',
  'resetForReprocess',
  'recordAttempt',
  'reopen',
  'nextControlNumbers',
  'recordX12Outbound',
  'recordX12Ack',
  'linkX12Document',
  'expectMdn',
  'settleMdn',
  'applyReconRun',
  'addDocumentRefs',
  'updateReconException',
  'recordKeys',
  'resolveException',
] as const;
export type WriteMethod = (typeof WRITE_METHODS)[number];

export type StoreCall = { type: 'store'; id: number; method: WriteMethod; args: unknown[] };
export type StoreResult =
  | { type: 'store-result'; id: number; ok: true; value: unknown }
  | { type: 'store-result'; id: number; ok: false; error: { code: ErrorCode; message: string } };
/** The writes one turn of the processing thread's event loop made, in the order it made them: one message between threads. */
export type StoreCalls = { type: 'store-calls'; calls: StoreCall[] };
/** The results that settled in one turn of the listener thread's event loop. */
export type StoreResults = { type: 'store-results'; results: StoreResult[] };

/**
 * Gathers what one turn of the event loop posts into one array, sent once the turn is over
 * (`setImmediate`): a group of messages routed together crosses between the threads once, instead of
 * once per write and once per result. Each crossing costs both threads a structured clone and an
 * event; the writes still run in the order they were made.
 */
function batcher<T>(send: (items: T[]) => void): (item: T) => void {
  let queue: T[] = [];
  return (item) => {
    queue.push(item);
    if (queue.length > 1) return;
    setImmediate(() => {
      const items = queue;
      queue = [];
      send(items);
    });
  };
}

/**
 * Listener side: runs the writes of each batch on the one writing connection, in order, and posts
 * their results back in batches.
 */
export function storeCallServer(store: Store, post: (results: StoreResults) => void): (batch: StoreCalls) => void {
  const answer = batcher<StoreResult>((results) => post({ type: 'store-results', results }));
  return (batch) => {
    for (const call of batch.calls) void runStoreCall(store, call).then(answer);
  };
}

/** Listener side: runs a write sent by the processing thread on the one writing connection. */
export async function runStoreCall(store: Store, call: StoreCall): Promise<StoreResult> {
  if (!(WRITE_METHODS as readonly string[]).includes(call.method)) {
    return {
      type: 'store-result',
      id: call.id,
      ok: false,
      error: { code: 'store-call-unknown', message: `${call.method} is not a store write` },
    };
  }
  try {
    const fn = Reflect.get(store, call.method) as (this: Store, ...args: unknown[]) => Promise<unknown>;
    return { type: 'store-result', id: call.id, ok: true, value: await fn.apply(store, call.args) };
  } catch (err) {
    const code = err instanceof InterlaceError ? err.code : 'store-write-failed';
    return { type: 'store-result', id: call.id, ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } };
  }
}

/**
 * Processing side: a store whose reads use `reader` (a connection of this thread) and whose writes
 * are posted to the listener thread with `post`, a turn's writes at a time; `settle` is fed the
 * batches of results that come back.
 */
export function remoteWriter(
  reader: Store,
  post: (batch: StoreCalls) => void,
): { store: Store; settle(batch: StoreResults): void; failAll(reason: string): void } {
  let nextId = 1;
  const send = batcher<StoreCall>((calls) => post({ type: 'store-calls', calls }));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const write =
    (method: WriteMethod) =>
    (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send({ type: 'store', id, method, args });
      });
  const writes = new Map<string, (...args: unknown[]) => Promise<unknown>>(WRITE_METHODS.map((m) => [m, write(m)]));
  const store = new Proxy(reader, {
    get(target, prop, receiver) {
      const w = typeof prop === 'string' ? writes.get(prop) : undefined;
      if (w) return w;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    store,
    settle(batch) {
      for (const r of batch.results) {
        const p = pending.get(r.id);
        if (!p) continue;
        pending.delete(r.id);
        if (r.ok) p.resolve(r.value);
        else p.reject(new StoreError(r.error.code, r.error.message));
      }
    },
    failAll(reason) {
      for (const p of pending.values()) p.reject(new StoreError('store-write-failed', reason));
      pending.clear();
    },
  };
}
