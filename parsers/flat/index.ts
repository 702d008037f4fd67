import type { Diagnostic } from '../../lib/errors.js';
import type { CanonicalDocument } from '../../model/index.js';
import type { MessageHeader, ParseOptions, ParserDefinition } from '../types.js';
import type { FlatLayout } from './layout.js';
import { RowReader, type FlatFormat } from './reader.js';
import { splitRecords } from './records.js';
import { checkRecords } from './check.js';
import type { Value } from './values.js';

export { flatLayoutSchema, fixedLayoutProblems, encodingProblem, type FlatLayout, type FlatColumn } from './layout.js';
export { RecordScanner, splitRecords, type FlatRecord } from './records.js';
export { RowReader, type FlatFormat, type RowResult } from './reader.js';
export { flatUnits, type FlatUnit, type FlatSummary, type FlatSplit } from './stream.js';
export { writeFlat } from './write.js';
export { checkRow, checkRecords } from './check.js';

/** A parsed flat message: its good rows (with their canonical documents when the layout has a target) and its bad ones. */
export type FlatMessage = {
  format: FlatFormat;
  rows: Array<{ line: number; values: Record<string, Value>; document?: CanonicalDocument }>;
  rejected: Array<{ line: number; problems: Diagnostic[] }>;
  summary: { rowsRead: number; accepted: number; rejected: number };
};

/** Reads a whole flat unit (a stored message: header and rows, or a file). Lenient: bad rows are findings. */
export function parseFlat(
  format: FlatFormat,
  raw: Buffer,
  layout: FlatLayout,
  options: ParseOptions & { label?: string } = {},
): { message?: FlatMessage; diagnostics: Diagnostic[] } {
  const label = options.label ?? 'message';
  const reader = new RowReader(format, layout, options.fallbackEncoding ?? 'utf-8', label);
  const records = splitRecords(raw, format === 'csv' ? layout.quote.charCodeAt(0) : undefined, layout.maxRecordBytes);
  const message: FlatMessage = { format, rows: [], rejected: [], summary: { rowsRead: 0, accepted: 0, rejected: 0 } };
  const diagnostics: Diagnostic[] = [];
  let skip = layout.skipLines;
  let headerPending = layout.header;
  for (const record of records) {
    if (skip > 0) {
      skip--;
      continue;
    }
    if (headerPending) {
      headerPending = false;
      const problems = reader.needsHeader ? reader.readHeader(record) : [];
      if (problems.length) return { diagnostics: problems };
      continue;
    }
    for (const { result: r } of checkRecords(reader, record, label)) {
      if (r.kind === 'blank') continue;
      message.summary.rowsRead++;
      if (r.kind === 'row') {
        message.rows.push({ line: r.line, values: r.values, ...(r.document ? { document: r.document } : {}) });
        message.summary.accepted++;
      } else {
        message.rejected.push({ line: r.line, problems: r.problems });
        message.summary.rejected++;
        diagnostics.push(...r.problems);
      }
    }
  }
  const fatal = options.strict || message.rows.length === 0;
  if (message.summary.rowsRead === 0) diagnostics.push({ severity: 'error', code: 'flat-no-rows', message: `${label} has no data rows` });
  return { message, diagnostics: diagnostics.map((d) => ({ ...d, severity: fatal ? 'error' : 'warning' })) };
}

function definition(format: FlatFormat): ParserDefinition<FlatMessage> {
  return {
    format,
    // Flat files are never recognised by their bytes: a channel says it reads CSV or fixed-width.
    detect: () => false,
    parse(raw, options) {
      const layout = options?.layout;
      if (!layout)
        return {
          diagnostics: [
            { severity: 'error', code: 'flat-layout-missing', message: `format ${format} needs parse.layout (the columns of the file)` },
          ],
        };
      return parseFlat(format, raw, layout, options);
    },
    toCanonical(message) {
      return { documents: message.rows.flatMap((r) => (r.document ? [r.document] : [])), diagnostics: [] };
    },
    toTree(message) {
      return {
        format: message.format,
        rows: message.rows.map((r) => r.values),
        lines: message.rows.map((r) => r.line),
        rejected: message.rejected,
        summary: message.summary,
      };
    },
    header(message): MessageHeader {
      return { messageType: message.rows[0]?.document?.kind ?? format };
    },
  };
}

/** CSV, read with fast-csv's parser against the channel's layout. */
export const csv = definition('csv');
/** Fixed-width records, cut at the layout's positions. */
export const fixed = definition('fixed');
