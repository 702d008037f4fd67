import { InterlaceError, StoreError } from '../../lib/errors.js';
import type { Store } from './types.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/**
 * One writer. With SQLite, one connection writes to the file: the store's writer thread
 * (sqlite/writer-thread.ts), so its group commits never wait on another connection's lock (SQLite's
 * busy handler sleeps a whole millisecond or more) and never block a thread that answers senders.
 * Every other thread reads through its own connection, opened read-only, and sends these methods here.
 * A write method missing from this list fails on the read-only connection instead of writing beside
 * the writer: the store tests run against the threaded store too, so a method left out fails there.
 */
export const WRITE_METHODS = [
  // messages and deliveries
  'ingest',
  'recordAnswer',
  'markFiltered',
  'markError',
  'markRouted',
  'resetForReprocess',
  'recordAttempt',
  'reopen',
  'recordFileSummary',
  'resolveException',
  'recordKeys',
  'purgeContent',
  'reclaimSpace',
  // X12 and AS2 ledgers
  'nextControlNumbers',
  'recordX12Outbound',
  'recordX12Ack',
  'linkX12Document',
  'expectMdn',
  'settleMdn',
  // business documents and reconciliation
  'applyReconRun',
  'addDocumentRefs',
  'updateReconException',
  // the admin API's users, tokens, sessions, audit, alerts and channel controls
  'putUser',
  'putToken',
  'revokeToken',
  'touchToken',
  'putSession',
  'touchSession',
  'deleteSession',
  'deleteSessionsOf',
  'appendAudit',
  'saveAlert',
  'closeAlert',
  'setChannelControl',
] as const;
export type WriteMethod = (typeof WRITE_METHODS)[number];
const IS_WRITE: ReadonlySet<string> = new Set(WRITE_METHODS);

export type StoreCall = { type: 'store'; id: number; method: WriteMethod; args: unknown[] };
export type StoreResult =
  | { type: 'store-result'; id: number; ok: true; value: unknown }
  | { type: 'store-result'; id: number; ok: false; error: { code: ErrorCode; message: string; range?: true } };
/** The writes one turn of a reading thread's event loop made, in the order it made them: one message between threads. */
export type StoreCalls = { type: 'store-calls'; calls: StoreCall[] };
/** The results that settled in one turn of the writer's event loop. */
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
 * Writer side: runs the writes of each batch on the one writing connection, in order, and posts
 * their results back in batches.
 */
export function storeCallServer(store: Store, post: (results: StoreResults) => void): (batch: StoreCalls) => void {
  const answer = batcher<StoreResult>((results) => post({ type: 'store-results', results }));
  return (batch) => {
    for (const call of batch.calls) void runStoreCall(store, call).then(answer);
  };
}

/** Writer side: runs a write another thread sent on the one writing connection. */
export async function runStoreCall(store: Store, call: StoreCall): Promise<StoreResult> {
  if (!IS_WRITE.has(call.method)) {
    return {
      type: 'store-result',
      id: call.id,
      ok: false,
      error: { code: 'store-call-unknown', message: `${call.method} is not a store write` },
    };
  }
  try {
    const fn = Reflect.get(store, call.method) as (this: Store, ...args: unknown[]) => Promise<unknown>;
    return { type: 'store-result', id: call.id, ok: true, value: await fn.apply(store, call.args.map(buffers)) };
  } catch (err) {
    const code = err instanceof InterlaceError ? err.code : 'store-write-failed';
    const message = err instanceof Error ? err.message : String(err);
    // a caller's argument out of range (control numbers) stays a RangeError, as in the writer's thread
    return {
      type: 'store-result',
      id: call.id,
      ok: false,
      error: { code, message, ...(err instanceof RangeError ? { range: true } : {}) },
    };
  }
}

/** The answer to writes that cannot reach the writer: each fails with `store-write-failed` and `reason`. */
export function refused(batch: StoreCalls, reason: string): StoreResults {
  const error = { code: 'store-write-failed' as const, message: reason };
  return { type: 'store-results', results: batch.calls.map((c) => ({ type: 'store-result', id: c.id, ok: false, error })) };
}

/**
 * A Buffer crosses threads as a plain Uint8Array (structured clone); the store binds Buffers, so they
 * are made Buffers again, without a copy. A write carries bytes as an argument or as a property of
 * one (an ingest's `input.raw`), so only those are looked at: a routed message's canonical model or a
 * reconciliation run's findings are not walked on every write.
 */
function buffers(arg: unknown): unknown {
  const asBuffer = (v: unknown) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return arg;
  if (arg instanceof Uint8Array) return asBuffer(arg);
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(arg)) {
    const b = asBuffer(v);
    if (b !== v) (out ??= { ...(arg as Record<string, unknown>) })[k] = b;
  }
  return out ?? arg;
}

/**
 * Reading side: a store whose reads use `reader` (a connection of this thread) and whose writes
 * are posted to the writer with `post`, a turn's writes at a time; `settle` is fed the batches of
 * results that come back. `own` replaces members of the reader (the writer's `onIngested`, `close`).
 */
export function remoteWriter(
  reader: Store,
  post: (batch: StoreCalls) => void,
  own: Partial<Pick<Store, 'onIngested' | 'close' | 'ping' | 'threadMetrics'>> = {},
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
      const w = typeof prop === 'string' ? (writes.get(prop) ?? (own as Record<string, unknown>)[prop]) : undefined;
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
        else p.reject(r.error.range ? new RangeError(r.error.message) : new StoreError(r.error.code, r.error.message));
      }
    },
    failAll(reason) {
      for (const p of pending.values()) p.reject(new StoreError('store-write-failed', reason));
      pending.clear();
    },
  };
}
