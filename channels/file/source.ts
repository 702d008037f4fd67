import { createHash } from 'node:crypto';
import { access, chmod, lstat, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { IngestResult, Source, SourceContext } from '../types.js';
import type { FileSourceConfig } from './config.js';
import { globMatcher } from './glob.js';
import { FileJournal, type JournalEntry } from './journal.js';
import { moveUnique, writeUnique } from './move.js';
import { splitInterchanges, x12Ids, x12LooksComplete, type FileUnit } from '../../parsers/x12/split.js';
import { ingestFlatFile, type FlatIngestOutcome, type FlatSplit } from './flat.js';
import {
  companionOf,
  currentSignature,
  entryKind,
  isInProgressName,
  QuietTracker,
  readRegularFile,
  refusalOf,
  sameSignature,
  signatureOf,
  type Signature,
} from './rules.js';
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
  private readonly quiet: QuietTracker;
  /** Files that changed after they were read: their next reading is stored under a new control id. */
  private readonly revised = new Set<string>();
  /** Files archived recently, watched for a writer that still appends to them. */
  private readonly watched = new Map<string, { name: string; sig: Signature; until: number; messageIds: string[] }>();

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
    this.quiet = new QuietTracker(config.readyWhen === 'quiet' ? config.minAge : 0);
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (this.config.createDirectory) await mkdir(this.config.directory, { recursive: true }).catch(() => undefined);
    const info = await stat(this.config.directory).catch((err: unknown) => {
      throw new ConfigError(
        'file-directory-unreadable',
        `directory ${this.config.directory}: ${code(err) ?? 'error'}; expected an existing directory`,
        { cause: err },
      );
    });
    if (!info.isDirectory()) {
      throw new ConfigError(
        'file-directory-unreadable',
        `directory ${this.config.directory} is not a directory; expected a directory to poll`,
      );
    }
    const dirs = [this.archiveDir, this.errorDir, ...(this.config.acknowledge ? [this.config.acknowledge.directory] : [])];
    for (const dir of dirs) {
      await mkdir(dir, { recursive: true }).catch((err: unknown) => {
        throw new ConfigError('file-directory-unwritable', `cannot create ${dir}: ${code(err) ?? 'error'}; expected a writable directory`, {
          cause: err,
        });
      });
    }
    const present = new Set(
      await readdir(this.config.directory).catch((err: unknown) => {
        throw new ConfigError(
          'file-directory-unreadable',
          `directory ${this.config.directory} cannot be listed: ${code(err) ?? 'error'}; expected a readable directory`,
          { cause: err },
        );
      }),
    );
    await this.journal.load((name) => present.has(name));
    if (this.config.acknowledge && !this.hooks.answer && !this.ctx.interchanges)
      this.log.warn('acknowledge.directory is set but the channel does not parse X12, so there is nothing to acknowledge');
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
      const all = await readdir(this.config.directory);
      this.quiet.retain(new Set(all));
      const companions =
        this.config.readyWhen === 'companion' ? new Set(all.filter((n) => n.endsWith(this.config.companionSuffix))) : undefined;
      names = all.filter((n) => !isInProgressName(n) && this.matches(n) && !companions?.has(n)).sort();
    } catch (err) {
      this.log.error({ code: code(err) }, 'file source cannot list its directory');
      return;
    }
    await this.recheckArchived();
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

  /** True when the rules say the file is complete; see channels/file/rules.ts. */
  private async ready(name: string, sig: Signature): Promise<boolean> {
    if (this.config.readyWhen === 'companion') {
      return access(join(this.config.directory, companionOf(name, this.config.companionSuffix))).then(
        () => true,
        () => false,
      );
    }
    return this.quiet.observe(name, sig);
  }

  private async take(name: string): Promise<Outcome> {
    const path = join(this.config.directory, name);
    const entry = await lstat(path).catch(() => undefined);
    if (!entry) return 'skipped';
    const refusal = refusalOf(name, entry);
    // A file with two names is ours when a crash came between the two steps of moving it to the archive.
    if (refusal && !(refusal.code === 'file-hard-link' && this.journal.openNames().includes(name))) {
      return this.refuse(name, refusal.code, refusal.message);
    }
    if (entryKind(entry) !== 'file' || !(await this.ready(name, signatureOf(entry)))) return 'skipped';
    const streamed = this.ctx.flat !== undefined && this.ctx.flat.layout.message !== 'file';
    if (entry.size > this.config.maxFileBytes && !streamed) {
      return this.refuse(
        name,
        'file-too-large',
        `${name} is ${entry.size} bytes; expected at most ${this.config.maxFileBytes} (maxFileBytes)`,
      );
    }
    if (entry.size === 0) return this.refuse(name, 'file-empty', `${name} is empty; expected at least one message`);
    if (this.ctx.flat) return this.takeFlat(name, path, entry.size, entry.mtimeMs, this.ctx.flat, signatureOf(entry));
    let read;
    try {
      read = await readRegularFile(path, name);
    } catch (err) {
      return this.refuse(name, 'file-unreadable', `${name} cannot be read (${code(err) ?? 'error'}); expected a readable file`);
    }
    if (read.kind === 'gone') return 'skipped';
    if (read.kind === 'refused') return this.refuse(name, read.refusal.code, read.refusal.message);
    if (read.kind === 'changed') {
      this.log.debug({ file: name }, 'file changed while read; taken on a later scan');
      this.quiet.forget(name);
      return 'skipped';
    }
    if (this.config.readyWhen === 'quiet' && !x12LooksComplete(read.raw) && this.quiet.quietFor(name) < this.config.incompleteTimeout) {
      this.log.debug({ file: name }, 'x12 file without its closing IEA; waiting for the rest');
      return 'skipped';
    }
    return this.ingestFile(name, path, read.raw, read.sig);
  }

  private async takeFlat(name: string, path: string, size: number, mtimeMs: number, split: FlatSplit, sig: Signature): Promise<Outcome> {
    let r: FlatIngestOutcome;
    try {
      r = await ingestFlatFile({ name, path, size, mtimeMs, split, ctx: this.ctx, journal: this.journal, log: this.log });
    } catch (err) {
      if (code(err) === 'ENOENT') return 'skipped';
      return this.refuse(name, 'file-unreadable', `${name} cannot be read (${code(err) ?? 'error'}); expected a readable file`);
    }
    if (r.outcome === 'store-failed') return 'store-failed';
    if (r.outcome === 'refused') {
      const first = r.summary.refused?.[0];
      return this.refuse(
        name,
        first?.code ?? 'flat-file-refused',
        r.summary.refused?.map((d) => d.message).join('\n') ?? `${name} cannot be read with the channel's layout`,
      );
    }
    return this.archive(name, path, [], sig);
  }

  private units(name: string, raw: Buffer): { units: FileUnit[]; controlId: (u: FileUnit, i: number) => string } {
    if (this.config.split === 'x12-interchange') {
      const units = this.ctx.interchanges?.split(raw) ?? splitInterchanges(raw);
      return { units, controlId: (u, i) => u.controlNumber ?? (units.length === 1 ? name : `${name}#${i + 1}`) };
    }
    return { units: [{ raw, senderId: x12Ids(raw).senderId }], controlId: () => name };
  }

  private async ingestFile(name: string, path: string, raw: Buffer, sig: Signature): Promise<Outcome> {
    const sha256 = createHash('sha256').update(raw).digest('hex');
    const { units, controlId: baseControlId } = this.units(name, raw);
    // A new reading of a file that changed after it was stored must not be taken for a duplicate.
    const controlId = this.revised.has(name) ? (u: FileUnit, i: number) => `${baseControlId(u, i)}@${sha256.slice(0, 12)}` : baseControlId;
    const entry: JournalEntry = this.journal.find(name, raw.length, sig.mtimeMs, sha256) ?? {
      name,
      size: raw.length,
      mtimeMs: sig.mtimeMs,
      sha256,
      stored: 0,
      total: units.length,
      messageIds: [],
    };
    if (entry.stored > 0)
      this.log.info({ file: name, stored: entry.stored, total: entry.total }, 'file source resumes a file stored before a restart');
    for (let i = entry.stored; i < units.length; i++) {
      const unit = units[i]!;
      let result: IngestResult;
      try {
        result = await this.ctx.ingest({ raw: unit.raw, controlId: controlId(unit, i), sender: unit.senderId, origin: path });
      } catch (err) {
        this.log.warn(
          { file: name, unit: i + 1, err: code(err) ?? (err as Error).name },
          'file source: store refused; file left for the next scan',
        );
        return 'store-failed';
      }
      this.log.debug({ file: name, unit: i + 1, messageId: result.messageId, duplicate: result.duplicate }, 'file unit stored');
      await this.acknowledge(name, i, units.length, unit.raw, result);
      entry.stored = i + 1;
      entry.messageIds.push(result.messageId);
      await this.journal
        .record(entry)
        .catch((err: unknown) => this.log.error({ file: name, code: code(err) }, 'file source cannot write its journal'));
    }
    const now = await currentSignature(path);
    if (!now || !sameSignature(now, sig)) return this.changedAfterRead(name, entry.messageIds, 'before it was archived');
    this.revised.delete(name);
    return this.archive(name, path, entry.messageIds, sig);
  }

  /**
   * The file changed after it was read: what was stored is marked superseded in the ledger (never
   * silently kept as the whole file) and the file is read again whole, under a new control id.
   */
  private async changedAfterRead(name: string, messageIds: string[], when: string): Promise<Outcome> {
    this.log.warn({ file: name, messageIds, when }, 'file changed after it was read; it will be read again whole');
    for (const id of messageIds) {
      this.ctx.recordAnswer(id, {
        kind: 'file-changed',
        code: 'superseded',
        detail: `the file changed after it was read and ${when}; it is stored again whole as a new message`,
      });
    }
    this.revised.add(name);
    this.quiet.forget(name);
    await this.journal
      .retire(name)
      .catch((err: unknown) => this.log.error({ file: name, code: code(err) }, 'file source cannot write its journal'));
    return 'skipped';
  }

  /**
   * A writer that kept the file open may append to it after it was archived. Files archived within
   * the last few quiet periods are looked at again; one that changed is stored again whole.
   */
  private async recheckArchived(): Promise<void> {
    const now = Date.now();
    for (const [path, w] of this.watched) {
      const sig = await currentSignature(path);
      if (!sig || sameSignature(sig, w.sig)) {
        if (!sig || now > w.until) this.watched.delete(path);
        continue;
      }
      this.watched.delete(path);
      const read = await readRegularFile(path, basename(path));
      if (read.kind !== 'ok') continue;
      this.log.error(
        { file: w.name, archived: basename(path) },
        'file grew after it was archived: the writer was still writing; stored again whole',
      );
      await this.changedAfterRead(w.name, w.messageIds, 'after it was archived');
      const sha256 = createHash('sha256').update(read.raw).digest('hex');
      const { units, controlId } = this.units(w.name, read.raw);
      const ids: string[] = [];
      for (const [i, unit] of units.entries()) {
        const result = await this.ctx.ingest({
          raw: unit.raw,
          controlId: `${controlId(unit, i)}@${sha256.slice(0, 12)}`,
          sender: unit.senderId,
          origin: path,
        });
        ids.push(result.messageId);
        this.ctx.recordAnswer(result.messageId, { kind: 'file-archived', code: 'ok', detail: basename(path) });
      }
      this.revised.delete(w.name);
      this.watched.set(path, { name: w.name, sig: read.sig, until: now + this.watchPeriod(), messageIds: ids });
    }
  }

  private watchPeriod(): number {
    return Math.max(60_000, this.config.minAge * 10);
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
        if (receipt)
          this.ctx.recordAnswer(result.messageId, {
            kind: 'file-ack',
            code: receipt.status,
            detail: receipt.name ?? ackName,
            raw: built!.body,
          });
      }
    } catch (err) {
      this.log.error(
        { file: name, messageId: result.messageId, err: code(err) ?? (err as Error).name },
        'file source could not write an acknowledgment',
      );
    }
  }

  private async archive(name: string, path: string, messageIds: string[], sig: Signature): Promise<Outcome> {
    let archived: string;
    try {
      await this.hooks.beforeArchive?.(path);
      archived = await moveUnique(path, this.archiveDir, name);
      await this.restrict(archived);
      if (this.config.readyWhen === 'companion') await this.archiveCompanion(name);
    } catch (err) {
      this.log.error(
        { file: name, err: code(err) ?? (err as Error).name },
        'file source could not archive a stored file; the journal keeps it from being stored twice',
      );
      return 'archive-failed';
    }
    await this.journal
      .retire(name)
      .catch((err: unknown) => this.log.error({ file: name, code: code(err) }, 'file source cannot write its journal'));
    for (const id of messageIds) this.ctx.recordAnswer(id, { kind: 'file-archived', code: 'ok', detail: basename(archived) });
    this.quiet.forget(name);
    if (this.config.readyWhen === 'quiet') this.watched.set(archived, { name, sig, until: Date.now() + this.watchPeriod(), messageIds });
    return 'archived';
  }

  /** Archived files hold PHI: readable by the engine's user only (best effort: a partner's file may not be ours to change). */
  private async restrict(path: string): Promise<void> {
    await chmod(path, 0o600).catch((err: unknown) =>
      this.log.warn({ file: basename(path), err: code(err) }, 'file source could not make an archived file private (mode 0600)'),
    );
  }

  private async archiveCompanion(name: string): Promise<void> {
    const companion = companionOf(name, this.config.companionSuffix);
    await moveUnique(join(this.config.directory, companion), this.archiveDir, companion).catch((err: unknown) => {
      if (code(err) !== 'ENOENT') this.log.warn({ file: companion, err: code(err) }, 'file source could not archive a companion file');
    });
  }

  private async refuse(name: string, reasonCode: ErrorCode, message: string): Promise<Outcome> {
    this.quiet.forget(name);
    try {
      const from = join(this.config.directory, name);
      let target = name;
      let note = '';
      try {
        const moved = await moveUnique(from, this.errorDir, name);
        target = basename(moved);
        // never for links and special files: chmod would change a file outside the folder
        if (['file-too-large', 'file-empty', 'file-unreadable'].includes(reasonCode)) await this.restrict(moved);
      } catch (err) {
        if (code(err) !== 'ENOTREGULAR') throw err;
        await unlink(from);
        note = 'removed: a special file cannot be moved to another file system\n';
      }
      const reason = `code: ${reasonCode}\nmessage: ${message}\nat: ${new Date().toISOString()}\n${note}`;
      await writeUnique(this.errorDir, `${target}.reason.txt`, reason);
      this.log.warn({ file: name, code: reasonCode }, 'file source moved a file to the error directory');
    } catch (err) {
      this.log.error({ file: name, code: reasonCode, err: code(err) ?? (err as Error).name }, 'file source could not move a refused file');
    }
    return 'refused';
  }
}
