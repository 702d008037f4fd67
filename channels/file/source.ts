import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { IngestResult, Source, SourceContext } from '../types.js';
import type { FileSourceConfig } from './config.js';
import { globMatcher } from './glob.js';
import { FileJournal, type JournalEntry } from './journal.js';
import { moveUnique, writeUnique } from './move.js';
import { splitInterchanges, x12Ids, type FileUnit } from '../../parsers/x12/split.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** Options of the file source that do not come from YAML: given by the engine (and by tests). */
export type FileSourceHooks = {
  /**
   * Builds the acknowledgment of one stored unit (an X12 997/999 or TA1), or undefined for none.
   * What it returns is written to `acknowledge.directory` as `<file>.ack`. A failure is logged and
   * does not stop the file from being archived.
   */
  answer?: (raw: Buffer, result: IngestResult) => Promise<Buffer | undefined>;
  /**
   * Runs after every unit of a file is stored and before the file is archived. Tests throw here to
   * leave the file in place as a crash at that moment would.
   */
  beforeArchive?: (path: string) => Promise<void>;
};

/** What happened to one file in one scan. */
type Outcome = 'archived' | 'skipped' | 'refused' | 'store-failed' | 'archive-failed';

const code = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * The drop-directory poller. `start` checks the directory, creates the archive, error and
 * acknowledgment directories and scans at once, then every `pollInterval`. Files are taken in name
 * order; each is stored unit by unit and only then moved to the archive. `stop` finishes the file in
 * progress and resolves once no scan is running.
 */
