import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Mounts a tmpfs of `size` at `at` (or at a new directory), its root of `mode` (default 0700), read-only
 * when asked; `{ skip }` with the reason when this machine does not allow it.
 */
export function smallDisk(
  size: string,
  at?: string,
  options: { mode?: string; readOnly?: boolean } = {},
): { dir: string; unmount(): void } | { skip: string } {
  const dir = at ?? mkdtempSync(join(tmpdir(), 'interlace-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=${options.mode ?? '0700'}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0 && options.readOnly) spawnSync('mount', ['-o', 'remount,ro', dir]);
  if (r.status !== 0) {
    if (!at) rmSync(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (${(r.stderr || r.error?.message || 'mount failed').trim()}); needs root or CAP_SYS_ADMIN` };
  }
  return {
    dir,
    unmount: () => {
      spawnSync('umount', [dir]);
      if (!at) rmSync(dir, { recursive: true, force: true });
    },
  };
}
