import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type SftpClient from 'ssh2-sftp-client';
import { InterlaceError } from '../../lib/errors.js';
import type { Lease } from '../../lib/lease.js';
import type { Logger } from '../../lib/log.js';
import { endpoint } from '../../lib/sftp/config.js';
import { SftpConnector } from '../../lib/sftp/connector.js';
import { SftpFolder } from '../../lib/sftp/target.js';
import { FileWriter } from '../../lib/write-once.js';
import { splitInterchanges, x12Ids } from '../../parsers/x12/split.js';
import { backoffDelay } from '../../routes/retry.js';
import { globMatcher } from '../file/glob.js';
import { companionOf, isInProgressName, QuietTracker, refusalOf, type EntryStat } from '../file/rules.js';
import type { IngestInput, IngestResult, Source, SourceContext } from '../types.js';
import type { SftpSourceConfig } from './config.js';
import type { ErrorCode } from '../../lib/error-codes.js';

type Listed = { name: string; size: number; mtime: number };

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The SFTP poller. One cycle: hold the folder's lease (Redis; another engine process that holds it
 * polls instead), connect (pinned host key), list, take each complete file in name order: download,
 * check it is whole, store every unit durably, answer (X12), then move the remote file to `archive`
 * or delete it. A failed connection or listing waits with exponential backoff and jitter. `stop`
 * finishes the file in progress, releases the lease and closes the connection.
 */
export class SftpSource implements Source {
  private readonly log: Logger;
  private readonly matches: (name: string) => boolean;
  private readonly connector: SftpConnector;
  private readonly dir: string;
  private readonly where: string;
  private readonly quiet: QuietTracker;
  private readonly reported = new Set<string>();
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> = Promise.resolve();
  private running = false;
  private failures = 0;
  /** The last failure, for health and tests. */
  lastError: { code: string; message: string } | undefined;
  /** Completed cycles (tests wait on it). */
  cycles = 0;

