import type { Party, PurchaseOrder, PurchaseOrderLine } from '../../../model/index.js';
import type { TransactionSetMapper, X12Segment } from '../types.js';
import { expectKind, finish } from './common/finish.js';
import {
  applyPid,
  applyToParty,
  readRef,
  readDtm,
  readN1,
  readPer,
  readProductIds,
  readSac,
  writeParty,
  writePer,
  writePid,
  writeProductIds,
  writeSac,
} from './common/loops.js';
import { SetReader } from './common/reader.js';
import { dtm, seg, x12Date } from './common/writer.js';

/** DTM qualifier of a line's requested delivery date. */
const DELIVERY_REQUESTED = '002';

/** 850 purchase order ↔ canonical `purchase-order`. Elements mapped are the same in 004010 and 005010. */
export const po850: TransactionSetMapper = {
  id: '850',
  functionalId: 'PO',
  kind: 'purchase-order',
  toCanonical(set) {
    const r = new SetReader(set);
    return finish(r, read850(r));
  },
  fromCanonical(doc) {
    return write850(expectKind(doc, 'purchase-order', '850'));
  },
};

function read850(r: SetReader): PurchaseOrder {
  const po: PurchaseOrder = { kind: 'purchase-order', number: '', orderDate: '', parties: [], lines: [] };
  let party: Party | undefined;
  let line: PurchaseOrderLine | undefined;
  let sawBeg = false;
  let ctt: X12Segment | undefined;
  for (const s of r.body) {
    if (s.id === 'BEG') {
      if (sawBeg) r.error('x12-segment-unexpected', `BEG at segment ${s.position} repeats; an 850 has one BEG`, s);
      else readBeg(r, s, po);
      sawBeg = true;
    } else if (s.id === 'N1') {
      party = readN1(r, s);
      if (line) r.notMapped(s, 'N1 loop inside a PO1 loop');
      else po.parties.push(party);
    } else if (s.id === 'PO1') {
      party = undefined;
      line = readPo1(r, s, po.lines.length + 1);
      po.lines.push(line);
    } else if (s.id === 'CTT') {
      ctt = s;
      line = undefined;
    } else if (party && applyToParty(r, party, s)) {
      continue;
    } else if (line) {
      readLineSegment(r, s, line);
    } else {
      readHeaderSegment(r, s, po);
    }
  }
  if (!sawBeg) r.missingSegment('BEG', 'the beginning segment with the purchase order number and date');
  if (po.lines.length === 0) r.missingSegment('PO1', 'at least one purchase order line');
  if (ctt) readCtt(r, ctt, po);
  return po;
}

function readBeg(r: SetReader, s: X12Segment, po: PurchaseOrder): void {
  const purpose = r.req(s, 1, 'a transaction set purpose code such as 00');
  if (purpose !== undefined) po.purpose = purpose;
  const type = r.req(s, 2, 'a purchase order type code such as SA');
  if (type !== undefined) po.orderType = type;
  po.number = r.req(s, 3, 'the purchase order number') ?? '';
  const release = r.opt(s, 4);
  if (release !== undefined) po.release = release;
  po.orderDate = r.date(s, 5, 'the purchase order date', true) ?? '';
}

function readHeaderSegment(r: SetReader, s: X12Segment, po: PurchaseOrder): void {
  switch (s.id) {
    case 'CUR': {
      const currency = r.req(s, 2, 'a currency code such as USD');
      if (currency !== undefined) po.currency = currency;
      return;
    }
    case 'REF': {
      const ref = readRef(r, s);
      if (ref) (po.references ??= []).push(ref);
      return;
    }
    case 'PER': {
      const { role, ...rest } = readPer(r, s);
      (po.contacts ??= []).push({ role, ...rest });
      return;
    }
    case 'DTM': {
      const d = readDtm(r, s);
      if (d) (po.dates ??= []).push(d);
      return;
    }
    case 'TD5': {
      const carrier: NonNullable<PurchaseOrder['carrier']> = {};
      const [code, method, routing] = [r.opt(s, 3), r.opt(s, 4), r.opt(s, 5)];
      if (code !== undefined) carrier.code = code;
      if (method !== undefined) carrier.method = method;
      if (routing !== undefined) carrier.routing = routing;
      po.carrier = carrier;
      return;
    }
    case 'SAC': {
      const ac = readSac(r, s);
      if (ac) (po.allowancesCharges ??= []).push(ac);
      return;
    }
    default:
      r.notMapped(s, 'purchase order header');
  }
}

