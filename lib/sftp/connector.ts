import type { Logger } from '../log.js';
import type { SftpConnectionConfig } from './config.js';
import { SftpSession } from './session.js';

/**
 * Keeps one SFTP session open and opens a new one when it was lost: `session()` resolves with a
 * connected session (several callers share one connect), `reset()` drops it after a failed
 * operation so that the next call reconnects. Backoff between attempts is the caller's (the route's
 * retry policy, the poller's reconnect loop).
 */
export class SftpConnector {
  private current: SftpSession | undefined;
  private connecting: Promise<SftpSession> | undefined;

  constructor(
    private readonly config: SftpConnectionConfig,
    private readonly label: string,
    private readonly log: Logger,
  ) {}

  session(): Promise<SftpSession> {
    if (this.current?.connected) return Promise.resolve(this.current);
    this.connecting ??= (async () => {
      const s = new SftpSession(this.config, this.label);
      await s.connect();
      s.onLost((reason) => {
        if (this.current === s) this.current = undefined;
        this.log.warn({ reason }, 'sftp connection lost');
      });
      this.current = s;
      return s;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async reset(): Promise<void> {
    const s = this.current;
    this.current = undefined;
    await s?.close();
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    await this.reset();
  }
}
