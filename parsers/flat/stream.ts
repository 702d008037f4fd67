import type { Diagnostic } from '../../lib/errors.js';
import { checkRecords } from './check.js';
import type { FlatLayout } from './layout.js';
import { RowReader, type FlatFormat, type RowResult } from './reader.js';
import { RecordScanner, type FlatRecord } from './records.js';

/**
 * One message cut from a flat file: the file's preamble (skipped lines and header row) followed by
 * the bytes of its rows, exactly as in the file, so the unit parses on its own with the same layout.
 * `rejected` is set when its rows cannot be read: it is stored as rejected with these findings.
 */
/** What cutting a flat file needs: its format, layout and character set (from the channel's parse step). */
export type FlatSplit = { format: FlatFormat; layout: FlatLayout; encoding: string };

export type FlatUnit = { raw: Buffer; firstLine: number; rows: number; rejected?: Diagnostic[] };

/** What reading a file gave: counts, the first problems, and why it was refused as a whole (a header without a required column). */
export type FlatSummary = {
  file: string;
  format: FlatFormat;
  bytesRead: number;
  rowsRead: number;
  accepted: number;
  rejected: number;
  messages: number;
  /** The first problems of bad rows (at most MAX_PROBLEMS); every bad row is also its own rejected message (or part of one). */
  problems: Diagnostic[];
  refused?: Diagnostic[];
};

export const MAX_PROBLEMS = 100;

type Group = { key: string | undefined; records: FlatRecord[]; rows: number; problems: Diagnostic[] };

/**
 * Cuts a flat file into units as its bytes stream in, in memory bounded by the longest record (or
 * group): one unit per row, per group of adjacent rows with the same `groupBy` value, or the whole
 * file, as the layout says. A bad row never stops the file: alone it is a rejected unit; in a group it
 * makes the group rejected (a purchase order missing a line must not go out); in `file` mode the
 * file goes on with its good rows and the problems are in the summary. `summary` is filled as it goes.
 */
export async function* flatUnits(
  input: AsyncIterable<Buffer>,
  o: { format: FlatFormat; layout: FlatLayout; encoding: string; file: string; summary: FlatSummary },
): AsyncGenerator<FlatUnit> {
  const { layout, summary } = o;
  const reader = new RowReader(o.format, layout, o.encoding, o.file);
  const scanner = new RecordScanner(o.format === 'csv' ? layout.quote.charCodeAt(0) : undefined, layout.maxRecordBytes);
  const mode = layout.message;
  const preamble: Buffer[] = [];
  let skip = layout.skipLines;
  let headerPending = layout.header;
  const whole: Buffer[] = [];
  let group: Group | undefined;
  let firstRowLine = 0;

  const note = (problems: Diagnostic[]) => {
    for (const p of problems) if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(p);
  };
  const unit = (records: FlatRecord[], rows: number, rejected?: Diagnostic[]): FlatUnit => {
    summary.messages++;
    const raw = Buffer.concat([...preamble, ...records.map((r) => r.raw)]);
    return { raw, firstLine: records[0]!.line, rows, ...(rejected ? { rejected } : {}) };
  };
  const flushGroup = (): FlatUnit | undefined => {
    const g = group;
    group = undefined;
    if (!g || g.records.length === 0) return undefined;
    if (g.problems.length > 0) {
      summary.rejected += g.rows;
      return unit(g.records, g.rows, g.problems.slice(0, MAX_PROBLEMS));
    }
    summary.accepted += g.rows;
    return unit(g.records, g.rows);
  };

  const row = function* (rec: FlatRecord, r: RowResult): Generator<FlatUnit> {
    if (r.kind === 'blank') return;
    summary.rowsRead++;
    if (r.kind === 'bad') note(r.problems);
    if (mode === 'row') {
      if (r.kind === 'row') summary.accepted++;
      else summary.rejected++;
      yield unit([rec], 1, r.kind === 'bad' ? r.problems : undefined);
    } else if (mode === 'file') {
      if (r.kind === 'row') summary.accepted++;
      else summary.rejected++;
      firstRowLine ||= r.line;
    } else {
      const key = r.key;
      if (r.kind === 'bad' && (key === undefined || key === '')) {
        const done = flushGroup();
        if (done) yield done;
        summary.rejected++;
        yield unit([rec], 1, r.problems);
        return;
      }
      if (!group || group.key !== key || group.rows >= layout.maxGroupRows) {
        const done = flushGroup();
        if (done) yield done;
        group = { key, records: [], rows: 0, problems: [] };
      }
      group.records.push(rec);
      group.rows++;
      if (r.kind === 'bad') group.problems.push(...r.problems);
    }
  };

  const take = function* (records: FlatRecord[]): Generator<FlatUnit> {
    for (const record of records) {
      if (skip > 0) {
        skip--;
        preamble.push(Buffer.from(record.raw));
        continue;
      }
      if (headerPending) {
        headerPending = false;
        preamble.push(Buffer.from(record.raw));
        const problems = reader.needsHeader ? reader.readHeader(record) : [];
        if (problems.length) {
          summary.refused = problems;
          return;
        }
        continue;
      }
      for (const { record: rec, result: r } of checkRecords(reader, record, o.file)) yield* row(rec, r);
    }
  };

  for await (const chunk of input) {
    summary.bytesRead += chunk.length;
    if (mode === 'file') whole.push(chunk);
    const records: FlatRecord[] = [];
    scanner.push(chunk, records);
    yield* take(records);
    if (summary.refused) return;
  }
  const last: FlatRecord[] = [];
  scanner.end(last);
  yield* take(last);
  if (summary.refused) return;
  if (mode === 'file') {
    if (summary.rowsRead === 0) return;
    summary.messages++;
    const raw = Buffer.concat(whole);
    yield {
      raw,
      firstLine: firstRowLine,
      rows: summary.accepted,
      ...(summary.accepted === 0 ? { rejected: summary.problems.slice() } : {}),
    };
    return;
  }
  const done = flushGroup();
  if (done) yield done;
}

/** An empty summary for a file. */
export function newSummary(file: string, format: FlatFormat): FlatSummary {
  return { file, format, bytesRead: 0, rowsRead: 0, accepted: 0, rejected: 0, messages: 0, problems: [] };
}
