import type { FileProgress } from '../../channels/types.js';
import type { Logger } from '../../lib/log.js';
import type { MessageStore } from '../store/index.js';

/**
 * Files being read in records (flat files), by channel: their progress for the admin API while they
 * are read, and their summary stored once they are done.
 */
export class FileActivity {
  private readonly active = new Map<string, { channel: string; progress: FileProgress }>();

  constructor(
    private readonly store: Pick<MessageStore, 'recordFileSummary'>,
    private readonly log: Logger,
  ) {}

  report(channel: string, p: FileProgress): void {
    const key = `${channel}\u0000${p.file}`;
    if (!p.done) {
      this.active.set(key, { channel, progress: p });
      return;
    }
    this.active.delete(key);
    const { problems, refused, ...counts } = p.summary;
    void this.store
      .recordFileSummary({
        channel,
        file: p.file,
        sha256: p.sha256,
        bytes: p.bytes,
        startedAt: p.startedAt,
        finishedAt: p.finishedAt ?? new Date().toISOString(),
        summary: { ...counts, problems: [...problems], ...(refused ? { refused } : {}) },
      })
      .catch((err) => this.log.error({ channel, file: p.file, err: (err as Error).message }, 'file summary not stored'));
  }

  /** Files being read now, with how far each is. */
  list(channel?: string): Array<Record<string, unknown>> {
    return [...this.active.values()]
      .filter((a) => !channel || a.channel === channel)
      .map(({ channel: ch, progress: p }) => ({
        channel: ch,
        file: p.file,
        bytes: p.bytes,
        bytesRead: p.summary.bytesRead,
        percent: p.bytes > 0 ? Math.min(100, Math.round((p.summary.bytesRead / p.bytes) * 1000) / 10) : 100,
        rowsRead: p.summary.rowsRead,
        accepted: p.summary.accepted,
        rejected: p.summary.rejected,
        messages: p.summary.messages,
        startedAt: p.startedAt,
      }));
  }
}
