import type { Logger } from '../../lib/log.js';
import type { Store } from '../store/index.js';

export type RetentionOptions = {
  store: Pick<Store, 'purgeContent' | 'appendAudit'>;
  /** Each channel and how long its content is kept (undefined: for ever). */
  channels: ReadonlyArray<{ name: string; retentionMs: number | undefined }>;
  everyMs: number;
  /** Messages purged per transaction: small, so the store's writer is never held long (acknowledgments first). */
  batch?: number;
  log: Logger;
  now?: () => number;
};

/**
 * Purges message content past each channel's retention (`retention:` of the channel, else
 * `store.retention`), every `store.retentionEvery`, in small transactions with a pause between them
 * so acknowledgments never wait long behind it. Each channel's purge is written to the audit log as
 * `retention.purge` by the `retention` service. What is purged and what stays: MessageStore.purgeContent.
 */
export class RetentionService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Record<string, number>> | undefined;
  private stopped = false;

  constructor(private readonly o: RetentionOptions) {}

  start(): void {
    if (!this.o.channels.some((c) => c.retentionMs !== undefined)) return;
    this.timer = setInterval(() => void this.run(), this.o.everyMs);
    this.timer.unref();
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every channel; resolves what was purged per channel. Never throws. */
  run(): Promise<Record<string, number>> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const batch = this.o.batch ?? 200;
    for (const c of this.o.channels) {
      if (c.retentionMs === undefined || this.stopped) continue;
      const before = (this.o.now ?? Date.now)() - c.retentionMs;
      let purged = 0;
      try {
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
    return out;
  }
}
