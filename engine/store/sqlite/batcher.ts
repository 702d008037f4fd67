import type { Database } from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { storeCommit } from '../../../lib/metrics.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one queue holds writes of every result type
type Pending = { work: () => unknown; resolve: (v: any) => void; reject: (e: unknown) => void; lazy: boolean };

type Results = Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;

/**
 * Group commit. Writes requested in the same event-loop turn run in one transaction, so many
 * connections share one fsync; each write is its own savepoint, so one failing write rolls back only
 * itself. Every promise settles after the commit that made its write durable.
 *
 * A write that nobody is waiting on to answer a sender (a status change, a recorded answer) may be
 * `lazy`: it waits up to `coalesceMs` for other writes to share its commit. An urgent write (an
 * ingest, before its ACK) commits at the end of the current turn, taking the lazy ones with it.
 * Transactions begin IMMEDIATE, so two connections to the same file (the listener thread and the
 * processing thread) wait for each other instead of failing on a stale snapshot.
 *
 * Only a commit that carries an urgent write waits for the disk (`synchronous = FULL`: the WAL is
 * fsynced before the promise settles). A commit of lazy writes alone is written to the WAL without
 * an fsync (`NORMAL`): it survives the process dying (kill -9; the OS has the pages), and the next
 * urgent commit's fsync makes it durable too, since the WAL is one file written in order. Only a
 * power loss in between can lose it, and a lazy write is one the engine can lose and redo: a routing
 * decision is remade from the stored message, a delivery's outcome by resending it with the same
 * idempotency key. Urgent writes — what an acknowledgment promises — are never in that window.
 */
export class WriteBatcher {
  private queue: Pending[] = [];
  private immediate = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly runBatch: { immediate(batch: Pending[]): Results };

  /** The connection's current `synchronous` setting, switched per commit (see above). */
  private sync: 'FULL' | 'NORMAL' | undefined;

  /** @param durable `false` when the store was opened with `sync: normal`: no commit waits for the disk. */
  constructor(
    private readonly db: Database,
    private readonly afterCommit: (committed: boolean) => void = () => {},
    private readonly coalesceMs = 0,
    private readonly durable = true,
  ) {
    this.runBatch = db.transaction((batch: Pending[]): Results =>
      batch.map((p) => {
        try {
          return { ok: true as const, value: db.transaction(p.work)() };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    );
  }

  run<T>(work: () => T, options: { lazy?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject, lazy: options.lazy === true });
      if (options.lazy && this.coalesceMs > 0) {
        this.timer ??= setTimeout(() => this.flush(), this.coalesceMs);
      } else if (!this.immediate) {
        this.immediate = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now (also used at close). */
  flush(): void {
    this.immediate = false;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results;
    const started = performance.now();
    try {
      this.setSync(this.durable && batch.some((p) => !p.lazy) ? 'FULL' : 'NORMAL');
      results = this.runBatch.immediate(batch);
      storeCommit.since(started);
    } catch (error) {
      this.afterCommit(false);
      for (const p of batch) p.reject(error);
      return;
    }
    this.afterCommit(true);
    results.forEach((r, i) => (r.ok ? batch[i]!.resolve(r.value) : batch[i]!.reject(r.error)));
  }

  private setSync(mode: 'FULL' | 'NORMAL'): void {
    if (this.sync === mode) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.sync = mode;
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  get database(): Database {
    return this.db;
  }
}
