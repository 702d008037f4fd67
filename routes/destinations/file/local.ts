import { constants } from 'node:fs';
import { copyFile, link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileTarget } from './writer.js';

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** A directory on this machine (or a mounted share) as a FileTarget: hard link for a rename that never replaces. */
export class LocalDirectory implements FileTarget {
  constructor(readonly label: string) {}

  private path(name: string): string {
    return join(this.label, name);
  }

  async writeTemp(tmpName: string, body: Buffer): Promise<void> {
    await writeFile(this.path(tmpName), body, { flush: true });
  }

  async renameNoReplace(tmpName: string, finalName: string): Promise<'ok' | 'exists'> {
    try {
      await link(this.path(tmpName), this.path(finalName));
    } catch (err) {
      if (errno(err) === 'EEXIST') return 'exists';
      if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errno(err) ?? '')) throw err;
      try {
        await copyFile(this.path(tmpName), this.path(finalName), constants.COPYFILE_EXCL); // a share without hard links
      } catch (copyErr) {
        if (errno(copyErr) === 'EEXIST') return 'exists';
        throw copyErr;
      }
    }
    await unlink(this.path(tmpName));
    return 'ok';
  }

  async size(name: string): Promise<number | undefined> {
    try {
      const s = await stat(this.path(name));
      return s.isFile() ? s.size : -1;
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  read(name: string): Promise<Buffer> {
    return readFile(this.path(name));
  }

  async remove(name: string): Promise<void> {
    await unlink(this.path(name));
  }
}
