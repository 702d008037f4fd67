import type { Logger } from '../../lib/log.js';
import type { Store } from '../store/index.js';

export type RetentionOptions = {
  store: Pick<Store, 'purgeContent' | 'contentCutoff' | 'reclaimSpace' | 'appendAudit'>;
  /** Each channel, how long its content is kept and how much of it at most (undefined: no limit). */
  channels: ReadonlyArray<{ name: string; retentionMs: number | undefined; maxBytes?: number | undefined }>;
  everyMs: number;
  /** Messages purged per transaction: small, so the store's writer is never held long (acknowledgments first). */
  batch?: number;
  log: Logger;
  now?: () => number;
};

/** Space returned to the file system per transaction after a purge (SQLite incremental vacuum). */
const RECLAIM_STEP_BYTES = 4 * 1024 * 1024;

/**
 * Purges message content past each channel's retention (`retention:` of the channel, else
 * `store.retention`) and beyond its size (`maxContentSize`, else `store.maxContentSize`: the oldest
 * go first), every `store.retentionEvery`, in small transactions with a pause between them so
 * acknowledgments never wait long behind it. Then the space freed is returned to the file system
 * in steps of 4 MiB, each its own short transaction (reclaimSpace). Each channel's purge is written
 * to the audit log as `retention.purge` by the `retention` service. What is purged and what stays:
 * MessageStore.purgeContent.
 */
export class RetentionService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Record<string, number>> | undefined;
  private stopped = false;

  constructor(private readonly o: RetentionOptions) {}

  start(): void {
    if (!this.o.channels.some((c) => c.retentionMs !== undefined || c.maxBytes !== undefined)) return;
    this.timer = setInterval(() => void this.run(), this.o.everyMs);
    this.timer.unref();
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Bytes returned to the file system after the last pass that purged something. */
  reclaimed = 0;

  /** One pass over every channel; resolves what was purged per channel. Never throws. */
  run(): Promise<Record<string, number>> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const batch = this.o.batch ?? 200;
    for (const c of this.o.channels) {
      if ((c.retentionMs === undefined && c.maxBytes === undefined) || this.stopped) continue;
      let before = c.retentionMs === undefined ? -Infinity : (this.o.now ?? Date.now)() - c.retentionMs;
      let purged = 0;
      try {
        const bySize = c.maxBytes === undefined ? undefined : await this.o.store.contentCutoff(c.name, c.maxBytes);
        if (bySize !== undefined) before = Math.max(before, bySize);
        if (before === -Infinity) continue;
        for (let n = batch; n === batch && !this.stopped;) {
          n = await this.o.store.purgeContent(c.name, before, batch);
          purged += n;
          if (n === batch) await new Promise((r) => setTimeout(r, 20)); // let acknowledgments' commits in
        }
      } catch (err) {
        this.o.log.error({ channel: c.name, err: (err as Error).message }, 'retention purge failed; trying again at the next run');
      }
      if (purged === 0) continue;
      out[c.name] = purged;
      const cutoff = new Date(before).toISOString();
      this.o.log.info({ channel: c.name, purged, before: cutoff }, 'message content purged by retention');
      await this.o.store
        .appendAudit({
          actor: 'retention',
          actorKind: 'service',
          action: 'retention.purge',
          target: c.name,
          channel: c.name,
          outcome: 200,
          detail: `${purged} messages received before ${cutoff}: content purged`,
        })
        .catch((err: Error) => this.o.log.error({ err: err.message }, 'retention purge not written to the audit log'));
    }
    if (Object.keys(out).length > 0) this.reclaimed = await this.reclaim();
    return out;
  }

  /** Returns the space the purge freed to the file system, a step at a time. */
  private async reclaim(): Promise<number> {
    let total = 0;
    try {
      for (let n = 1; n > 0 && !this.stopped; total += n) {
        n = await this.o.store.reclaimSpace(RECLAIM_STEP_BYTES);
        if (n > 0) await new Promise((r) => setTimeout(r, 20)); // let acknowledgments' commits in
      }
    } catch (err) {
      this.o.log.error(
        { err: (err as Error).message },
        'space freed by retention not returned to the file system; trying after the next purge',
      );
    }
    if (total > 0) this.o.log.info({ bytes: total }, 'space freed by retention returned to the file system');
    return total;
  }
}