export class FileSource implements Source {
  private readonly log: Logger;
  private readonly matches: (name: string) => boolean;
  private readonly archiveDir: string;
  private readonly errorDir: string;
  private readonly journal: FileJournal;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly config: FileSourceConfig,
    private readonly ctx: SourceContext,
    private readonly hooks: FileSourceHooks = {},
  ) {
    this.log = ctx.log; // the engine binds channel and source type (engine/runtime/intake.ts)
    this.matches = globMatcher(config.pattern);
    this.archiveDir = config.archive ?? join(config.directory, 'archive');
    this.errorDir = config.errorDirectory ?? join(config.directory, 'error');
    this.journal = new FileJournal(this.archiveDir);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const info = await stat(this.config.directory).catch((err: unknown) => {
      throw new ConfigError('file-directory-unreadable', `directory ${this.config.directory}: ${code(err) ?? 'error'}; expected an existing directory`, { cause: err });
    });
    if (!info.isDirectory()) {
      throw new ConfigError('file-directory-unreadable', `directory ${this.config.directory} is not a directory; expected a directory to poll`);
    }
    const dirs = [this.archiveDir, this.errorDir, ...(this.config.acknowledge ? [this.config.acknowledge.directory] : [])];
    for (const dir of dirs) {
      await mkdir(dir, { recursive: true }).catch((err: unknown) => {
        throw new ConfigError('file-directory-unwritable', `cannot create ${dir}: ${code(err) ?? 'error'}; expected a writable directory`, { cause: err });
      });
    }
    const present = new Set(
      await readdir(this.config.directory).catch((err: unknown) => {
        throw new ConfigError('file-directory-unreadable', `directory ${this.config.directory} cannot be listed: ${code(err) ?? 'error'}; expected a readable directory`, { cause: err });
      }),
    );
    await this.journal.load((name) => present.has(name));
    if (this.config.acknowledge && !this.hooks.answer && !this.ctx.interchanges) this.log.warn('acknowledge.directory is set but the channel does not parse X12, so there is nothing to acknowledge');
    this.running = true;
    this.schedule(0);
    this.log.info({ pollInterval: this.config.pollInterval, split: this.config.split }, 'file source started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
    this.log.info('file source stopped');
  }

  /** Runs one scan now (after the one in progress, if any) and resolves when it is over. */
  poll(): Promise<void> {
    this.chain = this.chain.then(() => this.scan());
    return this.chain;
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().then(() => {
        if (this.running && !this.timer) this.schedule(this.config.pollInterval);
      });
    }, delay);
  }

  private async scan(): Promise<void> {
    if (!this.running) return;
    let names: string[];
    try {
      names = (await readdir(this.config.directory)).filter((n) => !n.startsWith('.') && this.matches(n)).sort();
    } catch (err) {
      this.log.error({ code: code(err) }, 'file source cannot list its directory');
      return;
    }
    for (const name of names) {
      if (!this.running) return;
      let outcome: Outcome;
      try {
        outcome = await this.take(name);
      } catch (err) {
        this.log.error({ file: name, err: code(err) ?? (err as Error).name }, 'file source failed on a file');
        continue;
      }
      // The store refused: later files would be refused too, and taking them would break the order.
      if (outcome === 'store-failed') return;
    }
  }

  private async take(name: string): Promise<Outcome> {
    const path = join(this.config.directory, name);
    const before = await stat(path).catch(() => undefined);
    if (!before?.isFile()) return 'skipped';
    if (Date.now() - before.mtimeMs < this.config.minAge) return 'skipped';
    if (before.size > this.config.maxFileBytes) {
      return this.refuse(name, 'file-too-large', `${name} is ${before.size} bytes; expected at most ${this.config.maxFileBytes} (maxFileBytes)`);
    }
    if (before.size === 0) return this.refuse(name, 'file-empty', `${name} is empty; expected at least one message`);
    let raw: Buffer;
    try {
      raw = await readFile(path);
    } catch (err) {
      if (code(err) === 'ENOENT') return 'skipped';
      return this.refuse(name, 'file-unreadable', `${name} cannot be read (${code(err) ?? 'error'}); expected a readable file`);
    }
    const after = await stat(path).catch(() => undefined);
    if (!after || after.size !== before.size || after.mtimeMs !== before.mtimeMs || raw.length !== before.size) {
      this.log.debug({ file: name }, 'file changed while read; taken on a later scan');
      return 'skipped';
    }
    return this.ingestFile(name, path, raw, before.mtimeMs);
  }

  private units(name: string, raw: Buffer): { units: FileUnit[]; controlId: (u: FileUnit, i: number) => string } {
    if (this.config.split === 'x12-interchange') {
      const units = this.ctx.interchanges?.split(raw) ?? splitInterchanges(raw);
      return { units, controlId: (u, i) => u.controlNumber ?? (units.length === 1 ? name : `${name}#${i + 1}`) };
    }
    return { units: [{ raw, senderId: x12Ids(raw).senderId }], controlId: () => name };
  }

  private async ingestFile(name: string, path: string, raw: Buffer, mtimeMs: number): Promise<Outcome> {
    const sha256 = createHash('sha256').update(raw).digest('hex');
    const { units, controlId } = this.units(name, raw);
    const entry: JournalEntry = this.journal.find(name, raw.length, mtimeMs, sha256) ?? {
      name, size: raw.length, mtimeMs, sha256, stored: 0, total: units.length, messageIds: [],
    };
    if (entry.stored > 0) this.log.info({ file: name, stored: entry.stored, total: entry.total }, 'file source resumes a file stored before a restart');
    for (let i = entry.stored; i < units.length; i++) {
      const unit = units[i]!;
      let result: IngestResult;
      try {
        result = await this.ctx.ingest({ raw: unit.raw, controlId: controlId(unit, i), sender: unit.senderId, origin: path });
      } catch (err) {
        this.log.warn({ file: name, unit: i + 1, err: code(err) ?? (err as Error).name }, 'file source: store refused; file left for the next scan');
        return 'store-failed';
      }
      this.log.debug({ file: name, unit: i + 1, messageId: result.messageId, duplicate: result.duplicate }, 'file unit stored');
      await this.acknowledge(name, i, units.length, unit.raw, result);
      entry.stored = i + 1;
      entry.messageIds.push(result.messageId);
      await this.journal.record(entry).catch((err: unknown) => this.log.error({ file: name, code: code(err) }, 'file source cannot write its journal'));
    }
    return this.archive(name, path, entry.messageIds);
  }

  /**
   * Answers one stored unit when the channel parses X12 (the engine's `interchanges` service, or the
   * `answer` hook of tests): into `acknowledge.directory` when set, else through the partner's own
   * transport. A failure is logged and does not stop the file from being archived.
   */
  private async acknowledge(name: string, index: number, total: number, raw: Buffer, result: IngestResult): Promise<void> {
    const dir = this.config.acknowledge?.directory;
    const service = this.ctx.interchanges;
    const ackName = total > 1 ? `${name}.${index + 1}.ack` : `${name}.ack`;
    try {
      if (dir) {
        const ack = this.hooks.answer ? await this.hooks.answer(raw, result) : (await service?.answer(raw, result))?.body;
        if (!ack) return;
        const written = await writeUnique(dir, ackName, ack);
        this.ctx.recordAnswer(result.messageId, { kind: 'file-ack', code: 'written', detail: basename(written), raw: ack });
      } else if (service) {
        const built = await service.answer(raw, result);
        const receipt = built && (await service.deliver(built, ackName, result.messageId));
        if (receipt) this.ctx.recordAnswer(result.messageId, { kind: 'file-ack', code: receipt.status, detail: receipt.name ?? ackName, raw: built!.body });
      }
    } catch (err) {
      this.log.error({ file: name, messageId: result.messageId, err: code(err) ?? (err as Error).name }, 'file source could not write an acknowledgment');
    }
  }

  private async archive(name: string, path: string, messageIds: string[]): Promise<Outcome> {
    let archived: string;
    try {
      await this.hooks.beforeArchive?.(path);
      archived = await moveUnique(path, this.archiveDir, name);
    } catch (err) {
      this.log.error({ file: name, err: code(err) ?? (err as Error).name }, 'file source could not archive a stored file; the journal keeps it from being stored twice');
      return 'archive-failed';
    }
    await this.journal.retire(name).catch((err: unknown) => this.log.error({ file: name, code: code(err) }, 'file source cannot write its journal'));
    for (const id of messageIds) this.ctx.recordAnswer(id, { kind: 'file-archived', code: 'ok', detail: basename(archived) });
    return 'archived';
  }

  private async refuse(name: string, reasonCode: ErrorCode, message: string): Promise<Outcome> {
    try {
      const moved = await moveUnique(join(this.config.directory, name), this.errorDir, name);
      const reason = `code: ${reasonCode}\nmessage: ${message}\nat: ${new Date().toISOString()}\n`;
      await writeUnique(this.errorDir, `${basename(moved)}.reason.txt`, reason);
      this.log.warn({ file: name, code: reasonCode }, 'file source moved a file to the error directory');
    } catch (err) {
      this.log.error({ file: name, code: reasonCode, err: code(err) ?? (err as Error).name }, 'file source could not move a refused file');
    }
    return 'refused';
  }
}
