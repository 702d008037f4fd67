import type { CanonicalDocument, Charge, Encounter, Money, Source, SupplyUsage, UsageLine } from '../../model/index.js';
import type { DiagnosticSink } from './diagnostics.js';
import { SegmentReader, compact, encounterOf, readerFor, sourceOf } from './map-reader.js';
import type { Hl7Message } from './types.js';

/** The unit written when neither ZIM-6 nor FT1-43.2 gives one. */
export const DEFAULT_UNIT = 'EA';

/** One FT1 and the ZIM (Interlace implant detail) that follows it, if any. */
type Line = { ft1: SegmentReader; zim?: SegmentReader };

/**
 * DFT^P03 → one encounter, one supply-usage with a line per FT1, and one charge per FT1 (mapping
 * table in docs/hl7v2.md). Lines whose required content is missing are left out and reported.
 */
export function mapDft(message: Hl7Message, event: string, sink: DiagnosticSink): CanonicalDocument[] {
  const source = sourceOf(message);
  const encounter = encounterOf(message, event, sink, source);
  if (!readerFor(message, 'PID', sink)) {
    sink.error('missing-segment', 'the DFT has no PID segment; expected PID after EVN', { segment: 'PID' });
  }
  if (!encounter.accountNumber && !encounter.visitNumber) {
    sink.warn('required-field-missing', 'PID-18 and PV1-19 are empty; expected an account or visit number to post against', {
      segment: 'PID',
      field: 18,
    });
  }
  const lines = linesOf(message, sink);
  if (lines.length === 0) {
    sink.error('missing-segment', 'the DFT has no FT1 segment; expected at least one financial transaction', { segment: 'FT1' });
    return [encounter];
  }
  const usageLines: UsageLine[] = [];
  const charges: Charge[] = [];
  lines.forEach((line, i) => {
    const mapped = mapLine(line, i + 1, encounter, source);
    if (!mapped) return;
    usageLines.push(mapped.usage);
    charges.push(mapped.charge);
  });
  const docs: CanonicalDocument[] = [encounter];
  const usage = usageOf(message, encounter, lines, usageLines, sink, source);
  if (usage) docs.push(usage);
  docs.push(...charges);
  return docs;
}

function linesOf(message: Hl7Message, sink: DiagnosticSink): Line[] {
  const lines: Line[] = [];
  message.segments.forEach((segment, i) => {
    const reader = new SegmentReader(message, segment, i + 1, sink);
    if (segment.id === 'FT1') lines.push({ ft1: reader });
    if (segment.id !== 'ZIM') return;
    const owner = lines[lines.length - 1];
    if (!owner || owner.zim) {
      sink.warn('missing-segment', `ZIM (segment ${i + 1}) does not follow an FT1 of its own; ignored`, {
        segment: 'ZIM',
        segmentIndex: i + 1,
      });
      return;
    }
    const setId = reader.text(1);
    const ft1SetId = owner.ft1.text(1);
    if (setId !== undefined && ft1SetId !== undefined && setId !== ft1SetId) {
      reader.warn('required-field-missing', `ZIM-1 does not match FT1-1 of the FT1 before it (segment ${owner.ft1.index})`, 1);
    }
    owner.zim = reader;
  });
  return lines;
}

function usageOf(
  message: Hl7Message,
  encounter: Encounter,
  lines: Line[],
  usageLines: UsageLine[],
  sink: DiagnosticSink,
  source: Source,
): SupplyUsage | undefined {
  const eventId = readerFor(message, 'MSH', sink)?.text(10);
  if (usageLines.length === 0 || eventId === undefined) return undefined;
  const evn = readerFor(message, 'EVN', sink);
  const first = lines[0]!.ft1;
  return compact({
    kind: 'supply-usage',
    eventId,
    occurredAt: evn?.date(2) ?? readerFor(message, 'MSH', sink)?.date(7),
    accountNumber: encounter.accountNumber,
    visitNumber: encounter.visitNumber,
    patientId: encounter.patientId,
    location: first.location(16) ?? encounter.location,
    department: first.text(13, 1),
    lines: usageLines,
    source,
  } satisfies SupplyUsage);
}

function mapLine(line: Line, n: number, encounter: Encounter, source: Source): { usage: UsageLine; charge: Charge } | undefined {
  const { ft1, zim } = line;
  const itemNumber = ft1.required(7, 1, 'an item number');
  const quantity = { value: quantityOf(ft1), unit: zim?.text(6) ?? ft1.text(43, 2) ?? DEFAULT_UNIT };
  const setId = Number(ft1.text(1));
  const unitPrice = moneyOf(ft1, 12);
  const performedAt = ft1.date(4, 1);
  const transactionId = ft1.text(2);
  const expiresOn = zim?.date(4);
  if (itemNumber === undefined) return undefined;
  const usage: UsageLine = compact({
    line: Number.isInteger(setId) && setId > 0 ? setId : n,
    itemNumber,
    description: ft1.text(7, 2),
    quantity,
    chargeCode: ft1.text(25, 1),
    lot: zim?.text(2),
    serial: zim?.text(3),
    expiresOn,
    udi: zim?.text(5),
    unitPrice,
    transactionId,
    performedAt,
  });
  const charge: Charge = compact({
    kind: 'charge',
    transactionId,
    transactionType: ft1.text(6, 1),
    accountNumber: encounter.accountNumber,
    postedAt: ft1.date(5),
    serviceDate: performedAt,
    code: compact({ code: itemNumber, display: ft1.text(7, 2), system: ft1.text(7, 3) }),
    itemNumber,
    quantity,
    unitPrice,
    amount: moneyOf(ft1, 11),
    department: ft1.text(13, 1),
    performedBy: ft1.text(20, 1),
    orderedBy: ft1.text(21, 1),
    diagnosisCodes: nonEmpty(ft1.repetitions(19)),
    source,
  } satisfies Charge);
  return { usage, charge };
}

function quantityOf(ft1: SegmentReader): string {
  const value = ft1.decimal(10);
  if (value !== undefined) return value;
  if (ft1.text(10) === undefined) ft1.warn('required-field-missing', `${ft1.name(10)} is empty; quantity 1 assumed`, 10);
  return '1';
}

/** A CP field: price MO in component 1 (amount `.1.1`, currency `.1.2`). */
function moneyOf(ft1: SegmentReader, field: number): Money | undefined {
  const amount = ft1.decimal(field, 1, 1);
  if (amount === undefined) return undefined;
  const currency = ft1.text(field, 1, 2);
  return currency && /^[A-Z]{3}$/.test(currency) ? { amount, currency } : { amount };
}

function nonEmpty(values: string[]): string[] | undefined {
  return values.length === 0 ? undefined : values;
}
