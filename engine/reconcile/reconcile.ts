import type { ReconFinding, StoredBusinessDocument } from '../store/types.js';
import { reconcileCharges } from './charges.js';
import { reconcileInventory } from './inventory.js';
import { reconcileClaimPayments } from './payments.js';
import { byKind, Findings, type ReconcileContext, type ReconcileSummary } from './context.js';
import { duplicateInvoices, orphans, reconcileOrders, relatedByPo } from './orders.js';
import type { PoMatch } from './three-way.js';

/**
 * Reconciles a set of business documents (ADR 0012, docs/reconciliation.md): three-way match of
 * every purchase order, duplicate invoices, receipts and invoices without an order, 855 and 856 past
 * their deadline, unmapped substitutions, usage-to-charge completeness, usage posted to the ERP
 * exactly once, and charges the payer denied (835). Pure: it reads the
 * documents, never changes them, and returns findings for the store to open, keep or resolve.
 */
export function reconcileDocuments(
  docs: readonly StoredBusinessDocument[],
  ctx: ReconcileContext,
): { findings: ReconFinding[]; summary: ReconcileSummary; matches: PoMatch[] } {
  const out = new Findings();
  const k = byKind(docs);
  const get = (kind: Parameters<typeof k.get>[0]) => k.get(kind) ?? [];
  const invoices = get('invoice');
  const toMatch = duplicateInvoices(invoices, ctx, out);
  const related = relatedByPo({ acks: get('po-ack'), asns: get('ship-notice'), receipts: get('receipt'), invoices });
  const pos = get('purchase-order');
  const matches = reconcileOrders(pos, related, toMatch, ctx, out);
  orphans(new Set(pos.map((p) => p.key)), { asns: get('ship-notice'), receipts: get('receipt'), invoices: [...toMatch] }, ctx, out);
  reconcileCharges(get('usage'), get('charge'), ctx, out);
  reconcileInventory(get('usage'), get('inventory-posting'), ctx, out);
  reconcileClaimPayments(get('claim-payment'), out);
  const findings: Record<string, number> = {};
  for (const f of out.list) findings[f.rule] = (findings[f.rule] ?? 0) + 1;
  return { findings: out.list, summary: { documents: docs.length, fields: out.fields, findings }, matches };
}
