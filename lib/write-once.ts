import { InterlaceError, PermanentDeliveryError, TransientDeliveryError } from './errors.js';
import type { PartnerReceipt } from './services.js';

/**
 * The one algorithm both file writers (local directory, SFTP folder) follow, over a small interface
 * each implements: write the bytes under a temporary name in the target directory, move it to its
 * final name without ever replacing a file there, then check the final name holds every byte before
 * the delivery counts as delivered.
 */
export interface FileTarget {
  /** A label for messages: the directory, `sftp://host/dir`. */
  readonly label: string;
  /** Writes (creates or truncates) a temporary file and makes it durable. */
  writeTemp(tmpName: string, body: Buffer): Promise<void>;
  /** Renames tmp → final, failing with `exists` when final is taken (never replacing it). */
  renameNoReplace(tmpName: string, finalName: string): Promise<'ok' | 'exists'>;
  /** Size of a file, or undefined when there is none. */
  size(name: string): Promise<number | undefined>;
  /** Reads a file (to tell a retry's own file from another one of the same name). */
  read(name: string): Promise<Buffer>;
  remove(name: string): Promise<void>;
}

export type WriteReceipt = { name: string; bytes: number; already: boolean };

/** `po.x12` → `po.1.x12`, `po.2.x12`…: the names tried when one is taken. */
export function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}.${n}${name.slice(dot)}` : `${name}.${n}`;
}

/**
 * Writes `body` as `name` (or `name.1`… when taken by another file). When the name already holds
 * exactly these bytes, it is the same delivery's file from an attempt whose success was never
 * recorded: nothing is written again. Throws TransientDeliveryError when the final name does not
 * hold every byte afterwards.
 */
export async function writeFileOnce(target: FileTarget, name: string, body: Buffer, tmpName: string): Promise<WriteReceipt> {
  let tmpWritten = false;
  try {
    for (let n = 0; n < 1000; n++) {
      const candidate = numbered(name, n);
      const existing = await target.size(candidate);
      if (existing !== undefined) {
        if (existing === body.length && (await target.read(candidate)).equals(body))
          return { name: candidate, bytes: existing, already: true };
        continue;
      }
      if (!tmpWritten) {
        await target.writeTemp(tmpName, body);
        tmpWritten = true;
      }
      if ((await target.renameNoReplace(tmpName, candidate)) === 'exists') continue;
      tmpWritten = false;
      const size = await target.size(candidate);
      if (size !== body.length) {
        throw new TransientDeliveryError(
          'file-write-unconfirmed',
          `${target.label}/${candidate} holds ${size ?? 'no'} bytes after writing ${body.length}; the write is not confirmed`,
        );
      }
      return { name: candidate, bytes: size, already: false };
    }
    throw new TransientDeliveryError('file-name-exhausted', `${target.label}: ${name} and 999 numbered variants are taken by other files`);
  } finally {
    if (tmpWritten) await target.remove(tmpName).catch(() => undefined);
  }
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code ?? (err as Error).name;

/**
 * Sends a delivery (and, as a partner link, any file) through a FileTarget with writeFileOnce:
 * TransientDeliveryError when the target fails (retried), the receipt (`written`, final name, bytes)
 * once the final name is confirmed.
 */
export class FileWriter {
  constructor(
    private readonly target: FileTarget,
    private readonly status = 'written',
  ) {}

  async write(name: string, body: Buffer, key: string): Promise<PartnerReceipt> {
    try {
      const r = await writeFileOnce(this.target, name, body, `.${name}.${key.replace(/[^A-Za-z0-9_-]/g, '_')}.tmp`);
      return {
        status: this.status,
        name: r.name,
        detail: `${r.name} ${r.bytes} bytes${r.already ? ' (already written by an earlier attempt)' : ''}`,
      };
    } catch (err) {
      if (err instanceof TransientDeliveryError || err instanceof PermanentDeliveryError) throw err;
      if (err instanceof InterlaceError) throw new TransientDeliveryError(err.code, err.message, { cause: err });
      throw new TransientDeliveryError(
        'file-write-failed',
        `cannot write ${name} into ${this.target.label} (${errno(err)}); expected an existing writable directory`,
        { cause: err },
      );
    }
  }
}
