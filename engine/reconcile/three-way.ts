import type { Invoice, ItemRef, PoAck, PurchaseOrder, Receipt, ShipNotice } from '../../model/index.js';
import { computedInvoiceTotal } from '../../parsers/x12/sets/index.js';
import { formatExact } from '../../parsers/x12/sets/common/decimal.js';
import type { StoredBusinessDocument } from '../store/types.js';
import { dayOf, show, type Findings, type MatchResult, type ReconcileContext } from './context.js';

/** One PO line as it stands after the supplier's 855 changes, and what was received against it. */
export type ExpectedLine = {
  line: string;
  item: ItemRef;
  /** The item the supplier substituted (855 IS), if any. */
  substitute?: ItemRef;
  quantity: number;
  unit?: string;
  price?: number;
  received?: number;
};

/** The three-way match of one PO, line by line and field by field: what `GET /api/reconciliation/match/:po` shows. */
export type PoMatch = {
  po: string;
  partner?: string;
  lines: ExpectedLine[];
  invoices: Array<{
    number: string;
    lines: Array<{ line: string; field: string; expected?: string; actual?: string; result: MatchResult }>;
  }>;
};

export const itemId = (i: ItemRef | undefined) => i?.buyerItem ?? i?.vendorItem;
export const sameItem = (a: ItemRef | undefined, b: ItemRef | undefined) =>
  Boolean(a && b && ((a.buyerItem && a.buyerItem === b.buyerItem) || (a.vendorItem && a.vendorItem === b.vendorItem)));

/** The PO's lines with the 855 changes applied (quantity IQ/IR, price IP, substitution IS), in the order acks were recorded. */
export function expectedLines(po: PurchaseOrder, acks: readonly PoAck[]): ExpectedLine[] {
  const lines: ExpectedLine[] = po.lines.map((l) => ({
    line: l.line,
    item: l.item,
    quantity: Number(l.quantity.value),
    ...(l.quantity.unit ? { unit: l.quantity.unit } : {}),
    ...(l.unitPrice ? { price: Number(l.unitPrice.amount) } : {}),
  }));
  for (const ack of acks) {
    if (ack.status === 'RJ') for (const l of lines) l.quantity = 0;
    for (const al of ack.lines) {
      const l = lines.find((x) => x.line === al.line) ?? lines.find((x) => sameItem(x.item, al.item));
      if (!l) continue;
      for (const s of al.statuses) {
        if (s.code === 'IR' || s.code === 'R2') l.quantity = 0;
        else if (s.quantity && ['IQ', 'IB', 'IC', 'IA', 'IS', 'IP'].includes(s.code)) l.quantity = Number(s.quantity.value);
        if ((s.code === 'IP' || s.code === 'IC') && al.unitPrice) l.price = Number(al.unitPrice.amount);
        if (s.code === 'IS' && s.substitute) l.substitute = s.substitute;
      }
    }
  }
  return lines;
}

/**
 * Received quantity per PO line, in the PO's unit: from the ERP's receipts when there are any, else
 * from the ship notices. A shipped item that is neither the ordered item nor its agreed substitute is
 * a substitution, reported when the charge master does not know it.
 */
export function receive(
  poNumber: string,
  lines: ExpectedLine[],
  asns: readonly StoredBusinessDocument[],
  receipts: readonly StoredBusinessDocument[],
  ctx: ReconcileContext,
  out: Findings,
  meta: { partner?: string; date: string },
): void {
  const take = (doc: StoredBusinessDocument, line: string | undefined, item: ItemRef, qty: number, unit: string | undefined) => {
    const l = (line ? lines.find((x) => x.line === line) : undefined) ?? lines.find((x) => sameItem(x.item, item));
    if (!l) return;
    if (!sameItem(l.item, item) && !sameItem(l.substitute, item)) substitution(doc, l, item, ctx, out, meta);
    const q = ctx.items.convert(itemId(l.item), qty, unit, l.unit);
    if (q === undefined) return unitProblem(doc, l, unit, out, meta);
    l.received = (l.received ?? 0) + q;
  };
  if (receipts.length > 0) {
    for (const r of receipts)
      for (const rl of (r.data as Receipt).lines) take(r, rl.line, rl.item, Number(rl.quantity.value), rl.quantity.unit);
    return;
  }
  for (const a of asns) {
    for (const order of (a.data as ShipNotice).orders) {
      if (order.purchaseOrder.number !== poNumber) continue;
      for (const it of [...order.items, ...order.packs.flatMap((p) => p.items)])
        take(a, it.line, it.item, Number(it.quantityShipped.value), it.quantityShipped.unit);
    }
  }
}

function substitution(
  doc: StoredBusinessDocument,
  l: ExpectedLine,
  item: ItemRef,
  ctx: ReconcileContext,
  out: Findings,
  meta: { partner?: string; date: string },
): void {
  const id = itemId(item);
  if (id && ctx.items.chargeable(id)) return;
  out.add({
    rule: 'substitution-unmapped',
    docKind: doc.kind,
    docKey: doc.key,
    ...(meta.partner ? { partner: meta.partner } : {}),
    businessDate: dayOf(doc),
    line: l.line,
    field: 'item',
    ...(itemId(l.item) ? { expected: itemId(l.item)! } : {}),
    ...(id ? { actual: id } : {}),
    detail: `${doc.kind} ${doc.key} line ${l.line} ships item ${id ?? '(none)'} instead of ${itemId(l.item) ?? '(none)'}; the substitute has no charge master entry`,
  });
}

