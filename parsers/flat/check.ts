import type { CanonicalDocument } from '../../model/index.js';
import type { RowReader, RowResult } from './reader.js';
import { splitRecords, type FlatRecord } from './records.js';
import { rowToDocument } from './targets.js';

/** One data row checked all the way: typed cells, then (with a target) its canonical document. */
export function checkRow(reader: RowReader, record: FlatRecord, label: string): RowResult & { document?: CanonicalDocument } {
  const r = reader.readRow(record);
  const target = reader.layout.target;
  if (r.kind !== 'row' || !target) return r;
  const mapped = rowToDocument(target, r.values, r.line, label, { format: reader.format });
  return mapped.doc
    ? { ...r, document: mapped.doc }
    : { kind: 'bad', line: r.line, problems: mapped.problems, ...(r.key !== undefined ? { key: r.key } : {}) };
}

/**
 * Checks a record, recovering from a quote left open: CSV lets a quoted field run over line breaks,
 * so an unclosed quote swallows the lines after it. When such a record does not parse, its first
 * line is the bad row and the lines after it are read again as records of their own.
 */
export function* checkRecords(
  reader: RowReader,
  record: FlatRecord,
  label: string,
): Generator<{ record: FlatRecord; result: RowResult & { document?: CanonicalDocument } }> {
  const pending: FlatRecord[] = [record];
  while (pending.length > 0) {
    const rec = pending.shift()!;
    const result = checkRow(reader, rec, label);
    const nl = rec.raw.indexOf(0x0a);
    if (result.kind === 'bad' && result.problems[0]?.code === 'flat-csv-syntax' && nl >= 0 && nl < rec.raw.length - 1) {
      const first = { raw: rec.raw.subarray(0, nl + 1), line: rec.line };
      yield { record: first, result: checkRow(reader, first, label) };
      const rest = splitRecords(
        rec.raw.subarray(nl + 1),
        reader.format === 'csv' ? reader.layout.quote.charCodeAt(0) : undefined,
        reader.layout.maxRecordBytes,
      );
      pending.unshift(...rest.map((r) => ({ ...r, line: r.line + rec.line })));
      continue;
    }
    yield { record: rec, result };
  }
}