function readPo1(r: SetReader, s: X12Segment, ordinal: number): PurchaseOrderLine {
  // PO101 is optional in the standard: a line without it is numbered by its position. PO102 is
  // mandatory by the 850's set note; PO103 is optional.
  const lineNo = r.opt(s, 1) ?? String(ordinal);
  const value = r.decimal(s, 2, 'the quantity ordered', true) ?? '';
  const unit = r.opt(s, 3);
  if (r.opt(s, 5) !== undefined && r.opt(s, 4) === undefined) r.conditional(s, 4, 'expected the unit price that PO105 qualifies (C0504)');
  const line: PurchaseOrderLine = {
    line: lineNo,
    item: readProductIds(r, s, 6, 25).item,
    quantity: { value, ...(unit !== undefined && { unit }) },
  };
  const price = r.decimal(s, 4, 'the unit price');
  if (price !== undefined) line.unitPrice = { amount: price };
  const basis = r.opt(s, 5);
  if (basis !== undefined) line.priceBasis = basis;
  return line;
}

function readLineSegment(r: SetReader, s: X12Segment, line: PurchaseOrderLine): void {
  switch (s.id) {
    case 'PID':
      applyPid(r, line.item, s);
      return;
    case 'PO4': {
      const pack: NonNullable<PurchaseOrderLine['pack']> = {};
      const inner = r.decimal(s, 1, 'the number of inner packs');
      const size = r.decimal(s, 2, 'the pack size');
      const unit = r.opt(s, 3);
      if (inner !== undefined) pack.inner = inner;
      if (size !== undefined) pack.size = size;
      if (unit !== undefined) pack.unit = unit;
      line.pack = pack;
      return;
    }
    case 'SAC': {
      const ac = readSac(r, s);
      if (ac) (line.allowancesCharges ??= []).push(ac);
      return;
    }
    case 'DTM': {
      const d = readDtm(r, s);
      if (d?.qualifier === DELIVERY_REQUESTED) line.requestedDeliveryDate = d.date;
      else if (d) r.notMapped(s, `line DTM qualifier '${d.qualifier}'`);
      return;
    }
    default:
      r.notMapped(s, 'PO1 loop');
  }
}

function readCtt(r: SetReader, s: X12Segment, po: PurchaseOrder): void {
  const count = r.integer(s, 1, 'the number of line items');
  const quantity = r.decimal(s, 2, 'the hash total of quantities');
  po.totals = { ...(count !== undefined && { lineCount: count }), ...(quantity !== undefined && { quantity }) };
  if (count !== undefined && count !== po.lines.length) {
    r.warn('x12-count-mismatch', `CTT01 is ${count} but the set has ${po.lines.length} PO1 lines`, s, 1);
  }
}

function write850(po: PurchaseOrder): string[][] {
  const out: string[][] = [seg('BEG', po.purpose ?? '00', po.orderType ?? 'SA', po.number, po.release, x12Date(po.orderDate))];
  if (po.currency) out.push(seg('CUR', 'BY', po.currency));
  for (const ref of po.references ?? []) out.push(seg('REF', ref.qualifier, ref.value, ref.description));
  for (const c of po.contacts ?? []) out.push(writePer(c));
  po.allowancesCharges?.forEach((ac, i) => out.push(writeSac(ac, `allowancesCharges[${i}]`)));
  for (const d of po.dates ?? []) out.push(dtm(d.qualifier, d.date));
  if (po.carrier) {
    const c = po.carrier;
    out.push(seg('TD5', undefined, c.code !== undefined ? '2' : undefined, c.code, c.method, c.routing));
  }
  for (const p of po.parties) out.push(...writeParty(p));
  po.lines.forEach((line, i) => out.push(...writeLine(line, i)));
  out.push(seg('CTT', String(po.totals?.lineCount ?? po.lines.length), po.totals?.quantity));
  return out;
}

function writeLine(line: PurchaseOrderLine, index: number): string[][] {
  const out = [
    seg('PO1', line.line, line.quantity.value, line.quantity.unit, line.unitPrice?.amount, line.priceBasis, ...writeProductIds(line.item)),
  ];
  out.push(...writePid(line.item));
  if (line.pack) out.push(seg('PO4', line.pack.inner, line.pack.size, line.pack.unit));
  line.allowancesCharges?.forEach((ac, i) => out.push(writeSac(ac, `lines[${index}].allowancesCharges[${i}]`)));
  if (line.requestedDeliveryDate) out.push(dtm(DELIVERY_REQUESTED, line.requestedDeliveryDate));
  return out;
}
