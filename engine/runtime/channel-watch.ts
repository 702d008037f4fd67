import { watch, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../../lib/log.js';
import type { AdminStore } from '../store/index.js';

/** How long a channel file must stay unchanged after a change before it is reloaded (editors write in steps). */
export const SETTLE_MS = 500;

/**
 * `engine.watchChannels`: reloads a channel when its file in `channels/` changes, as
 * `POST /api/channels/:name/reload` does (validated first; refused with its diagnostics and the
 * running version kept; never half-applied). Each change that was applied or refused is written to
 * the log and the audit log (`channel.reload` by the `file-watch` service); a file saved unchanged
 * does nothing. Adding or removing a channel file still needs a restart.
 */
export class ChannelWatch {
  private watcher: FSWatcher | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly o: {
      configDir: string;
      /** The channel a file (its name within `channels/`) defines, if it runs. */
      channelOf(file: string): string | undefined;
      reload(name: string, by: string): Promise<{ status: number; detail: string; diagnostics?: string[] }>;
      store: Pick<AdminStore, 'appendAudit'>;
      log: Logger;
      settleMs?: number;
    },
  ) {}

  start(): void {
    this.watcher = watch(join(this.o.configDir, 'channels'), (_event, file) => {
      if (!file || !/\.ya?ml$/.test(file)) return;
      const name = basename(file.toString());
      clearTimeout(this.timers.get(name));
      const t = setTimeout(() => {
        this.timers.delete(name);
        void this.changed(name);
      }, this.o.settleMs ?? SETTLE_MS);
      t.unref();
      this.timers.set(name, t);
    });
    this.watcher.on('error', (err) => this.o.log.error({ err: err.message }, 'channel files no longer watched'));
  }

  stop(): void {
    this.watcher?.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async changed(file: string): Promise<void> {
    const channel = this.o.channelOf(file);
    if (!channel) return;
    try {
      const r = await this.o.reload(channel, 'file-watch');
      if (r.status === 200 && / is unchanged$/.test(r.detail)) return;
      if (r.status === 200) this.o.log.info({ channel, file }, 'channel reloaded: its file changed');
      else
        this.o.log.error(
          { channel, file, problems: r.diagnostics?.length ?? 0, detail: r.detail },
          'changed channel file refused; the running version stays',
        );
      await this.o.store.appendAudit({
        actor: 'file-watch',
        actorKind: 'service',
        action: 'channel.reload',
        target: channel,
        channel,
        outcome: r.status,
        detail: [r.detail, ...(r.diagnostics ?? [])].join('\n').slice(0, 2000),
      });
    } catch (err) {
      this.o.log.error({ channel, err: (err as Error).message }, 'reload after a file change failed');
    }
  }
}
