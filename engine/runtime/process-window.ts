import type { Logger } from '../../lib/log.js';

export type ProcessWindowOptions = {
  /** Processes one group of stored messages (parse → transforms → deliveries), all of them at once. */
  run: (ids: string[]) => Promise<void>;
  /** The oldest messages still `received` in the store, to refill the window after it overflowed. */
  refill: (limit: number) => Promise<string[]>;
  /** Messages per group; a group's writes share commits. */
  groupSize?: number;
  /** Groups in progress at once. */
  concurrency?: number;
  /** Message ids held in memory at most; beyond, the store alone remembers them. */
  capacity?: number;
  /** True while downstream (a route's in-memory deliveries) is too full to take more. */
  blocked?: () => boolean;
  log: Logger;
};

/**
 * The in-memory window on a channel's durable backlog. The backlog itself is the store: every message
 * still `received` there is work to do. This window holds the ids of those the listener has just
 * committed (or the recovery sweep found) and runs them in groups, with no queue in Redis: processing
 * is idempotent (a message no longer `received` is skipped, and routing it is one conditional write),
 * so the only thing memory can lose is *when* a message is processed, never *whether*.
 *
 * When more ids arrive than the window holds, the extra ones are dropped and the window refills
 * itself from the store, oldest first, once it has drained. A process that dies loses its window;
 * the recovery sweep of the next start (or of another process) picks the messages up from the store.
 */
export class ProcessWindow {
  private readonly waiting: string[] = [];
  private head = 0;
  /** Ids waiting or running: a message is never in the window twice. */
  private readonly known = new Set<string>();
  private running = 0;
  /** Why the window takes no new groups: the listener is saturated, or an operator stopped the channel here. */
  private readonly holds = new Set<'pressure' | 'halt'>();
  private closed = false;
  private overflowed = false;
  private refilling = false;
  private readonly idle: Array<() => void> = [];
  private readonly groupSize: number;
  private readonly concurrency: number;
  private readonly capacity: number;

  constructor(private readonly o: ProcessWindowOptions) {
    this.groupSize = o.groupSize ?? 64;
    this.concurrency = o.concurrency ?? 2;
    this.capacity = o.capacity ?? 20_000;
  }

  /** Messages waiting in memory (not counting those the window dropped to the store). */
  get size(): number {
    return this.waiting.length - this.head;
  }

  /** Ids of committed messages to process; those already in the window are ignored. */
  submit(ids: readonly string[]): void {
    if (this.closed) return;
    for (const id of ids) {
      if (this.known.has(id)) continue;
      if (this.size >= this.capacity) {
        this.overflowed = true;
        continue;
      }
      this.known.add(id);
      this.waiting.push(id);
    }
    this.pump();
  }

  /** Stops (true) or restarts (false) taking new groups for `reason`; groups already running finish. */
  hold(hold: boolean, reason: 'pressure' | 'halt' = 'pressure'): void {
    if (hold) this.holds.add(reason);
    else {
      this.holds.delete(reason);
      this.pump();
    }
  }

  /** Resolves once no group is running (at once when none is). */
  async settled(): Promise<void> {
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Starts groups while there is room; called again whenever something that blocked it changes. */
  pump(): void {
    while (this.holds.size === 0 && !this.closed && this.running < this.concurrency && this.size > 0 && !this.o.blocked?.()) {
      const group = this.waiting.slice(this.head, this.head + this.groupSize);
      this.head += group.length;
      if (this.head > 4096 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.running++;
      this.o
        .run(group)
        .catch((err: Error) =>
          this.o.log.warn({ err: err.message, messages: group.length }, 'processing a group failed; the recovery sweep will retry'),
        )
        .finally(() => {
          this.running--;
          for (const id of group) this.known.delete(id);
          this.pump();
        });
    }
    if (this.running === 0) {
      if (this.size === 0 && this.overflowed && !this.closed && this.holds.size === 0) this.refillFromStore();
      else for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private refillFromStore(): void {
    if (this.refilling) return;
    this.refilling = true;
    this.overflowed = false;
    this.o
      .refill(Math.max(1, Math.floor(this.capacity / 2)))
      .then((ids) => {
        this.refilling = false;
        // a full page means more may wait behind it: keep refilling once this page is done
        if (ids.length >= Math.floor(this.capacity / 2)) this.overflowed = true;
        this.submit(ids);
        this.pump();
      })
      .catch((err: Error) => {
        this.refilling = false;
        this.overflowed = true;
        this.o.log.warn({ err: err.message }, 'refilling the processing window failed; the recovery sweep will retry');
      });
  }

  /** Takes nothing more and resolves once the groups in progress have finished. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    this.head = 0;
    await this.settled();
  }
}
