import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';

/**
 * The data directory holds PHI (the message store, its WAL, the admin token). It is created 0700.
 * At start, one that others (not the owner or its group) can read, write or enter is tightened to
 * 0700 when this process owns it, with a warning naming the old mode; when it cannot be tightened,
 * the engine refuses to start. Decided in ADR 0010, documented in docs/security.md.
 */
export function secureDataDir(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dir, 0o700);
  } catch (err) {
    if ((mode & 0o007) === 0) {
      log.warn({ dir, mode: mode.toString(8) }, 'data directory is open to its group and cannot be tightened; expected mode 0700');
      return;
    }
    throw new ConfigError(
      'data-dir-exposed',
      `data directory ${dir} has mode ${mode.toString(8)} (others may read it) and cannot be changed (${(err as NodeJS.ErrnoException).code ?? 'error'}); expected mode 0700: run chmod 700 on it`,
      { cause: err },
    );
  }
  log.warn({ dir, mode: mode.toString(8) }, 'data directory was readable by others; tightened to 0700');
}

/** What a look at the store's disk found. */
export type DiskState = { ok: boolean; detail: string; freeBytes?: number };

/**
 * Watches the file system of the message store: free space against `minFreeBytes`, and whether a
 * small file can still be written and synced there. Logs at error level when the state turns bad
 * (and at info when it recovers), so an operator is alerted once per incident.
 */
export class DiskWatch {
  private last: DiskState = { ok: true, detail: 'ok' };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly minFreeBytes: number,
    private readonly log: Logger,
  ) {}

  start(intervalMs = 30_000): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async check(): Promise<DiskState> {
    const state = await this.look();
    if (!state.ok && (this.last.ok || this.last.detail !== state.detail)) {
      this.log.error(
        { dir: this.dir, freeBytes: state.freeBytes, minFreeBytes: this.minFreeBytes, detail: state.detail },
        'message store disk needs attention: messages may be refused',
      );
    } else if (state.ok && !this.last.ok) {
      this.log.info({ dir: this.dir, freeBytes: state.freeBytes }, 'message store disk recovered');
    }
    this.last = state;
    return state;
  }

  private async look(): Promise<DiskState> {
    let freeBytes: number | undefined;
    try {
      const s = await statfs(this.dir);
      freeBytes = Number(s.bavail) * Number(s.bsize);
    } catch (err) {
      return { ok: false, detail: `cannot read free space (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    const probe = join(this.dir, `.interlace-write-probe-${process.pid}`);
    try {
      const fd = openSync(probe, 'w', 0o600);
      try {
        writeSync(fd, Buffer.alloc(4096));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        unlinkSync(probe);
      }
    } catch (err) {
      try {
        unlinkSync(probe);
      } catch {
        // not created
      }
      return { ok: false, freeBytes, detail: `not writable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    if (freeBytes < this.minFreeBytes) {
      return { ok: false, freeBytes, detail: `low space: ${mib(freeBytes)} free, below minFreeSpace ${mib(this.minFreeBytes)}` };
    }
    return { ok: true, freeBytes, detail: 'ok' };
  }
}

function mib(n: number): string {
  return `${Math.floor(n / 1024 / 1024)} MiB`;
}