function unitProblem(
  doc: StoredBusinessDocument,
  l: ExpectedLine,
  unit: string | undefined,
  out: Findings,
  meta: { partner?: string },
): void {
  out.add({
    rule: 'unit-not-convertible',
    docKind: doc.kind,
    docKey: doc.key,
    ...(meta.partner ? { partner: meta.partner } : {}),
    businessDate: dayOf(doc),
    line: l.line,
    field: 'unit',
    ...(l.unit ? { expected: l.unit } : {}),
    ...(unit ? { actual: unit } : {}),
    detail: `${doc.kind} ${doc.key} line ${l.line}: no conversion from ${unit ?? '(none)'} to ${l.unit ?? '(none)'} for item ${itemId(l.item) ?? '(none)'} in the item master`,
  });
}

/**
 * Matches one invoice against the expected lines: per line quantity (against received, or ordered
 * when nothing is received yet), unit price (against the PO after 855 changes) and extended amount;
 * then the invoice total against the sum of its lines and, when every line matched, against the
 * expected total. Each field is matched, within the partner's tolerance, or an exception.
 */
export function matchInvoice(
  inv: StoredBusinessDocument,
  lines: ExpectedLine[],
  ctx: ReconcileContext,
  out: Findings,
  partner: string | undefined,
): PoMatch['invoices'][number] {
  const invoice = inv.data as Invoice;
  const tol = ctx.tolerances(partner);
  const results: PoMatch['invoices'][number]['lines'] = [];
  const base = { docKind: 'invoice' as const, docKey: inv.key, ...(partner ? { partner } : {}), businessDate: dayOf(inv) };
  const field = (line: string, name: string, expected: number, actual: number, result: MatchResult) => {
    results.push({ line, field: name, expected: show(expected), actual: show(actual), result });
    if (result !== 'exception') return true;
    out.add({
      ...base,
      rule: 'three-way-mismatch',
      line,
      field: name,
      expected: show(expected)!,
      actual: show(actual)!,
      detail: `invoice ${inv.key} line ${line} ${name}: expected ${show(expected)}, invoiced ${show(actual)}`,
    });
    return false;
  };
  let lineSum = 0;
  let expectedSum = 0;
  let clean = true;
  for (const il of invoice.lines) {
    const qty = Number(il.quantity.value);
    const price = Number(il.unitPrice.amount);
    lineSum += qty * price;
    const ref = il.purchaseOrderLine ?? il.line;
    const l = lines.find((x) => x.line === ref) ?? lines.find((x) => sameItem(x.item, il.item) || sameItem(x.substitute, il.item));
    if (!l) {
      clean = false;
      out.add({
        ...base,
        rule: 'invoice-line-not-ordered',
        line: il.line,
        field: 'line',
        actual: itemId(il.item) ?? il.line,
        detail: `invoice ${inv.key} line ${il.line} bills item ${itemId(il.item) ?? '(none)'}, which is on no line of the order`,
      });
      continue;
    }
    const qtyPo = ctx.items.convert(itemId(l.item), qty, il.quantity.unit, l.unit);
    if (qtyPo === undefined) {
      clean = false;
      unitProblem(inv, l, il.quantity.unit, out, base);
      continue;
    }
    const pricePo = qtyPo === 0 ? price : (price * qty) / qtyPo;
    const expectedQty = l.received ?? l.quantity;
    const qOk = field(l.line, 'quantity', expectedQty, qtyPo, out.compare(expectedQty, qtyPo, tol.quantity));
    const pOk = l.price === undefined || field(l.line, 'unitPrice', l.price, pricePo, out.compare(l.price, pricePo, tol.unitPrice));
    const expectedExt = expectedQty * (l.price ?? pricePo);
    expectedSum += expectedExt;
    const extResult = out.compare(expectedExt, qty * price, tol.extendedAmount);
    // The extension is reported on its own only when quantity and price each passed: otherwise it repeats them.
    const eOk = qOk && pOk ? field(l.line, 'extendedAmount', expectedExt, qty * price, extResult) : true;
    clean &&= qOk && pOk && eOk;
  }
  const total = Number(invoice.total.amount);
  const computed = computedInvoiceTotal(invoice);
  const stated = computed === undefined ? lineSum : Number(formatExact(computed));
  if (out.compare(stated, total, tol.total) === 'exception') {
    out.add({
      ...base,
      rule: 'three-way-mismatch',
      field: 'total',
      expected: show(stated)!,
      actual: show(total)!,
      detail: `invoice ${inv.key} total ${show(total)} is not the sum of its lines, allowances, charges and taxes (${show(stated)})`,
    });
  } else if (clean) {
    // Allowances, charges and taxes are the supplier's to state: the expected total carries them as billed.
    const expectedTotal = expectedSum + (total - lineSum);
    field('', 'total', expectedTotal, total, out.compare(expectedTotal, total, tol.total));
  }
  return { number: inv.key, lines: results };
}
