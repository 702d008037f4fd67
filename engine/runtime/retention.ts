import { performance } from 'node:perf_hooks';
import type { Logger } from '../../lib/log.js';
import type { ContentSize, Store } from '../store/index.js';

export type RetentionOptions = {
  store: Pick<Store, 'purgeContent' | 'contentSizes' | 'reclaimSpace' | 'appendAudit'>;
  /** Each channel, how long its content is kept and how much of it at most (undefined: no limit). */
  channels: ReadonlyArray<{ name: string; retentionMs: number | undefined; maxBytes?: number | undefined }>;
  everyMs: number;
  /**
   * Most messages purged per transaction (default 500). Each transaction is sized toward STEP_MS of
   * the store's writer from how long the last one took, so acknowledgments never wait long behind it.
   */
  batch?: number;
  /** Messages whose size one read of the size limit's walk takes (default 2,000). */
  sizePage?: number;
  log: Logger;
  now?: () => number;
};

/** How long one purge or reclaim transaction should take, ms: batches shrink or grow toward it. */
const STEP_MS = 10;
/** Space returned to the file system per transaction (SQLite incremental vacuum): first, least, most. */
const RECLAIM_BYTES = { first: 1024 * 1024, least: 64 * 1024, most: 16 * 1024 * 1024 };

/** The next step's size: scaled toward STEP_MS from how long this one took, at most halved or doubled. */
function nextSize(size: number, tookMs: number, least: number, most: number): number {
  const scaled = (size * STEP_MS) / Math.max(tookMs, 0.1);
  return Math.round(Math.min(most, Math.max(least, size / 2, Math.min(scaled, size * 2))));
}

/**
 * The pause after a step: as long as the step took, at least 20 ms, so retention has at most half
 * of the store's writer and acknowledgments' commits go in between.
 */
function pauseAfter(tookMs: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(20, tookMs)));
}

/**
 * Purges message content past each channel's retention (`retention:` of the channel, else
 * `store.retention`) and beyond its size (`maxContentSize`, else `store.maxContentSize`: the oldest
 * go first), every `store.retentionEvery`, in transactions of about 10 ms each with a pause at least
 * as long between them, so acknowledgments never wait long behind it. Then the space freed is
 * returned to the file system the same way, a step of about 10 ms at a time (reclaimSpace). Each
 * channel's purge is written to the audit log as `retention.purge` by the `retention` service.
 * What is purged and what stays: MessageStore.purgeContent.
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
    const batch = Math.max(1, this.o.batch ?? 500);
    for (const c of this.o.channels) {
      if ((c.retentionMs === undefined && c.maxBytes === undefined) || this.stopped) continue;
      let before = c.retentionMs === undefined ? -Infinity : (this.o.now ?? Date.now)() - c.retentionMs;
      let purged = 0;
      const started = performance.now();
      try {
        const bySize = c.maxBytes === undefined ? undefined : await this.sizeCutoff(c.name, c.maxBytes);
        if (bySize !== undefined) before = Math.max(before, bySize);
        if (before === -Infinity) continue;
        for (let size = Math.min(batch, 50); !this.stopped;) {
          const stepStarted = performance.now();
          const n = await this.o.store.purgeContent(c.name, before, size);
          purged += n;
          if (n < size) break;
          const took = performance.now() - stepStarted;
          size = nextSize(size, took, 1, batch);
          await pauseAfter(took);
        }
      } catch (err) {
        this.o.log.error({ channel: c.name, err: (err as Error).message }, 'retention purge failed; trying again at the next run');
      }
      if (purged === 0) continue;
      out[c.name] = purged;
      const cutoff = new Date(before).toISOString();
      const ms = Math.round(performance.now() - started);
      this.o.log.info({ channel: c.name, purged, before: cutoff, ms }, 'message content purged by retention');
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

  /**
   * The receive time before which `channel`'s content goes so that what stays (newest first) is at
   * most `maxBytes`; undefined when it is within already. Read a page at a time with a pause after
   * each, like the purge: a channel with millions of messages is never summed in one query.
   */
  private async sizeCutoff(channel: string, maxBytes: number): Promise<number | undefined> {
    const page = Math.max(1, this.o.sizePage ?? 2000);
    let kept = 0;
    let after: ContentSize | undefined;
    while (!this.stopped) {
      const stepStarted = performance.now();
      const rows = await this.o.store.contentSizes(channel, after, page);
      for (const r of rows) {
        kept += r.bytes;
        if (kept > maxBytes) return r.receivedAt + 1;
      }
      if (rows.length < page) return undefined;
      after = rows[rows.length - 1];
      await pauseAfter(performance.now() - stepStarted);
    }
    return undefined;
  }

  /** Returns the space the purge freed to the file system, a step at a time. */
  private async reclaim(): Promise<number> {
    let total = 0;
    const started = performance.now();
    try {
      for (let size = RECLAIM_BYTES.first; !this.stopped;) {
        const stepStarted = performance.now();
        const n = await this.o.store.reclaimSpace(size);
        total += n;
        if (n === 0) break;
        const took = performance.now() - stepStarted;
        size = nextSize(size, took, RECLAIM_BYTES.least, RECLAIM_BYTES.most);
        await pauseAfter(took);
      }
    } catch (err) {
      this.o.log.error(
        { err: (err as Error).message },
        'space freed by retention not returned to the file system; trying after the next purge',
      );
    }
    if (total > 0)
      this.o.log.info(
        { bytes: total, ms: Math.round(performance.now() - started) },
        'space freed by retention returned to the file system',
      );
    return total;
  }
}
