import type { Invoice, PoAck, PurchaseOrder, Receipt, ShipNotice } from '../../model/index.js';
import type { StoredBusinessDocument } from '../store/types.js';
import { dayOf, timeOf, type Findings, type ReconcileContext } from './context.js';
import { expectedLines, itemId, matchInvoice, receive, type PoMatch } from './three-way.js';

/** Documents of one purchase order, found by PO number. */
type Related = {
  acks: StoredBusinessDocument[];
  asns: StoredBusinessDocument[];
  receipts: StoredBusinessDocument[];
  invoices: StoredBusinessDocument[];
};

/** The documents that answer each PO number (855, 856, receipts, 810), in the order they were recorded. */
export function relatedByPo(docs: {
  acks: readonly StoredBusinessDocument[];
  asns: readonly StoredBusinessDocument[];
  receipts: readonly StoredBusinessDocument[];
  invoices: readonly StoredBusinessDocument[];
}): Map<string, Related> {
  const out = new Map<string, Related>();
  const of = (po: string) => {
    let r = out.get(po);
    if (!r) out.set(po, (r = { acks: [], asns: [], receipts: [], invoices: [] }));
    return r;
  };
  for (const a of docs.acks) of((a.data as PoAck).purchaseOrder.number).acks.push(a);
  const asnPos = new Map<string, string[]>();
  for (const s of docs.asns) {
    const pos = [...new Set((s.data as ShipNotice).orders.map((o) => o.purchaseOrder.number))];
    asnPos.set(s.key, pos);
    for (const po of pos) of(po).asns.push(s);
  }
  for (const r of docs.receipts) {
    const data = r.data as Receipt;
    const pos = data.purchaseOrder ? [data.purchaseOrder.number] : data.shipNotice ? (asnPos.get(data.shipNotice.number) ?? []) : [];
    for (const po of pos) of(po).receipts.push(r);
  }
  for (const i of docs.invoices) {
    const po = (i.data as Invoice).purchaseOrder?.number;
    if (po) of(po).invoices.push(i);
  }
  return out;
}

/**
 * Invoices that bill something twice: the same invoice number from the same partner in two messages,
 * or another number for the same order, amount and date. Returns the invoices to match (the first of
 * each) and reports the others.
 */
export function duplicateInvoices(
  invoices: readonly StoredBusinessDocument[],
  ctx: ReconcileContext,
  out: Findings,
): Set<StoredBusinessDocument> {
  const first = new Map<string, StoredBusinessDocument>();
  const keep = new Set<StoredBusinessDocument>();
  for (const inv of invoices) {
    const data = inv.data as Invoice;
    const partner = ctx.partnerOf(inv.partner ?? (data as { sender?: string }).sender);
    const byNumber = `n|${partner ?? ''}|${inv.key}`;
    const byContent = `c|${partner ?? ''}|${data.purchaseOrder?.number ?? ''}|${data.total.amount}|${data.invoiceDate.slice(0, 10)}`;
    const original = first.get(byNumber) ?? (data.purchaseOrder ? first.get(byContent) : undefined);
    if (original && original.messageId !== inv.messageId) {
      const sameNumber = original.key === inv.key;
      out.add({
        rule: 'duplicate-invoice',
        docKind: 'invoice',
        docKey: inv.key,
        ...(partner ? { partner } : {}),
        businessDate: dayOf(inv),
        field: sameNumber ? 'number' : 'total',
        expected: original.key,
        actual: inv.key,
        fingerprintExtra: inv.messageId,
        detail: sameNumber
          ? `invoice ${inv.key} was received again (message ${inv.messageId}); first in message ${original.messageId}`
          : `invoice ${inv.key} bills order ${data.purchaseOrder?.number ?? ''} for ${data.total.amount} on ${data.invoiceDate.slice(0, 10)}, as invoice ${original.key} did`,
      });
      continue;
    }
    if (original) continue; // the same document indexed twice (a reprocess): not a second bill
    first.set(byNumber, inv);
    if (data.purchaseOrder) first.set(byContent, inv);
    keep.add(inv);
  }
  return keep;
}

/**
 * Every purchase order: its lines after 855 changes, received against 856/receipts, matched with
 * its invoices; 855 and 856 past their deadline; substitutions the charge master cannot bill.
 */
export function reconcileOrders(
  pos: readonly StoredBusinessDocument[],
  related: Map<string, Related>,
  invoicesToMatch: Set<StoredBusinessDocument>,
  ctx: ReconcileContext,
  out: Findings,
): PoMatch[] {
  const matches: PoMatch[] = [];
  const seen = new Set<string>();
  for (const po of pos) {
    if (seen.has(po.key) || po.deliveryState === 'dead') continue;
    seen.add(po.key);
    matches.push(reconcileOrder(po, related.get(po.key) ?? { acks: [], asns: [], receipts: [], invoices: [] }, invoicesToMatch, ctx, out));
  }
  return matches;
}

