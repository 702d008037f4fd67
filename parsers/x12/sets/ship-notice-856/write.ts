import { MappingError } from '../../../../lib/errors.js';
import type { ShipNotice, ShipNoticeItem, ShipNoticeOrder, ShipNoticePack } from '../../../../model/index.js';
import { addExact, formatExact, toExact, type Exact } from '../common/decimal.js';
import { writeParty, writePid, writeProductIds } from '../common/loops.js';
import { dtm, seg, x12Date, x12DateTime } from '../common/writer.js';
import { DOCUMENT_DATE, EXPECTED, EXPIRY, MANUFACTURED, SHIPPED, TRACKING, writePackMarks } from './shared.js';

/** Collects HL levels with their numbering; HL04 is filled in once children are known. */
class HlWriter {
  readonly out: string[][] = [];
  private count = 0;
  private readonly hls: Array<{ segment: string[]; id: string }> = [];

  open(parent: string | undefined, level: string): string {
    this.count += 1;
    const id = String(this.count);
    const segment = ['HL', id, parent ?? '', level, '0'];
    this.hls.push({ segment, id });
    if (parent !== undefined) this.hls.find((h) => h.id === parent)!.segment[4] = '1';
    this.out.push(segment);
    return id;
  }

  get hlCount(): number {
    return this.count;
  }
}

/**
 * Writes a ship notice as an 856 body. `hierarchy` 0002 writes S/O/I/P (one I level per distinct item
 * in first-appearance order, its packs beneath with per-pack SN1); 0004 without packs writes S/O/I;
 * anything else writes S/O/P/I (BSN05 0001) with loose items directly under the order.
 */
export function write856(doc: ShipNotice): string[][] {
  const itemsOverPacks = doc.hierarchy === '0002';
  const hasPacks = doc.orders.some((o) => o.packs.length > 0);
  const structure = itemsOverPacks ? '0002' : doc.hierarchy === '0004' && !hasPacks ? '0004' : '0001';
  const documentDate = doc.references?.find((r) => r.qualifier === DOCUMENT_DATE)?.value ?? doc.shippedAt ?? doc.expectedAt;
  if (documentDate === undefined) {
    throw new MappingError(
      'x12-canonical-missing',
      `ship notice ${doc.shipmentId} has no date for BSN03; expected a ${DOCUMENT_DATE} reference or shippedAt`,
    );
  }
  const { date, time } = x12DateTime(documentDate);
  const w = new HlWriter();
  w.out.push(seg('BSN', doc.purpose ?? '00', doc.shipmentId, date, time ?? '0000', structure));
  const shipment = w.open(undefined, 'S');
  w.out.push(...shipmentSegments(doc));
  for (const order of doc.orders) {
    const o = w.open(shipment, 'O');
    w.out.push(seg('PRF', order.purchaseOrder.number, undefined, undefined, x12Date(order.purchaseOrder.date)));
    if (itemsOverPacks) writeItemsOverPacks(w, o, order);
    else writePacksOverItems(w, o, order);
  }
  w.out.push(seg('CTT', String(w.hlCount)));
  return w.out;
}

function shipmentSegments(doc: ShipNotice): string[][] {
  const out: string[][] = [];
  const p = doc.packaging;
  if (p)
    out.push(seg('TD1', p.code, p.count, undefined, undefined, undefined, p.weight ? 'G' : undefined, p.weight?.value, p.weight?.unit));
  const c = doc.carrier;
  if (c && (c.code ?? c.method ?? c.routing) !== undefined)
    out.push(seg('TD5', undefined, c.code !== undefined ? '2' : undefined, c.code, c.method, c.routing));
  for (const ref of doc.references ?? []) if (ref.qualifier !== DOCUMENT_DATE) out.push(seg('REF', ref.qualifier, ref.value));
  if (c?.trackingNumber !== undefined) out.push(seg('REF', TRACKING, c.trackingNumber));
  if (doc.shippedAt) out.push(dtm(SHIPPED, doc.shippedAt));
  if (doc.expectedAt) out.push(dtm(EXPECTED, doc.expectedAt));
  for (const party of doc.parties ?? []) out.push(...writeParty(party));
  return out;
}

function writePacksOverItems(w: HlWriter, order: string, o: ShipNoticeOrder): void {
  for (const pack of o.packs) {
    const p = w.open(order, 'P');
    w.out.push(...writePackMarks(pack));
    for (const item of pack.items) {
      w.open(p, 'I');
      w.out.push(...itemSegments(item));
    }
  }
  for (const item of o.items) {
    w.open(order, 'I');
    w.out.push(...itemSegments(item));
  }
}

function writeItemsOverPacks(w: HlWriter, order: string, o: ShipNoticeOrder): void {
  const groups = new Map<string, { item: ShipNoticeItem; packs: Array<{ pack: ShipNoticePack; item: ShipNoticeItem }> }>();
  for (const pack of o.packs) {
    for (const item of pack.items) {
      const key = itemKey(item);
      const group = groups.get(key) ?? { item, packs: [] };
      group.packs.push({ pack, item });
      groups.set(key, group);
    }
  }
  for (const group of groups.values()) {
    const total = sumQuantities(group.packs.map((p) => p.item.quantityShipped.value));
    const i = w.open(order, 'I');
    w.out.push(...itemSegments({ ...group.item, quantityShipped: { ...group.item.quantityShipped, value: total } }));
    for (const { pack, item } of group.packs) {
      w.open(i, 'P');
      w.out.push(...writePackMarks(pack));
      if (group.packs.length > 1) w.out.push(seg('SN1', undefined, item.quantityShipped.value, item.quantityShipped.unit));
    }
  }
  for (const item of o.items) {
    w.open(order, 'I');
    w.out.push(...itemSegments(item));
  }
}

/** The same item in several packs: everything but the quantity shipped. */
function itemKey(item: ShipNoticeItem): string {
  const { quantityShipped, ...rest } = item;
  return JSON.stringify({ ...rest, unit: quantityShipped.unit });
}

function sumQuantities(values: string[]): string {
  const zero: Exact = { units: 0n, scale: 0 };
  return formatExact(values.reduce((sum, v) => addExact(sum, toExact(v) ?? zero), zero));
}

function itemSegments(item: ShipNoticeItem): string[][] {
  const out: string[][] = [seg('LIN', item.line, ...writeProductIds(item.item))];
  const ordered = item.quantityOrdered;
  out.push(seg('SN1', item.line, item.quantityShipped.value, item.quantityShipped.unit ?? 'EA', undefined, ordered?.value, ordered?.unit));
  out.push(...writePid(item.item));
  if (item.lot !== undefined) out.push(seg('REF', 'LT', item.lot));
  for (const serial of item.serials ?? []) out.push(seg('REF', 'SN', serial));
  if (item.expiresOn) out.push(dtm(EXPIRY, item.expiresOn));
  if (item.manufacturedOn) out.push(dtm(MANUFACTURED, item.manufacturedOn));
  return out;
}
