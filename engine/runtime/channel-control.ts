import type { Logger } from '../../lib/log.js';
import type { AdminStore } from '../store/index.js';

/** How often each engine process reads what operators asked of the channels. */
export const CONTROL_SYNC_MS = 2_000;

/**
 * Operators' stops and starts of channels, shared by every engine process through the store
 * (migration 10): the process that receives `POST /api/channels/:name/stop` writes the channel's
 * desired state, then applies it; every process reads the desired states every `CONTROL_SYNC_MS`
 * and applies what differs from its own (a stop made elsewhere, or a start). The last request
 * wins. A stop lasts across restarts: a process starting reads the states before it opens any
 * source (`stoppedAtStart`).
 */
export class ControlSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly o: {
      store: Pick<AdminStore, 'channelControls'>;
      /** Whether this process has the channel stopped now. */
      isStopped(channel: string): boolean;
      /** Whether this process runs the channel (not refused, not disabled). */
      runs(channel: string): boolean;
      /** Applies a stop or start here, serialised with operators' requests. */
      apply(channel: string, action: 'stop' | 'start', by: string, at: string): Promise<unknown>;
      log: Logger;
      everyMs?: number;
    },
  ) {}

  /** The channels stopped by an operator, with who and when, as a process finds them when it starts. */
  async stoppedAtStart(): Promise<Map<string, { by: string; at: string }>> {
    const out = new Map<string, { by: string; at: string }>();
    for (const c of await this.o.store.channelControls()) if (c.state === 'stopped') out.set(c.channel, { by: c.by, at: c.at });
    return out;
  }

  start(): void {
    this.timer = setInterval(() => void this.sync(), this.o.everyMs ?? CONTROL_SYNC_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round: applies here what operators asked elsewhere. Never throws. */
  sync(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      for (const c of await this.o.store.channelControls()) {
        if (!this.o.runs(c.channel) || (c.state === 'stopped') === this.o.isStopped(c.channel)) continue;
        this.o.log.info({ channel: c.channel, state: c.state, by: c.by }, 'applying an operator request made at another engine process');
        await this.o.apply(c.channel, c.state === 'stopped' ? 'stop' : 'start', c.by, c.at);
      }
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'channel stop and start requests not read; trying again');
    }
  }
}
