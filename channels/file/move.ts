import { constants } from 'node:fs';
import { copyFile, link, lstat, readlink, symlink, unlink, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

function candidate(directory: string, name: string, attempt: number): string {
  if (attempt === 0) return join(directory, name);
  const ext = extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  return join(directory, `${stem}.${attempt}${ext}`);
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/**
 * Moves `from` into `directory` under `name`, never replacing a file already there: a taken name
 * gets a counter before its extension (`po.x12` → `po.1.x12`, `po.2.x12`…). Uses a hard link (which
 * refuses an existing name atomically) and falls back to copy-then-remove where links are not
 * possible (another file system, a share without links). A symbolic link is moved as a link (never
 * copied through); a FIFO, socket or device that cannot be linked is not copied either: the error
 * `ENOTREGULAR` is thrown. Resolves with the path written.
 */
export async function moveUnique(from: string, directory: string, name: string): Promise<string> {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const to = candidate(directory, name, attempt);
    try {
      await link(from, to);
    } catch (err) {
      if (code(err) === 'EEXIST') continue;
      if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(code(err) ?? '')) throw err;
      try {
        await copyEntry(from, to);
      } catch (copyErr) {
        if (code(copyErr) === 'EEXIST') continue;
        throw copyErr;
      }
    }
    await unlink(from);
    return to;
  }
  throw new Error(`no free name for ${name} in the target directory after 10000 attempts`);
}

/** Writes `data` as a new file `name` in `directory` (unique name as in moveUnique), atomically: temp file, then link. */
export async function writeUnique(directory: string, name: string, data: Buffer | string): Promise<string> {
  const tmp = join(directory, `.${name}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(tmp, data, { flush: true });
  try {
    return await moveUnique(tmp, directory, name);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Copies a regular file or re-creates a symbolic link at `to` (never replacing); refuses anything else. */
async function copyEntry(from: string, to: string): Promise<void> {
  const s = await lstat(from);
  if (s.isSymbolicLink()) return symlink(await readlink(from), to);
  if (!s.isFile()) throw Object.assign(new Error('not a regular file; it cannot be copied'), { code: 'ENOTREGULAR' });
  return copyFile(from, to, constants.COPYFILE_EXCL);
}
