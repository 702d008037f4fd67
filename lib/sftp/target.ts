import { posix } from 'node:path';
import type { FileTarget } from '../write-once.js';
import { isNoSuchFile, type SftpSession } from './session.js';

/**
 * A folder on an SFTP server as a FileTarget (lib/write-once.ts). Rename is the plain SFTP rename,
 * which OpenSSH's server performs as link-then-unlink and so refuses when the target exists: the
 * writer then tries the next numbered name. Never `posix-rename`, which would replace.
 */
export class SftpFolder implements FileTarget {
  readonly label: string;

  constructor(
    private readonly session: () => Promise<Pick<SftpSession, 'client'>>,
    private readonly directory: string,
    where: string,
  ) {
    this.label = `sftp://${where}${directory.startsWith('/') ? '' : '/'}${directory}`;
  }

  private path(name: string): string {
    return posix.join(this.directory, name);
  }

  async writeTemp(tmpName: string, body: Buffer): Promise<void> {
    await (await this.session()).client.put(body, this.path(tmpName));
  }

  async renameNoReplace(tmpName: string, finalName: string): Promise<'ok' | 'exists'> {
    const s = await this.session();
    try {
      await s.client.rename(this.path(tmpName), this.path(finalName));
      return 'ok';
    } catch (err) {
      if ((await this.size(finalName)) !== undefined) return 'exists';
      throw err;
    }
  }

  async size(name: string): Promise<number | undefined> {
    try {
      const st = await (await this.session()).client.stat(this.path(name));
      return st.isFile ? st.size : -1;
    } catch (err) {
      if (isNoSuchFile(err)) return undefined;
      throw err;
    }
  }

  async read(name: string): Promise<Buffer> {
    return (await (await this.session()).client.get(this.path(name))) as Buffer;
  }

  async remove(name: string): Promise<void> {
    await (await this.session()).client.delete(this.path(name), true);
  }
}
