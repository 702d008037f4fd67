import type { Party, ShipNotice, ShipNoticeItem, ShipNoticeOrder, ShipNoticePack } from '../../../../model/index.js';
import type { X12Segment } from '../../types.js';
import { applyPid, applyToParty, readDtm, readN1, readProductIds } from '../common/loops.js';
import { hierarchyStructures } from '../common/qualifiers.js';
import type { SetReader } from '../common/reader.js';
import { addExact, compareExact, formatExact, toExact } from '../common/decimal.js';
import { buildHierarchy, type HlNode } from './hierarchy.js';
import { DOCUMENT_DATE, EXPIRY, MANUFACTURED, SHIPPED, EXPECTED, TRACKING, readTd1Marks } from './shared.js';

/** Maps an 856 body to a ship notice: shipment → orders → packs → items, in S/O/P/I or S/O/I/P. */
export function read856(r: SetReader): ShipNotice {
  const doc: ShipNotice = { kind: 'ship-notice', shipmentId: '', orders: [] };
  const bsnIndex = r.body.findIndex((s) => s.id === 'BSN');
  if (bsnIndex < 0) r.missingSegment('BSN', 'the beginning segment with the shipment id and date');
  else readBsn(r, r.body[bsnIndex]!, doc);
  const rest = r.body.filter((_, i) => i !== bsnIndex);
  const h = buildHierarchy(r, rest, doc.hierarchy);
  for (const s of h.header) readShipmentSegment(r, s, doc, undefined);
  const shipments = h.roots.filter((n) => n.level === 'S');
  // The HL loop is mandatory in the 856; which levels it holds is the hierarchy's (BSN05), not a syntax rule.
  if (h.nodes.length === 0) r.missingSegment('HL', 'at least one hierarchical level (the HL loop is mandatory in the 856)');
  else if (shipments.length === 0) r.neededSegment('HL', 'a shipment level (HL03 S)');
  if (shipments.length > 1)
    r.error(
      'x12-segment-unexpected',
      `HL at segment ${shipments[1]!.hl.position} starts a second shipment level; an 856 has one`,
      shipments[1]!.hl,
    );
  const shipment = shipments[0];
  if (shipment) readShipmentLevel(r, shipment, doc, h.structure === '0002');
  if (shipment && doc.orders.length === 0) r.neededSegment('HL', 'an order level (HL03 O) under the shipment');
  for (const s of h.trailer) {
    if (s.id === 'CTT') checkCtt(r, s, h.nodes);
    else r.notMapped(s, 'summary');
  }
  return doc;
}

function readBsn(r: SetReader, s: X12Segment, doc: ShipNotice): void {
  const purpose = r.req(s, 1, 'a transaction set purpose code such as 00');
  if (purpose !== undefined) doc.purpose = purpose;
  doc.shipmentId = r.req(s, 2, 'the shipment identification') ?? '';
  const date = r.date(s, 3, 'the date the notice was created', true, 4);
  if (date !== undefined) (doc.references ??= []).push({ qualifier: DOCUMENT_DATE, value: date });
  const structure = r.opt(s, 5);
  if (structure !== undefined) {
    doc.hierarchy = structure;
    if (!hierarchyStructures[structure]) {
      r.warn(
        'x12-element-invalid-code',
        `BSN05 is "${structure}"; expected 0001, 0002 or 0004 (the structure is inferred from the HL levels)`,
        s,
        5,
      );
    }
  }
}

function readShipmentLevel(r: SetReader, node: HlNode, doc: ShipNotice, itemsOverPacks: boolean): void {
  let party: Party | undefined;
  for (const s of node.segments) party = readShipmentSegment(r, s, doc, party);
  for (const child of node.children) {
    if (child.level !== 'O') {
      r.notMapped(child.hl, `HL level '${child.level}' directly under the shipment`);
      continue;
    }
    doc.orders.push(readOrder(r, child, itemsOverPacks));
  }
}

