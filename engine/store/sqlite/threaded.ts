import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { StoreError } from '../../../lib/errors.js';
import type { Family } from '../../../lib/metrics.js';
import { refused, remoteWriter, type StoreCalls, type StoreResults } from '../remote.js';
import type { Store } from '../types.js';
import { SqliteStore } from './store.js';

export type WriterInit = { path: string; sync?: 'full' | 'normal' };
/** To the writer thread: writes, another thread's port to serve, or the end. */
export type ToWriter = StoreCalls | { type: 'attach'; port: MessagePort } | { type: 'metrics'; id: number } | { type: 'close' };
export type FromWriter =
  | StoreResults
  | { type: 'ingested'; batch: Array<{ id: string; channel: string }> }
  | { type: 'metrics'; id: number; families: Family[] }
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  | { type: 'closed' };

/** From the compiled build, the thread's own module; from the sources, a bootstrap that loads tsx first. */
const ENTRY = import.meta.url.endsWith('.js')
  ? new URL('./writer-thread.js', import.meta.url)
  : new URL('./writer-thread.mjs', import.meta.url);

type Ingested = Array<{ id: string; channel: string }>;

/**
 * The SQLite store of an engine: a writer thread holds the one writing connection (writer-thread.ts),
 * and this thread reads through a read-only connection of its own and sends its writes there. Group
 * commits, and the fsync each waits for, happen on the writer thread: this thread's event loop goes on
 * reading frames and answering senders meanwhile, and an ingest still resolves only after its commit.
 *
 * If the writer thread dies (it should not: every write's error is caught and answered), what it had
 * not answered fails with `store-write-failed`, writes fail at once while it is down, and it is
 * started again after a second (longer while it keeps failing). Other threads' ports close with it:
 * they connect again (`connect`).
 */
export class SqliteWriterThread {
  readonly store: Store;
  private worker!: Worker;
  private alive = false;
  private closing = false;
  private readonly listeners: Array<(batch: Ingested) => void> = [];
  private readonly remote: ReturnType<typeof remoteWriter>;
  /** Ports asked for while the writer was down: handed to it once it is up again. */
  private waiting: MessagePort[] = [];

  private constructor(
    private readonly init: WriterInit,
    reader: SqliteStore,
  ) {
    this.remote = remoteWriter(reader, (calls) => this.post(calls), {
      onIngested: (listener) => void this.listeners.push(listener),
      close: async () => {
        await this.stop();
        await reader.close();
      },
      ping: async () => this.alive && (await reader.ping()),
      threadMetrics: () => this.metrics(),
    });
    this.store = this.remote.store;
  }

  /** Starts the writer (which creates and migrates the file), then opens this thread's reading connection. */
  static async open(init: WriterInit): Promise<SqliteWriterThread> {
    let t: SqliteWriterThread | undefined;
    const first = await spawn(init, (m) => t?.received(m));
    try {
      t = new SqliteWriterThread(init, new SqliteStore({ path: init.path, readOnly: true }));
    } catch (err) {
      await first.terminate();
      throw err;
    }
    t.adopt(first);
    return t;
  }

  /** A port on which another thread of this process sends its writes (openThreadStore), served by the writer. */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    if (this.alive) this.worker.postMessage({ type: 'attach', port: port1 } satisfies ToWriter, [port1]);
    else this.waiting.push(port1);
    return port2;
  }

  private adopt(worker: Worker): void {
    this.worker = worker;
    this.alive = true;
    for (const port of this.waiting.splice(0)) worker.postMessage({ type: 'attach', port } satisfies ToWriter, [port]);
    worker.on('exit', (code) => {
      this.alive = false;
      this.remote.failAll(`the store's writer thread stopped (exit code ${code})`);
      if (!this.closing) this.restart(1000);
    });
  }

  private restart(delayMs: number): void {
    setTimeout(() => {
      if (this.closing) return;
      spawn(this.init, (m) => this.received(m)).then(
        (w) => (this.closing ? void w.terminate() : this.adopt(w)),
        () => this.restart(Math.min(delayMs * 2, 60_000)),
      );
    }, delayMs).unref();
  }

  private received(m: FromWriter): void {
    if (m.type === 'store-results') this.remote.settle(m);
    else if (m.type === 'ingested') for (const l of this.listeners) l(m.batch);
    else if (m.type === 'metrics') {
      this.asked.get(m.id)?.(m.families);
      this.asked.delete(m.id);
    }
  }

  private readonly asked = new Map<number, (families: Family[]) => void>();
  private nextAsk = 1;

  /** The writer thread's figures (its commits, heap, event loop); none when it does not answer within 2 s. */
  private metrics(): Promise<Family[]> {
    if (!this.alive) return Promise.resolve([]);
    const id = this.nextAsk++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.asked.delete(id);
        resolve([]);
      }, 2000);
      timer.unref();
      this.asked.set(id, (families) => {
        clearTimeout(timer);
        resolve(families);
      });
      this.worker.postMessage({ type: 'metrics', id } satisfies ToWriter);
    });
  }

  private post(calls: StoreCalls): void {
    if (this.alive) this.worker.postMessage(calls);
    else this.remote.settle(refused(calls, "the store's writer thread is not running; it is being restarted"));
  }

  /** Lets the writer commit what it was sent, then ends it. */
  private async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.alive) return;
    const worker = this.worker;
    await new Promise<void>((resolve) => {
      worker.on('message', (m: FromWriter) => m.type === 'closed' && resolve());
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'close' } satisfies ToWriter);
    });
    await worker.terminate();
  }
}

/** Starts a writer thread and waits until its connection is open (or it fails to open). */
function spawn(init: WriterInit, received: (m: FromWriter) => void): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: init, name: 'interlace-store-writer', resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    let ready = false;
    worker.on('message', (m: FromWriter) => {
      if (m.type === 'ready') {
        ready = true;
        resolve(worker);
      } else if (m.type === 'fatal')
        reject(new StoreError('store-open-failed', m.error)); // the store's own sentence, naming the path
      else received(m);
    });
    // the error's message may quote a path or input: the 'fatal' message above carries what the open said
    worker.on('error', () => {});
    worker.on('exit', (code) => {
      if (!ready)
        reject(
          new StoreError('store-open-failed', `the store's writer thread for ${init.path} exited with code ${code} before it was ready`),
        );
    });
  });
}
