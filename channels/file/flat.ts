import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from '../../lib/log.js';
import { flatUnits, type FlatSummary } from '../../parsers/flat/index.js';
import { newSummary, type FlatSplit } from '../../parsers/flat/stream.js';
import type { FileProgress, SourceContext } from '../types.js';
import type { FileJournal, JournalEntry } from './journal.js';

export type { FlatSplit };

/** Units stored at once before the journal records progress: one group commit, one journal line. */
const WINDOW = 256;
const PROGRESS_LOG_MS = 5_000;
const CHUNK = 256 * 1024;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type FlatIngestOutcome =
  { outcome: 'stored'; summary: FlatSummary } | { outcome: 'refused'; summary: FlatSummary } | { outcome: 'store-failed' };

/**
 * Stores a flat file as it streams: one message per row, group or file (the layout says), never the
 * whole file in memory unless the layout asks for one message per file. Bad rows are stored as
 * rejected messages naming file, line and column while good rows go on. Stores a window of units at
 * once (one group commit), then notes in the journal how many units are stored, so after a crash the
 * file resumes after them (a unit stored but not yet journaled comes back as a duplicate, detected
 * by its control id `<file>@<sha256 prefix>:<line>` and never processed twice).
 */
export async function ingestFlatFile(p: {
  name: string;
  path: string;
  mtimeMs: number;
  size: number;
  split: FlatSplit;
  ctx: SourceContext;
  journal: FileJournal;
  log: Logger;
}): Promise<FlatIngestOutcome> {
  const { name, path, ctx, log } = p;
  const sha256 = await sha256Of(path);
  const entry: JournalEntry = p.journal.find(name, p.size, p.mtimeMs, sha256) ?? {
    name,
    size: p.size,
    mtimeMs: p.mtimeMs,
    sha256,
    stored: 0,
    total: 0,
    messageIds: [],
  };
  const resumeAfter = entry.stored;
  if (resumeAfter > 0) log.info({ file: name, stored: resumeAfter }, 'file source resumes a flat file stored before a restart');
  const summary = newSummary(name, p.split.format);
  const startedAt = new Date().toISOString();
  const progress: FileProgress = { file: name, sha256, bytes: p.size, startedAt, done: false, summary };
  let lastLog = Date.now();
  let index = 0;
  let window: Array<Promise<unknown>> = [];
  const flush = async (): Promise<boolean> => {
    const results = await Promise.allSettled(window);
    window = [];
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      log.warn(
        { file: name, err: ((failed as PromiseRejectedResult).reason as Error)?.name },
        'file source: store refused; file left for the next scan',
      );
      return false;
    }
    entry.stored = index;
    await p.journal
      .record(entry)
      .catch((err: unknown) =>
        log.error({ file: name, code: (err as NodeJS.ErrnoException).code }, 'file source cannot write its journal'),
      );
    ctx.fileProgress?.(progress);
    if (Date.now() - lastLog >= PROGRESS_LOG_MS) {
      lastLog = Date.now();
      log.info(
        { file: name, bytesRead: summary.bytesRead, bytes: p.size, rows: summary.rowsRead, rejected: summary.rejected },
        'flat file progress',
      );
    }
    return true;
  };
  const input = createReadStream(path, { highWaterMark: CHUNK });
  try {
    for await (const unit of flatUnits(input, { ...p.split, file: name, summary })) {
      index++;
      if (index <= resumeAfter) continue;
      const controlId = `${name}@${sha256.slice(0, 12)}:${unit.firstLine}`;
      window.push(
        ctx.ingest({
          raw: unit.raw,
          controlId,
          origin: `${path}:${unit.firstLine}`,
          messageType: p.split.format,
          ...(unit.rejected ? { rejected: { diagnostics: unit.rejected } } : {}),
        }),
      );
      if (window.length >= WINDOW && !(await flush())) return { outcome: 'store-failed' };
    }
  } finally {
    input.destroy();
  }
  if (!(await flush())) return { outcome: 'store-failed' };
  const after = await stat(path).catch(() => undefined);
  if (after && (after.size !== p.size || after.mtimeMs !== p.mtimeMs))
    log.warn({ file: name }, 'flat file changed while it was read; what was read is stored');
  progress.done = true;
  progress.finishedAt = new Date().toISOString();
  ctx.fileProgress?.(progress);
  log.info(
    { file: name, rows: summary.rowsRead, accepted: summary.accepted, rejected: summary.rejected, messages: summary.messages },
    summary.refused ? 'flat file refused' : 'flat file stored',
  );
  return summary.refused ? { outcome: 'refused', summary } : { outcome: 'stored', summary };
}
