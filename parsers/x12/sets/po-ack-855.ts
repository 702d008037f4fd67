import { MappingError } from '../../../lib/errors.js';
import type { Party, PoAck, PoAckLine } from '../../../model/index.js';
import type { TransactionSetMapper, X12Segment } from '../types.js';
import { expectKind, finish } from './common/finish.js';
import { applyPid, applyToParty, readN1, readProductIds, writeParty, writePid, writeProductIds } from './common/loops.js';
import { SetReader } from './common/reader.js';
import { seg, x12Date } from './common/writer.js';

type AckStatus = PoAckLine['statuses'][number];

/** ACK01 line status codes the mapper accepts (element 668). */
export const lineStatusCodes: Readonly<Record<string, string>> = {
  IA: 'item accepted',
  IB: 'item backordered',
  IC: 'item accepted, changes made',
  ID: 'item deleted',
  IE: 'item accepted, price pending',
  IF: 'item on hold, incomplete description',
  IH: 'item on hold',
  IP: 'item accepted, price changed',
  IQ: 'item accepted, quantity changed',
  IR: 'item rejected',
  IS: 'item accepted, substitution made',
  IW: 'item on hold, waiver required',
  DR: 'item accepted, date rescheduled',
  AR: 'item accepted and released for shipment',
};

/**
 * 855 purchase order acknowledgment ↔ canonical `po-ack`. The elements mapped are the same in
 * 004010 and 005010. ACK07… product ids are the substitute's only for IS; otherwise they are ignored.
 */
export const poAck855: TransactionSetMapper = {
  id: '855',
  functionalId: 'PR',
  kind: 'po-ack',
  toCanonical(set) {
    const r = new SetReader(set);
    return finish(r, read855(r));
  },
  fromCanonical(doc) {
    return write855(expectKind(doc, 'po-ack', '855'));
  },
};

function read855(r: SetReader): PoAck {
  const ack: PoAck = { kind: 'po-ack', status: '', purchaseOrder: { type: 'purchase-order', number: '' }, parties: [], lines: [] };
  let party: Party | undefined;
  let line: PoAckLine | undefined;
  let sawBak = false;
  for (const s of r.body) {
    if (s.id === 'BAK') {
      if (sawBak) r.error('x12-segment-unexpected', `BAK at segment ${s.position} repeats; an 855 has one BAK`, s);
      else readBak(r, s, ack);
      sawBak = true;
    } else if (s.id === 'N1') {
      party = readN1(r, s);
      if (line) r.notMapped(s, 'N1 loop inside a PO1 loop');
      else ack.parties!.push(party);
    } else if (s.id === 'PO1') {
      party = undefined;
      line = readPo1(r, s, ack.lines.length + 1);
      ack.lines.push(line);
    } else if (s.id === 'CTT') {
      checkCtt(r, s, ack.lines.length);
      line = undefined;
    } else if (party && applyToParty(r, party, s)) {
      continue;
    } else if (line && s.id === 'PID') {
      applyPid(r, line.item, s);
    } else if (line && s.id === 'ACK') {
      const status = readAck(r, s);
      if (status) line.statuses.push(status);
    } else {
      r.notMapped(s, line ? 'PO1 loop' : 'acknowledgment header');
    }
  }
  if (!sawBak) r.missingSegment('BAK', 'the beginning segment with the acknowledgment type and purchase order number');
  if (ack.parties!.length === 0) delete ack.parties;
  return ack;
}

function readBak(r: SetReader, s: X12Segment, ack: PoAck): void {
  const purpose = r.req(s, 1, 'a transaction set purpose code such as 00');
  if (purpose !== undefined) ack.purpose = purpose;
  ack.status = r.req(s, 2, 'an acknowledgment type such as AC, AD or RJ') ?? '';
  ack.purchaseOrder.number = r.req(s, 3, 'the purchase order number') ?? '';
  const poDate = r.date(s, 4, 'the purchase order date', true);
  if (poDate !== undefined) ack.purchaseOrder.date = poDate;
  const number = r.opt(s, 8);
  if (number !== undefined) ack.number = number;
  const ackDate = r.date(s, 9, 'the acknowledgment date');
  if (ackDate !== undefined) ack.ackDate = ackDate;
}