/** Shipment-level segments; returns the party an N1 loop is filling. */
function readShipmentSegment(r: SetReader, s: X12Segment, doc: ShipNotice, party: Party | undefined): Party | undefined {
  if (s.id === 'N1') {
    const p = readN1(r, s);
    (doc.parties ??= []).push(p);
    return p;
  }
  if (party && applyToParty(r, party, s)) return party;
  if (s.id === 'TD1') {
    const packaging: NonNullable<ShipNotice['packaging']> = {};
    const code = r.opt(s, 1);
    const count = r.decimal(s, 2, 'the lading quantity');
    const weight = r.decimal(s, 7, 'the weight');
    const unit = r.opt(s, 8);
    if (code !== undefined) packaging.code = code;
    if (count !== undefined) packaging.count = count;
    if (weight !== undefined) packaging.weight = { value: weight, ...(unit !== undefined && { unit }) };
    doc.packaging = packaging;
  } else if (s.id === 'TD5') {
    const [code, method, routing] = [r.opt(s, 3), r.opt(s, 4), r.opt(s, 5)];
    doc.carrier = {
      ...doc.carrier,
      ...(code !== undefined && { code }),
      ...(method !== undefined && { method }),
      ...(routing !== undefined && { routing }),
    };
  } else if (s.id === 'REF') {
    const qualifier = r.req(s, 1, 'a reference qualifier such as BM or CN');
    const value = r.req(s, 2, 'the reference value');
    if (qualifier === TRACKING && value !== undefined) doc.carrier = { ...doc.carrier, trackingNumber: value };
    else if (qualifier !== undefined && value !== undefined) (doc.references ??= []).push({ qualifier, value });
  } else if (s.id === 'DTM') {
    const d = readDtm(r, s);
    if (d?.qualifier === SHIPPED) doc.shippedAt = d.date;
    else if (d?.qualifier === EXPECTED) doc.expectedAt = d.date;
    else if (d) r.notMapped(s, `shipment DTM qualifier '${d.qualifier}'`);
  } else {
    r.notMapped(s, 'shipment level');
  }
  return party;
}

function readOrder(r: SetReader, node: HlNode, itemsOverPacks: boolean): ShipNoticeOrder {
  const order: ShipNoticeOrder = { purchaseOrder: { type: 'purchase-order', number: '' }, packs: [], items: [] };
  const prf = node.segments.find((s) => s.id === 'PRF');
  if (!prf) r.neededSegment('PRF', 'the purchase order this order level fills', node.hl, `HL ${node.id}`);
  for (const s of node.segments) {
    if (s !== prf) r.notMapped(s, 'order level');
  }
  if (prf) {
    order.purchaseOrder.number = r.req(prf, 1, 'the purchase order number') ?? '';
    const date = r.date(prf, 4, 'the purchase order date');
    if (date !== undefined) order.purchaseOrder.date = date;
  }
  for (const child of node.children) {
    if (child.level === 'P' && !itemsOverPacks) order.packs.push(readPack(r, child));
    else if (child.level === 'I' && itemsOverPacks) readItemOverPacks(r, child, order);
    else if (child.level === 'I') order.items.push(readItem(r, child));
    else r.notMapped(child.hl, `HL level '${child.level}' under an order`);
  }
  return order;
}

/** P level of S/O/P/I: MAN marks (GM → SSCC-18), TD1 as marks, and the items beneath. */
function readPack(r: SetReader, node: HlNode): ShipNoticePack {
  const pack = packOf(r, node);
  const sn1 = node.segments.find((s) => s.id === 'SN1');
  if (sn1) r.notMapped(sn1, 'pack level of S/O/P/I, where quantities belong to the items');
  for (const child of node.children) {
    if (child.level === 'I') pack.items.push(readItem(r, child));
    else r.notMapped(child.hl, `HL level '${child.level}' under a pack`);
  }
  return pack;
}

function packOf(r: SetReader, node: HlNode): ShipNoticePack {
  const pack: ShipNoticePack = { items: [] };
  const marks: NonNullable<ShipNoticePack['marks']> = [];
  for (const s of node.segments) {
    if (s.id === 'MAN') {
      for (const n of [1, 4]) {
        const qualifier = r.opt(s, n);
        const value = r.opt(s, n + 1);
        if (qualifier === undefined && value === undefined) continue;
        if (qualifier === undefined || value === undefined) {
          const missing = value === undefined ? n + 1 : n;
          if (n === 1) r.req(s, missing, 'a marks qualifier and number pair');
          else r.conditional(s, missing, 'expected a marks qualifier and number pair (P0405)');
        } else if (qualifier === 'GM' && pack.sscc === undefined) pack.sscc = value;
        else marks.push({ qualifier, value });
      }
    } else if (s.id === 'TD1') marks.push(...readTd1Marks(r, s));
    else if (s.id !== 'SN1') r.notMapped(s, 'pack level');
  }
  if (marks.length) pack.marks = marks;
  return pack;
}

