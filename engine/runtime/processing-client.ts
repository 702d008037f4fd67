import { Worker } from 'node:worker_threads';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { writerPort, type Store } from '../store/index.js';
import type { RunRange, RunReport } from '../reconcile/service.js';
import type { ProcessingInit, Refusal } from './processing.js';

type RequestMethod = 'routeCounts' | 'retryDead' | 'memory' | 'metrics' | 'halt' | 'reload' | 'reconcile';

/** Messages from the listener thread to the processing thread. */
export type ToProcessing =
  | { type: 'ingested'; batch: Array<{ id: string; channel: string }> }
  | { type: 'pressure'; busy: boolean }
  | { type: 'request'; id: number; method: RequestMethod; args: unknown[] }
  | { type: 'stop' };

type FromProcessing =
  | { type: 'ready'; started: string[]; refused: Refusal[] }
  | { type: 'response'; id: number; ok: boolean; value?: unknown; error?: string }
  | { type: 'stopped' }
  | { type: 'fatal'; error: string };

/** From the compiled build, the thread's own module; from the sources, a bootstrap that loads tsx first. */
const ENTRY = import.meta.url.endsWith('.js')
  ? new URL('./processing-thread.js', import.meta.url)
  : new URL('./processing-thread.mjs', import.meta.url);

/**
 * The listener thread's handle on the processing thread: starts it, tells it what was stored,
 * asks it for route counts and dead-letter retries, restarts it if it dies (the recovery sweep it
 * runs at start picks up whatever was in flight), and stops it gracefully.
 */
export class ProcessingThread {
  started: string[] = [];
  refused: Refusal[] = [];
  private worker!: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stopping = false;
  private alive = false;

  private constructor(
    private readonly init: ProcessingInit,
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** `store` is this thread's store: with SQLite, the processing thread is given a port to its writer thread. */
  static async start(init: ProcessingInit, store: Store, log: Logger): Promise<ProcessingThread> {
    const t = new ProcessingThread(init, store, log);
    await t.spawn();
    return t;
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      // A small young generation: more frequent, cheaper scavenges instead of tens of MB of resident
      // semi-space under load (the engine's memory budget is 250 MB for both threads).
      const writer = writerPort(this.store);
      const worker = new Worker(ENTRY, {
        workerData: { ...this.init, ...(writer ? { writer } : {}) },
        ...(writer ? { transferList: [writer] } : {}),
        name: 'interlace-processing',
        resourceLimits: { maxYoungGenerationSizeMb: 12 },
      });
      this.worker = worker;
      let ready = false;
      worker.on('message', (m: FromProcessing) => {
        if (m.type === 'ready') {
          ready = true;
          this.started = m.started;
          this.refused = m.refused;
          resolve();
        } else if (m.type === 'fatal') {
          reject(new ConfigError('processing-start-failed', `the processing thread did not start: ${m.error}`));
          void worker.terminate();
        } else if (m.type === 'response') {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (m.ok) p?.resolve(m.value);
          else p?.reject(new Error(m.error));
        }
      });
      // the error's message may quote input: only its name goes to the log
      worker.on('error', (err) => this.log.error({ error: err.name }, 'processing thread failed'));
      worker.on('exit', (code) => {
        this.alive = false;
        for (const p of this.pending.values()) p.reject(new Error('the processing thread stopped'));
        this.pending.clear();
        if (!ready)
          return reject(new ConfigError('processing-start-failed', `the processing thread exited with code ${code} before it was ready`));
        if (this.stopping) return;
        this.log.error({ code }, 'processing thread exited; restarting it');
        this.restart(1000);
      });
      this.alive = true;
    });
  }

  /** Restarts the thread after `delayMs`, and again with a longer delay (up to a minute) while it fails. */
  private restart(delayMs: number): void {
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn().catch((err: Error) => {
        this.log.error({ code: (err as { code?: string }).code, delayMs }, 'processing thread did not restart; trying again');
        this.restart(Math.min(delayMs * 2, 60_000));
      });
    }, delayMs).unref();
  }

  /** False while the thread is down (between a crash and its restart): `GET /healthz` reports it. */
  get running(): boolean {
    return this.alive;
  }

  /** The listener is saturated (or no longer): processing holds back, acknowledgments first. */
  pressure(busy: boolean): void {
    this.worker.postMessage({ type: 'pressure', busy } satisfies ToProcessing);
  }

  /** Messages just committed: hand them to their channels' processing queues. */
  notifyIngested(batch: Array<{ id: string; channel: string }>): void {
    this.worker.postMessage({ type: 'ingested', batch } satisfies ToProcessing);
  }

  /** Asks the thread; rejects after 5 s or when the thread stops. */
  request<T>(method: RequestMethod, ...args: unknown[]): Promise<T> {
    return this.ask<T>(method, 5000, args);
  }

  private ask<T>(method: RequestMethod, timeoutMs: number, args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the processing thread did not answer ${method} in time`));
      }, timeoutMs);
      timer.unref();
      const done =
        <V>(f: (v: V) => void) =>
        (v: V) => {
          clearTimeout(timer);
          f(v);
        };
      this.pending.set(id, { resolve: done(resolve as (v: unknown) => void), reject: done(reject) });
      this.worker.postMessage({ type: 'request', id, method, args } satisfies ToProcessing);
    });
  }

  /**
   * Stops (or starts) a channel's processing and deliveries on the thread. Remembered, so a thread
   * restarted after a crash starts with the channel still stopped. Waits up to `timeoutMs` for work
   * in flight to finish.
   */
  async halt(channel: string, halt: boolean, timeoutMs = 60_000): Promise<void> {
    const stopped = new Set(this.init.stopped ?? []);
    if (halt) stopped.add(channel);
    else stopped.delete(channel);
    this.init.stopped = [...stopped];
    await this.ask('halt', timeoutMs, [channel, halt]);
  }

  /** Swaps a channel's processing for its file's new version (ProcessingHost.reload); waits up to `timeoutMs`. */
  async reload(channel: string, timeoutMs = 120_000): Promise<void> {
    await this.ask('reload', timeoutMs, [channel]);
  }

  /** Runs reconciliation over a range on the thread (ReconciliationService.run there); waits up to `timeoutMs`. */
  reconcile(range: RunRange, timeoutMs = 30 * 60_000): Promise<RunReport> {
    return this.ask<RunReport>('reconcile', timeoutMs, [range]);
  }

  /** Lets processing and deliveries in flight finish, then ends the thread. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (!this.alive) return; // it had exited (and its restart is cancelled by `stopping`)
    const stopped = new Promise<void>((resolve) => {
      worker.on('message', (m: FromProcessing) => m.type === 'stopped' && resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage({ type: 'stop' } satisfies ToProcessing);
    const timer = setTimeout(() => {
      this.log.warn({ timeoutMs }, 'processing did not finish in time; ending its thread');
      void worker.terminate();
    }, timeoutMs);
    await stopped;
    clearTimeout(timer);
    await worker.terminate();
  }
}