function readPo1(r: SetReader, s: X12Segment, ordinal: number): PoAckLine {
  // PO101 is optional in the standard: a line without it is numbered by its position.
  const lineNo = r.opt(s, 1) ?? String(ordinal);
  const line: PoAckLine = { line: lineNo, item: readProductIds(r, s, 6, 25).item, statuses: [] };
  const quantity = r.decimal(s, 2, 'the quantity ordered');
  const unit = r.opt(s, 3);
  if (quantity !== undefined) line.quantityOrdered = { value: quantity, ...(unit !== undefined && { unit }) };
  const price = r.decimal(s, 4, 'the unit price');
  if (price !== undefined) line.unitPrice = { amount: price };
  return line;
}

function readAck(r: SetReader, s: X12Segment): AckStatus | undefined {
  const code = r.req(s, 1, 'a line item status code such as IA, IB, IR or IS');
  if (code === undefined) return undefined;
  if (lineStatusCodes[code] === undefined) {
    r.error('x12-element-invalid-code', `ACK01 is "${code}"; expected a line item status code such as IA, IB, IQ, IR or IS`, s, 1);
    return undefined;
  }
  const status: AckStatus = { code };
  const quantity = r.decimal(s, 2, 'the acknowledged quantity');
  const unit = r.opt(s, 3);
  if (quantity !== undefined) status.quantity = { value: quantity, ...(unit !== undefined && { unit }) };
  const qualifier = r.opt(s, 4);
  const date = r.date(s, 5, 'the scheduled date');
  if (qualifier !== undefined) status.dateQualifier = qualifier;
  if (date !== undefined) status.date = date;
  if (code === 'IS') {
    const substitute = readProductIds(r, s, 7, 28).item;
    if (Object.keys(substitute).length === 0) {
      r.error(
        'x12-element-needed',
        'ACK07 is empty; the standard allows that, but status IS (item substituted) needs the substitute product id',
        s,
        7,
      );
    } else {
      status.substitute = substitute;
    }
  }
  return status;
}

function checkCtt(r: SetReader, s: X12Segment, lines: number): void {
  const count = r.integer(s, 1, 'the number of line items');
  if (count !== undefined && count !== lines) r.warn('x12-count-mismatch', `CTT01 is ${count} but the set has ${lines} PO1 lines`, s, 1);
}

function write855(ack: PoAck): string[][] {
  const po = ack.purchaseOrder;
  if (po.date === undefined) {
    throw new MappingError(
      'x12-canonical-missing',
      `acknowledgment of purchase order ${po.number} has no purchaseOrder.date; expected it for BAK04`,
    );
  }
  const out: string[][] = [
    seg(
      'BAK',
      ack.purpose ?? '00',
      ack.status,
      po.number,
      x12Date(po.date),
      undefined,
      undefined,
      undefined,
      ack.number,
      x12Date(ack.ackDate),
    ),
  ];
  for (const p of ack.parties ?? []) out.push(...writeParty(p));
  for (const line of ack.lines) {
    const q = line.quantityOrdered;
    out.push(
      seg('PO1', line.line, q?.value, q?.unit, line.unitPrice?.amount, line.unitPrice ? 'PE' : undefined, ...writeProductIds(line.item)),
    );
    out.push(...writePid(line.item));
    for (const st of line.statuses) {
      const ids = st.substitute ? writeProductIds(st.substitute) : [];
      const dateQualifier = st.dateQualifier ?? (st.date !== undefined ? '068' : undefined);
      out.push(seg('ACK', st.code, st.quantity?.value, st.quantity?.unit, dateQualifier, x12Date(st.date), undefined, ...ids));
    }
  }
  out.push(seg('CTT', String(ack.lines.length)));
  return out;
}