  constructor(
    private readonly config: SftpSourceConfig,
    private readonly ctx: SourceContext,
  ) {
    const e = endpoint(config);
    this.dir = e.directory;
    this.where = `${e.user}@${e.host}:${e.port}`;
    this.log = ctx.log.child({ server: `${e.host}:${e.port}`, directory: e.directory });
    this.matches = globMatcher(config.pattern);
    this.connector = new SftpConnector(config, `interlace-${ctx.channel}`, this.log);
    this.quiet = new QuietTracker(config.complete.stableFor, { remote: true });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (!this.ctx.services) this.log.warn('no engine services: polling without the Redis lease (one process only)');
    this.schedule(0);
    this.log.info({ pollInterval: this.config.pollInterval }, 'sftp source started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    await this.cycle;
    await this.lease?.release();
    this.lease = undefined;
    await this.connector.close();
    this.log.info('sftp source stopped');
  }

  /** Runs one cycle now (after the one in progress) and resolves when it is over. */
  poll(): Promise<void> {
    this.cycle = this.cycle.then(() => this.runCycle());
    return this.cycle;
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.poll().then(() => {
        if (!this.running) return;
        const next = this.failures > 0 ? backoffDelay({ ...this.config.reconnect, factor: 2 }, this.failures) : this.config.pollInterval;
        this.schedule(next);
      });
    }, delay);
  }

  private async runCycle(): Promise<void> {
    if (!this.running) return;
    try {
      if (!(await this.holdLease())) return;
      const session = await this.connector.session();
      await this.scan(session.client);
      if (this.failures > 0) this.log.info({ after: this.failures }, 'sftp source recovered');
      this.failures = 0;
      this.lastError = undefined;
    } catch (err) {
      this.failures += 1;
      const code = err instanceof InterlaceError ? err.code : 'sftp-poll-failed';
      this.lastError = { code, message: errText(err) };
      this.log.error({ code, failures: this.failures, err: errText(err) }, 'sftp source cycle failed; retrying with backoff');
      await this.connector.reset();
    } finally {
      this.cycles += 1;
    }
  }

  /** True when this process may poll: it holds the lease (or runs without engine services). */
  private async holdLease(): Promise<boolean> {
    const leases = this.ctx.services?.leases;
    if (!leases) return true;
    if (this.lease?.held()) return true;
    const e = endpoint(this.config);
    const lease = await leases.tryAcquire(`sftp:${e.host}:${e.port}:${this.dir}`, {
      ttlMs: this.config.lease,
      onLost: (reason) => this.log.warn({ reason }, 'sftp source lost its lease; another engine process polls this folder now'),
    });
    // a lease this process holds is never dropped (it would go on renewing it, and nobody would poll)
    if (lease) this.lease = lease;
    else this.log.debug('sftp folder polled by another engine process; standing by');
    return lease !== undefined;
  }

  private async scan(client: SftpClient): Promise<void> {
    const entries = await client.list(this.dir);
    const names = new Set(entries.map((e) => e.name));
    const ready: Listed[] = [];
    const now = Date.now();
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (isInProgressName(e.name) || !this.matches(e.name) || this.isCompanion(e.name, names)) continue;
      const refusal = refusalOf(e.name, remoteStat(e));
      if (refusal) {
        // renamed on the server, never opened: a link moves as a link, a FIFO is never read
        await this.refuse(client, e.name, refusal.code, refusal.message);
        continue;
      }
      if (e.type !== '-') continue; // a directory
      const listed = { name: e.name, size: e.size, mtime: e.modifyTime };
      if (this.complete(listed, names, now)) ready.push(listed);
    }
    this.quiet.retain(names);
    for (let i = 0; i < ready.length && this.running; i += this.config.parallel) {
      if (this.ctx.services && !this.lease?.held()) return;
      const batch = ready.slice(i, i + this.config.parallel);
      const downloads = await Promise.all(batch.map((f) => this.download(client, f)));
      for (let j = 0; j < batch.length; j++) {
        const raw = downloads[j];
        if (raw) await this.take(client, batch[j]!, raw, names);
      }
    }
  }

  private isCompanion(name: string, names: Set<string>): boolean {
    const suffixes = this.config.complete.companion;
    return !!suffixes && suffixes.some((s) => name.endsWith(s) && names.has(name.slice(0, -s.length)));
  }

  private complete(f: Listed, names: Set<string>, now: number): boolean {
    const suffixes = this.config.complete.companion;
    if (suffixes) return suffixes.some((s) => names.has(companionOf(f.name, s)));
    return this.quiet.observe(f.name, { size: f.size, mtimeMs: f.mtime }, now);
  }

  /** The bytes of a file, or undefined when it cannot be taken now (refused, or changed while read). */
  private async download(client: SftpClient, f: Listed): Promise<Buffer | undefined> {
    const path = posix.join(this.dir, f.name);
    if (f.size > this.config.maxFileBytes) {
      await this.refuse(
        client,
        f.name,
        'sftp-file-too-large',
        `${f.name} is ${f.size} bytes; expected at most ${this.config.maxFileBytes} (maxFileBytes)`,
      );
      return undefined;
    }
    const raw = (await client.get(path)) as Buffer;
    if (raw.length !== f.size) {
      this.quiet.forget(f.name);
      this.log.warn({ file: f.name, listed: f.size, read: raw.length }, 'sftp file changed while read; taken on a later listing');
      return undefined;
    }
    return raw;
  }

  /** Stores every unit of a file, answers, then moves or deletes the remote file (and its companion). */
  private async take(client: SftpClient, f: Listed, raw: Buffer, names: Set<string>): Promise<void> {
    const units = this.units(f.name, raw);
    const ids: string[] = [];
    let rejected = false;
    for (let i = 0; i < units.length; i++) {
      const unit = units[i]!;
      rejected ||= unit.rejected !== undefined;
      const result = await this.ctx.ingest(unit); // throws on a store failure: the file stays for the next cycle
      ids.push(result.messageId);
      if (!unit.rejected) await this.answer(client, f.name, i, units.length, unit.raw, result);
    }
    this.quiet.forget(f.name);
    const path = posix.join(this.dir, f.name);
    if (rejected && this.config.errorDirectory) await this.moveAside(client, path, this.config.errorDirectory, f.name);
    else if (rejected) this.reportOnce(f.name, `${f.name} was stored as rejected; it stays in the folder (no errorDirectory)`);
    else if (this.config.archive) await this.moveAside(client, path, this.config.archive, f.name);
    else await client.delete(path);
    for (const s of this.config.complete.companion ?? [])
      if (names.has(companionOf(f.name, s))) await client.delete(posix.join(this.dir, companionOf(f.name, s)), true);
    for (const id of ids) this.ctx.recordAnswer(id, { kind: 'sftp-taken', code: rejected ? 'rejected' : 'ok', detail: f.name });
    this.log.debug({ file: f.name, units: units.length, rejected }, 'sftp file taken');
  }

  private units(name: string, raw: Buffer): IngestInput[] {
    const origin = `sftp://${this.where}${posix.join(this.dir, name)}`;
    const x12 = this.ctx.interchanges;
    if (this.config.split === 'x12-interchange' || x12) {
      const parts = this.config.split === 'x12-interchange' ? (x12?.split(raw) ?? splitInterchanges(raw)) : [{ ...x12Ids(raw), raw }];
      return parts.map((u, i) => {
        if (x12 && !u.controlNumber) {
          const message = `${name}${parts.length > 1 ? ` part ${i + 1}` : ''} does not start with a readable ISA segment; expected an X12 interchange`;
          return {
            raw: u.raw,
            controlId: this.hashId(name, u.raw),
            origin,
            rejected: { diagnostics: [{ severity: 'error' as const, code: 'x12-not-an-interchange' as const, message }] },
          };
        }
        return {
          raw: u.raw,
          controlId: u.controlNumber ?? this.hashId(name, u.raw),
          ...(u.senderId ? { sender: u.senderId } : {}),
          origin,
        };
      });
    }
    return [{ raw, controlId: this.hashId(name, raw), origin }];
  }

  /** A control id for a file without its own: its name and a digest of its bytes (a re-download after a crash is a duplicate). */
  private hashId(name: string, raw: Buffer): string {
    return `${name}#${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
  }

  private async answer(client: SftpClient, name: string, index: number, total: number, raw: Buffer, result: IngestResult): Promise<void> {
    const service = this.ctx.interchanges;
    if (!service) return;
    const ackName = total > 1 ? `${name}.${index + 1}.ack` : `${name}.ack`;
    try {
      const built = await service.answer(raw, result);
      if (!built) return;
      const dir = this.config.acknowledge?.directory;
      const receipt = dir
        ? await new FileWriter(new SftpFolder(async () => ({ client }), dir, this.where), 'uploaded').write(
            ackName,
            built.body,
            result.messageId,
          )
        : await service.deliver(built, ackName, result.messageId);
      if (receipt)
        this.ctx.recordAnswer(result.messageId, {
          kind: 'file-ack',
          code: receipt.status,
          detail: receipt.name ?? ackName,
          raw: built.body,
        });
    } catch (err) {
      this.log.error({ file: name, messageId: result.messageId, err: errText(err) }, 'sftp source could not send an acknowledgment');
    }
  }

  /** Renames `from` into `dir` under `name`, or the first free `name.N`; resolves the name used. */
  private async moveAside(client: SftpClient, from: string, dir: string, name: string): Promise<string> {
    for (let n = 0; n < 1000; n++) {
      const dot = name.lastIndexOf('.');
      const candidate = n === 0 ? name : dot > 0 ? `${name.slice(0, dot)}.${n}${name.slice(dot)}` : `${name}.${n}`;
      const to = posix.join(dir, candidate);
      if (await client.exists(to)) continue;
      await client.rename(from, to);
      return candidate;
    }
    throw new InterlaceError('sftp-move-failed', `no free name for ${name} in ${dir}`);
  }

  /**
   * A file that is not taken: moved to `errorDirectory` with `<name>.reason.txt` beside it (as the drop
   * folder does), or, without one, left in place and reported once.
   */
  private async refuse(client: SftpClient, name: string, code: ErrorCode, message: string): Promise<void> {
    const errorDir = this.config.errorDirectory;
    if (!errorDir) {
      this.reportOnce(name, `${message}; left in the folder (no errorDirectory)`);
      return;
    }
    try {
      const moved = await this.moveAside(client, posix.join(this.dir, name), errorDir, name);
      const reason = `code: ${code}\nmessage: ${message}\nat: ${new Date().toISOString()}\n`;
      await client.put(Buffer.from(reason), posix.join(errorDir, `${moved}.reason.txt`));
      this.log.warn({ file: name, code }, 'sftp source moved a file to the error directory');
    } catch (err) {
      this.log.error({ file: name, code, err: errText(err) }, 'sftp source could not move a refused file to the error directory');
      this.reportOnce(name, `${message}; left in the folder`);
    }
  }

  private reportOnce(name: string, message: string): void {
    if (this.reported.has(name)) return;
    this.reported.add(name);
    this.log.warn({ file: name }, message);
  }
}

/** A remote listing entry as the shared file rules see it (SFTP gives no link count or inode). */
function remoteStat(e: { type: string; size: number; modifyTime: number }): EntryStat {
  return {
    isFile: () => e.type === '-',
    isDirectory: () => e.type === 'd',
    isSymbolicLink: () => e.type === 'l',
    size: e.size,
    mtimeMs: e.modifyTime,
  };
}