function reconcileOrder(
  po: StoredBusinessDocument,
  rel: Related,
  invoicesToMatch: Set<StoredBusinessDocument>,
  ctx: ReconcileContext,
  out: Findings,
): PoMatch {
  const order = po.data as PurchaseOrder & { sender?: string };
  const partner = ctx.partnerOf(po.partner ?? order.sender);
  const p = partner ? { partner } : {};
  const lines = expectedLines(
    order,
    rel.acks.map((a) => a.data as PoAck),
  );
  for (const l of lines) {
    if (!l.substitute) continue;
    const id = itemId(l.substitute);
    if (id && ctx.items.chargeable(id)) continue;
    const ack = rel.acks[rel.acks.length - 1]!;
    out.add({
      ...p,
      rule: 'substitution-unmapped',
      docKind: 'po-ack',
      docKey: ack.key,
      businessDate: dayOf(ack),
      line: l.line,
      field: 'item',
      ...(itemId(l.item) ? { expected: itemId(l.item)! } : {}),
      ...(id ? { actual: id } : {}),
      detail: `855 ${ack.key} substitutes item ${id ?? '(none)'} for ${itemId(l.item) ?? '(none)'} on order ${po.key} line ${l.line}; the substitute has no charge master entry`,
    });
  }
  const date = dayOf(po);
  receive(po.key, lines, rel.asns, rel.receipts, ctx, out, { ...p, date });
  const ordered = timeOf(po);
  if (rel.acks.length === 0 && ctx.asOf > ordered + ctx.poAckDeadlineMs(partner))
    out.add({
      ...p,
      rule: 'po-ack-missing',
      docKind: 'purchase-order',
      docKey: po.key,
      businessDate: date,
      field: '855',
      detail: `order ${po.key} has no 855 past its deadline`,
    });
  const cancelled = lines.every((l) => l.quantity === 0);
  if (!cancelled && rel.asns.length === 0 && rel.receipts.length === 0 && ctx.asOf > ordered + ctx.asnDeadlineMs(partner))
    out.add({
      ...p,
      rule: 'asn-missing',
      docKind: 'purchase-order',
      docKey: po.key,
      businessDate: date,
      field: '856',
      detail: `order ${po.key} has no 856 or receipt past its deadline`,
    });
  const invoices = rel.invoices.filter((i) => invoicesToMatch.has(i)).map((i) => matchInvoice(i, lines, ctx, out, partner));
  return { po: po.key, ...p, lines, invoices };
}

/** Receipts and ship notices for no order we know, and invoices naming no order we know. */
export function orphans(
  knownPos: ReadonlySet<string>,
  docs: {
    asns: readonly StoredBusinessDocument[];
    receipts: readonly StoredBusinessDocument[];
    invoices: readonly StoredBusinessDocument[];
  },
  ctx: ReconcileContext,
  out: Findings,
): void {
  const asnKnown = new Set<string>();
  for (const s of docs.asns) {
    const pos = (s.data as ShipNotice).orders.map((o) => o.purchaseOrder.number);
    const unknown = pos.filter((po) => !knownPos.has(po));
    if (unknown.length < pos.length) asnKnown.add(s.key);
    for (const po of unknown) orphan(s, po, 'receipt-without-po', `ship notice ${s.key} is for order ${po}, which we never sent`, ctx, out);
  }
  for (const r of docs.receipts) {
    const data = r.data as Receipt;
    const po = data.purchaseOrder?.number;
    if (po && knownPos.has(po)) continue;
    if (!po && data.shipNotice && asnKnown.has(data.shipNotice.number)) continue;
    orphan(
      r,
      po,
      'receipt-without-po',
      po ? `receipt ${r.key} is for order ${po}, which we never sent` : `receipt ${r.key} names no purchase order`,
      ctx,
      out,
    );
  }
  for (const i of docs.invoices) {
    const po = (i.data as Invoice).purchaseOrder?.number;
    if (po && knownPos.has(po)) continue;
    orphan(
      i,
      po,
      'invoice-without-po',
      po ? `invoice ${i.key} bills order ${po}, which we never sent` : `invoice ${i.key} names no purchase order`,
      ctx,
      out,
    );
  }
}

function orphan(
  doc: StoredBusinessDocument,
  po: string | undefined,
  rule: string,
  detail: string,
  ctx: ReconcileContext,
  out: Findings,
): void {
  const partner = ctx.partnerOf(doc.partner ?? (doc.data as { sender?: string }).sender);
  out.add({
    rule,
    docKind: doc.kind,
    docKey: doc.key,
    ...(partner ? { partner } : {}),
    businessDate: dayOf(doc),
    field: 'purchaseOrder',
    ...(po ? { actual: po } : {}),
    fingerprintExtra: doc.messageId,
    detail,
  });
}
