import type { ClaimPayment, Invoice, PoAck, Receipt, ShipNotice } from '../../model/index.js';
import type { BusinessDocumentKind } from '../store/types.js';
import { chargeKeyOf } from './charges.js';

/**
 * Cases (ADR 0027). A case is the set of documents that reconcile together: documents that share a
 * reference, and so on transitively. Every rule of reconcile.ts compares only documents of one case,
 * so a finding about a document depends on its case and nothing else, and a continuous run
 * reconciles only the cases that new documents or passed deadlines touch.
 *
 * A reference is `<kind>:<key>`, a document's own or one it names, or `implant:<item>|<serial>`.
 * The store keeps each document's references (`document_refs`), written with the document.
 */
export function caseRefs(doc: { kind: BusinessDocumentKind; key: string; data: unknown }): string[] {
  const refs = new Set([ref(doc.kind, doc.key)]);
  const po = (n: string | undefined) => n !== undefined && refs.add(ref('purchase-order', n));
  switch (doc.kind) {
    case 'usage': {
      // its charges (three-way of the usage), its ERP posting (same key), implants charged or posted twice
      const u = doc.data as {
        eventId?: string;
        lines?: Array<{ line: number; itemNumber?: string; transactionId?: string; serial?: string }>;
      };
      refs.add(ref('inventory-posting', doc.key));
      for (const l of u.lines ?? []) {
        refs.add(ref('charge', chargeKeyOf(u.eventId ?? doc.key, l)));
        if (l.serial) refs.add(`implant:${l.itemNumber ?? ''}|${l.serial}`);
      }
      break;
    }
    case 'po-ack':
      po((doc.data as PoAck).purchaseOrder?.number);
      break;
    case 'ship-notice':
      for (const o of (doc.data as ShipNotice).orders ?? []) po(o.purchaseOrder?.number);
      break;
    case 'receipt': {
      const r = doc.data as Receipt;
      po(r.purchaseOrder?.number);
      if (r.shipNotice) refs.add(ref('ship-notice', r.shipNotice.number));
      break;
    }
    case 'invoice':
      po((doc.data as Invoice).purchaseOrder?.number);
      break;
    case 'claim-payment':
      for (const c of (doc.data as ClaimPayment).claims ?? [])
        for (const s of c.services ?? []) if (s.chargeId !== undefined) refs.add(ref('charge', s.chargeId));
      break;
    default:
      break;
  }
  return [...refs];
}

/** The reference that stands for a document, and that a finding about it is filed under. */
export function ref(kind: string, key: string): string {
  return `${kind}:${key}`;
}

/** Documents grouped in their cases (connected by shared references), in the order of each case's first document. */
export function casesOf<T extends { refs: readonly string[] }>(docs: readonly T[]): T[][] {
  const parent = docs.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const owner = new Map<string, number>();
  docs.forEach((d, i) => {
    for (const r of d.refs) {
      const j = owner.get(r);
      if (j === undefined) owner.set(r, i);
      else parent[root(i)] = root(j);
    }
  });
  const groups = new Map<number, T[]>();
  docs.forEach((d, i) => {
    const r = root(i);
    const g = groups.get(r);
    if (g) g.push(d);
    else groups.set(r, [d]);
  });
  return [...groups.values()];
}
