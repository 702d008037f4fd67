import type { ShipNoticePack } from '../../../../model/index.js';
import type { X12Segment } from '../../types.js';
import type { SetReader } from '../common/reader.js';
import { seg } from '../common/writer.js';

/** `references` qualifier carrying BSN03/BSN04 (the notice's own date), which the model has no field for. */
export const DOCUMENT_DATE = 'BSN03';
/** REF qualifier read into `carrier.trackingNumber`. */
export const TRACKING = '2I';
export const SHIPPED = '011';
export const EXPECTED = '017';
export const EXPIRY = '036';
export const MANUFACTURED = '094';

/** Pack-level TD1 elements kept as marks (the model's pack has no packaging/weight fields). */
const TD1_MARKS = [
  [1, 'TD101'],
  [2, 'TD102'],
  [6, 'TD106'],
  [7, 'TD107'],
  [8, 'TD108'],
] as const;

export function readTd1Marks(r: SetReader, s: X12Segment): Array<{ qualifier: string; value: string }> {
  const out: Array<{ qualifier: string; value: string }> = [];
  for (const [n, qualifier] of TD1_MARKS) {
    const value = n === 2 || n === 7 ? r.decimal(s, n, n === 2 ? 'the lading quantity' : 'the weight') : r.opt(s, n);
    if (value !== undefined) out.push({ qualifier, value });
  }
  return out;
}

/** Pack marks back to MAN segments (GM first) and one TD1 for the TD1xx marks. */
export function writePackMarks(pack: ShipNoticePack): string[][] {
  const out: string[][] = [];
  const marks = pack.marks ?? [];
  const man = marks.filter((m) => !m.qualifier.startsWith('TD1'));
  const pairs: Array<[string, string]> = [
    ...(pack.sscc !== undefined ? [['GM', pack.sscc] as [string, string]] : []),
    ...man.map((m) => [m.qualifier, m.value] as [string, string]),
  ];
  for (let i = 0; i < pairs.length; i += 2) {
    const second = pairs[i + 1];
    out.push(seg('MAN', pairs[i]![0], pairs[i]![1], undefined, second?.[0], second?.[1]));
  }
  const td1 = new Map(marks.filter((m) => m.qualifier.startsWith('TD1')).map((m) => [m.qualifier, m.value]));
  if (td1.size) {
    out.push(
      seg('TD1', td1.get('TD101'), td1.get('TD102'), undefined, undefined, undefined, td1.get('TD106'), td1.get('TD107'), td1.get('TD108')),
    );
  }
  return out;
}
