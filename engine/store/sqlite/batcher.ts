import type { Database } from 'better-sqlite3';

type Pending = { work: () => unknown; resolve: (v: any) => void; reject: (e: unknown) => void };

/**
 * Group commit. Writes requested in the same event-loop turn run in one transaction, so many
 * connections share one fsync; each write is its own savepoint, so one failing write rolls back only
 * itself. Every promise settles after the commit that made its write durable.
 */
export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly runBatch: (batch: Pending[]) => Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;

  constructor(
    private readonly db: Database,
    private readonly afterCommit: (committed: boolean) => void = () => {},
  ) {
    this.runBatch = db.transaction((batch: Pending[]) =>
      batch.map((p) => {
        try {
          return { ok: true as const, value: db.transaction(p.work)() };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    );
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now (also used at close). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results;
    try {
      results = this.runBatch(batch);
    } catch (error) {
      this.afterCommit(false);
      for (const p of batch) p.reject(error);
      return;
    }
    this.afterCommit(true);
    results.forEach((r, i) => (r.ok ? batch[i]!.resolve(r.value) : batch[i]!.reject(r.error)));
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  get database(): Database {
    return this.db;
  }
}