/** I level: LIN ids (LT/SN there too), SN1 quantities, PID, REF LT/SN, DTM 036/094. */
function readItem(r: SetReader, node: HlNode): ShipNoticeItem {
  const lin = node.segments.find((s) => s.id === 'LIN');
  const sn1 = node.segments.find((s) => s.id === 'SN1');
  const ids = lin ? readProductIds(r, lin, 2, 31, true) : { item: {}, serials: [] as string[] };
  if (!lin) r.neededSegment('LIN', 'the item identification', node.hl, `HL ${node.id}`);
  if (!sn1) r.neededSegment('SN1', 'the quantity shipped', node.hl, `HL ${node.id}`);
  const item: ShipNoticeItem = { item: ids.item, quantityShipped: { value: '' } };
  const line = (lin && r.opt(lin, 1)) ?? (sn1 && r.opt(sn1, 1));
  if (line !== undefined) item.line = line;
  if (ids.lot !== undefined) item.lot = ids.lot;
  const serials = [...ids.serials];
  if (sn1) readSn1(r, sn1, item);
  for (const s of node.segments) {
    if (s === lin || s === sn1) continue;
    if (s.id === 'PID') applyPid(r, item.item, s);
    else if (s.id === 'REF' && r.el(s, 1) === 'LT') item.lot = r.req(s, 2, 'the lot number');
    else if (s.id === 'REF' && r.el(s, 1) === 'SN') {
      const serial = r.req(s, 2, 'the serial number');
      if (serial !== undefined) serials.push(serial);
    } else if (s.id === 'DTM' && (r.el(s, 1) === EXPIRY || r.el(s, 1) === MANUFACTURED)) {
      const d = readDtm(r, s);
      if (d?.qualifier === EXPIRY) item.expiresOn = d.date;
      if (d?.qualifier === MANUFACTURED) item.manufacturedOn = d.date;
    } else r.notMapped(s, 'item level');
  }
  if (item.lot === undefined) delete item.lot;
  if (serials.length) item.serials = serials;
  return item;
}

function readSn1(r: SetReader, s: X12Segment, item: ShipNoticeItem): void {
  const shipped = r.decimal(s, 2, 'the quantity shipped', true);
  const unit = r.req(s, 3, 'a unit of measure');
  item.quantityShipped = { value: shipped ?? '', ...(unit !== undefined && { unit }) };
  const ordered = r.decimal(s, 5, 'the quantity ordered');
  const orderedUnit = r.opt(s, 6);
  if (ordered !== undefined) item.quantityOrdered = { value: ordered, ...(orderedUnit !== undefined && { unit: orderedUnit }) };
}

/**
 * I level of S/O/I/P: the item goes into each P beneath it (packs with the same SSCC are merged),
 * with the P level's SN1 quantity, or the item's quantity when there is a single P.
 */
function readItemOverPacks(r: SetReader, node: HlNode, order: ShipNoticeOrder): void {
  const item = readItem(r, node);
  const packs = node.children.filter((c) => c.level === 'P');
  for (const c of node.children) if (c.level !== 'P') r.notMapped(c.hl, `HL level '${c.level}' under an item`);
  if (packs.length === 0) {
    order.items.push(item);
    return;
  }
  let total = toExact('0')!;
  for (const p of packs) {
    const sn1 = p.segments.find((s) => s.id === 'SN1');
    const copy: ShipNoticeItem = { ...item, quantityShipped: { ...item.quantityShipped } };
    if (sn1) {
      readSn1(r, sn1, copy);
      delete copy.quantityOrdered;
      if (item.quantityOrdered) copy.quantityOrdered = item.quantityOrdered;
    } else if (packs.length > 1) {
      r.neededSegment('SN1', `the quantity in this pack (the item is split across ${packs.length} packs)`, p.hl, `HL ${p.id}`);
    }
    total = addExact(total, toExact(copy.quantityShipped.value) ?? toExact('0')!);
    mergePack(order, packOf(r, p)).items.push(copy);
  }
  const stated = toExact(item.quantityShipped.value);
  if (stated && compareExact(stated, total) !== 0) {
    r.warn(
      'x12-count-mismatch',
      `SN102 under HL ${node.id} is ${item.quantityShipped.value} but its packs hold ${formatExact(total)}`,
      node.hl,
    );
  }
}

function mergePack(order: ShipNoticeOrder, pack: ShipNoticePack): ShipNoticePack {
  const key = (p: ShipNoticePack) => JSON.stringify([p.sscc, p.marks]);
  const found = pack.sscc !== undefined ? order.packs.find((p) => key(p) === key(pack)) : undefined;
  if (found) return found;
  order.packs.push(pack);
  return pack;
}

function checkCtt(r: SetReader, s: X12Segment, nodes: HlNode[]): void {
  const count = r.integer(s, 1, 'the number of HL segments');
  if (count === undefined) return;
  const items = nodes.filter((n) => n.level === 'I').length;
  if (count !== nodes.length && count !== items) {
    r.warn('x12-count-mismatch', `CTT01 is ${count} but the set has ${nodes.length} HL segments and ${items} item levels`, s, 1);
  }
}
