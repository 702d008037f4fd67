import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';

/**
 * The rules every file-based source applies before it reads a file (the drop directory here, the
 * SFTP poller on what it lists remotely: names, link and special-file refusals, companions, quiet periods). Written once so both refuse the same things and decide
 * completeness the same way; see docs/security.md.
 *
 * - A source reads only regular files that live in its folder: symbolic links (wherever they point),
 *   hard links to a file that has another name elsewhere, directories, FIFOs, sockets and devices are
 *   never read. Links and special files are refused (moved to `error/` with a reason file);
 *   directories are skipped.
 * - A file is taken only when it is complete: its name is not an in-progress name, its companion
 *   exists when the channel asks for one, and otherwise its size and modification time have not
 *   changed for the quiet period. A file that changes while it is read, or after it was read and
 *   before it is archived, is read again whole.
 */

/** What a directory entry is, as far as a source cares. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'special';

/** The part of a stat result the rules look at (node:fs Stats and SFTP attributes both fit). */
export type EntryStat = {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  size: number;
  mtimeMs: number;
  nlink?: number;
  ino?: number;
};

/** Why an entry is refused: a stable error code and one sentence naming the file and the rule. */
export type Refusal = { code: 'file-symlink' | 'file-not-regular' | 'file-hard-link'; message: string };

export function entryKind(s: Pick<EntryStat, 'isFile' | 'isDirectory' | 'isSymbolicLink'>): EntryKind {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isDirectory()) return 'directory';
  return s.isFile() ? 'file' : 'special';
}

/** The refusal of an entry that must never be read, or undefined for a regular file or a directory. */
export function refusalOf(name: string, s: EntryStat): Refusal | undefined {
  switch (entryKind(s)) {
    case 'symlink':
      return { code: 'file-symlink', message: `${name} is a symbolic link; a source reads only regular files inside its folder` };
    case 'special':
      return {
        code: 'file-not-regular',
        message: `${name} is not a regular file (a FIFO, socket or device); a source reads only regular files`,
      };
    case 'file':
      if ((s.nlink ?? 1) > 1) {
        return {
          code: 'file-hard-link',
          message: `${name} has ${s.nlink} names (hard links); a source reads only files whose one name is in its folder`,
        };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Suffixes that partners' tools use while a file is still being written (renamed once complete). */
export const IN_PROGRESS_SUFFIXES: readonly string[] = ['.part', '.partial', '.tmp', '.filepart', '.crdownload', '.upload'];

/** True for names a source never picks up: hidden (dot) files and names of files still being written. */
export function isInProgressName(name: string): boolean {
  if (name.startsWith('.')) return true;
  const lower = name.toLowerCase();
  return IN_PROGRESS_SUFFIXES.some((s) => lower.endsWith(s));
}

/** Size, modification time and (when known) inode of a file: when any changes, the file changed. */
export type Signature = { size: number; mtimeMs: number; ino?: number };

export function signatureOf(s: EntryStat): Signature {
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

export function sameSignature(a: Signature, b: Signature): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && (a.ino === undefined || b.ino === undefined || a.ino === b.ino);
}

/**
 * Decides when a file has been quiet long enough: its signature must have been seen unchanged for
 * `quietMs`, measured on this machine's clock from the first scan that saw it (so a writer's clock or
 * a preserved mtime cannot make a growing file look old), and its mtime must be `quietMs` old too.
 */
export class QuietTracker {
  private readonly seen = new Map<string, { sig: Signature; since: number }>();
  private readonly remote: boolean;

  /**
   * `remote: true` for a listing of another machine (SFTP): its modification times come from that
   * machine's clock, so only the period seen unchanged on ours counts, and a file seen on one listing
   * only is never known to be complete (a second listing must see it unchanged).
   */
  constructor(
    private readonly quietMs: number,
    opts: { remote?: boolean } = {},
  ) {
    this.remote = opts.remote ?? false;
  }

  /** Records what a scan saw; true when the file is quiet. */
  observe(name: string, sig: Signature, now = Date.now()): boolean {
    const prev = this.seen.get(name);
    if (!prev || !sameSignature(prev.sig, sig)) {
      this.seen.set(name, { sig, since: now });
      return this.quietMs === 0 && !this.remote;
    }
    return now - prev.since >= this.quietMs && (this.remote || now - sig.mtimeMs >= this.quietMs);
  }

  /** How long the file has been seen unchanged (0 when unknown). */
  quietFor(name: string, now = Date.now()): number {
    const prev = this.seen.get(name);
    return prev ? now - prev.since : 0;
  }

  forget(name: string): void {
    this.seen.delete(name);
  }

  /** Drops what is remembered of files no longer listed. */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.seen.keys()) if (!names.has(name)) this.seen.delete(name);
  }
}

/** The companion file that says `name` is complete (`<name><suffix>`, e.g. `po.x12.done`). */
export function companionOf(name: string, suffix: string): string {
  return `${name}${suffix}`;
}

/** What reading a local file found. */
export type ReadResult =
  { kind: 'ok'; raw: Buffer; sig: Signature } | { kind: 'refused'; refusal: Refusal } | { kind: 'gone' } | { kind: 'changed' };

/**
 * Reads a local regular file whole, without following a link and without blocking on a FIFO: the
 * file is opened O_NOFOLLOW|O_NONBLOCK and checked through its descriptor, so swapping the name for a
 * link or a FIFO between listing and reading is refused too. `changed` when the file changed while it
 * was read (or its name now points elsewhere): read it again later.
 */
export async function readRegularFile(path: string, name: string): Promise<ReadResult> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const c = (err as NodeJS.ErrnoException).code;
    if (c === 'ENOENT') return { kind: 'gone' };
    if (c === 'ELOOP' || c === 'EMLINK') return { kind: 'refused', refusal: refusalOf(name, { ...fake, isSymbolicLink: () => true })! };
    if (c === 'ENXIO') return { kind: 'refused', refusal: refusalOf(name, fake)! };
    throw err;
  }
  try {
    const before = await handle.stat();
    const refusal = refusalOf(name, before);
    if (refusal) return { kind: 'refused', refusal };
    if (entryKind(before) !== 'file') return { kind: 'gone' };
    const raw = await handle.readFile();
    const after = await handle.stat();
    const named = await lstat(path).catch(() => undefined);
    const sig = signatureOf(after);
    if (
      !sameSignature(signatureOf(before), sig) ||
      raw.length !== after.size ||
      !named ||
      named.ino !== after.ino ||
      named.dev !== after.dev
    ) {
      return { kind: 'changed' };
    }
    return { kind: 'ok', raw, sig };
  } finally {
    await handle.close();
  }
}

/** The signature of what `path` names now (not following a link), or undefined when it is gone. */
export async function currentSignature(path: string): Promise<Signature | undefined> {
  const s: Stats | undefined = await lstat(path).catch(() => undefined);
  return s && entryKind(s) === 'file' ? signatureOf(s) : undefined;
}

const fake: EntryStat = { isFile: () => false, isDirectory: () => false, isSymbolicLink: () => false, size: 0, mtimeMs: 0 };
