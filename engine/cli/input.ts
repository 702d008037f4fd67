import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { InterlaceError } from '../../lib/errors.js';

/**
 * Reads an input file a person named on the command line. A missing path, a directory or an
 * unreadable file is one sentence naming it (an InterlaceError `read-failed`), never a stack trace.
 */
export function readInputFile(file: string): Buffer {
  checkInputFile(file);
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InterlaceError('read-failed', `${file} cannot be read (${code}); expected a readable file`, { cause: err });
  }
}

/** Checks that `file` names a file (not a directory) and returns its size, without reading it. */
export function checkInputFile(file: string): number {
  let stat;
  try {
    stat = statSync(file);
  } catch (err) {
    throw new InterlaceError('read-failed', `${file} does not exist; expected a file`, { cause: err });
  }
  if (stat.isDirectory()) throw new InterlaceError('read-failed', `${file} is a directory; expected a file`);
  return stat.size;
}

/** The first `length` bytes of an input file (format detection of a file too large to read whole). */
export function readInputHead(file: string, length = 4096): Buffer {
  checkInputFile(file);
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(length);
    return head.subarray(0, readSync(fd, head, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}
