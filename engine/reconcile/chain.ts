import type { ClaimPayment } from '../../model/index.js';
import type { BusinessDocumentKind, DocumentLink, Store, StoredBusinessDocument } from '../store/types.js';
import { chargeKeyOf } from './charges.js';
import { accepted, timeOf, type ReconcileContext } from './context.js';

/** Documents a chain shows at most: one implant or one order has a handful; a runaway link graph stops here. */
const MAX_DOCUMENTS = 200;

/**
 * Documents that answer many others at once (one remittance pays hundreds of charges): a chain shows
 * them but does not walk on through them, unless the chain starts at one.
 */
const HUBS: ReadonlySet<BusinessDocumentKind> = new Set(['claim-payment']);

/** Something the chain should hold and does not, or holds but not accepted. */
export type ChainGap = {
  kind: string;
  /** The key expected, when known (the charge of a usage line). */
  key?: string;
  for: { kind: BusinessDocumentKind; key: string; line?: string };
  /** `late`: past its deadline; `pending`: not yet due; `not-accepted`: sent, not (yet) accepted. */
  state: 'late' | 'pending' | 'not-accepted';
  dueAt?: string;
};

export type Chain = {
  root: { kind: BusinessDocumentKind; key: string };
  documents: Array<Omit<StoredBusinessDocument, 'data'> & { data: unknown }>;
  links: DocumentLink[];
  messages: unknown[];
  missing: ChainGap[];
  exceptions: unknown[];
};

/**
 * The life of one business document (`GET /api/lineage/:kind/:key`): every document linked to it,
 * directly or through others (usage → ERP posting, usage → charge → 835, usage → purchase order →
 * 855, 856, receipt, 810), every
 * message that carried one, with its deliveries and acknowledgments, the acknowledgments still
 * expected from partners, what is missing or late, and the reconciliation exceptions about them.
 */
export async function lineageChain(
  store: Store,
  kind: BusinessDocumentKind,
  key: string,
  ctx: ReconcileContext,
): Promise<Chain | undefined> {
  const seen = new Map<string, { kind: BusinessDocumentKind; key: string }>();
  const links = new Map<string, DocumentLink>();
  let frontier = [{ kind, key }];
  seen.set(`${kind}|${key}`, { kind, key });
  while (frontier.length > 0 && seen.size < MAX_DOCUMENTS) {
    const next: Array<{ kind: BusinessDocumentKind; key: string }> = [];
    for (const l of await store.documentLinks(frontier)) {
      links.set(`${l.fromKind}|${l.fromKey}|${l.toKind}|${l.toKey}|${l.relation}`, l);
      for (const ref of [
        { kind: l.fromKind, key: l.fromKey },
        { kind: l.toKind, key: l.toKey },
      ]) {
        const id = `${ref.kind}|${ref.key}`;
        if (seen.has(id) || seen.size >= MAX_DOCUMENTS) continue;
        seen.set(id, ref);
        if (!HUBS.has(ref.kind)) next.push(ref);
      }
    }
    frontier = next;
  }
  const documents: StoredBusinessDocument[] = [];
  for (const ref of seen.values()) documents.push(...(await store.documentsByKey(ref.kind, ref.key)));
  if (!HUBS.has(kind)) onlyOurClaims(documents);
  if (documents.length === 0 && links.size === 0) return undefined;
  const messages = [];
  for (const id of [...new Set(documents.map((d) => d.messageId))]) {
    const m = await store.getMessage(id);
    if (!m) continue;
    const { raw: _raw, canonical: _canonical, deliveries, ...rest } = m;
    messages.push({
      ...rest,
      deliveries: deliveries.map(({ payload: _payload, ...d }) => d),
      expectations: await store.x12Expectations(id),
    });
  }
  const exceptions = [];
  for (const docKey of new Set(documents.map((d) => d.key))) exceptions.push(...(await store.listReconExceptions({ docKey, limit: 100 })));
  return { root: { kind, key }, documents, links: [...links.values()], messages, missing: gaps(documents, ctx), exceptions };
}

/** A remittance reached from a charge shows only the claims of the chain's charges, not every patient it pays. */
function onlyOurClaims(documents: StoredBusinessDocument[]): void {
  const charges = new Set(documents.filter((d) => d.kind === 'charge').map((d) => d.key));
  for (const [i, d] of documents.entries()) {
    if (d.kind !== 'claim-payment') continue;
    const data = d.data as ClaimPayment;
    const claims = data.claims.filter((c) => (c.services ?? []).some((s) => s.chargeId !== undefined && charges.has(s.chargeId)));
    documents[i] = { ...d, data: { ...data, claims } };
  }
}

/** What the chain lacks: the ERP posting of each usage, the charge of each billable usage line, the 855, 856 and 810 of each order. */
export function gaps(documents: readonly StoredBusinessDocument[], ctx: ReconcileContext): ChainGap[] {
  const out: ChainGap[] = [];
  const has = (kind: BusinessDocumentKind, pred: (d: StoredBusinessDocument) => boolean = () => true) =>
    documents.filter((d) => d.kind === kind && pred(d));
  for (const u of has('usage')) {
    const data = u.data as {
      eventId: string;
      lines: Array<{ line: number; itemNumber: string; chargeCode?: string; transactionId?: string }>;
    };
    const due = timeOf(u) + ctx.chargeDeadlineMs(u.facility);
    const postings = has('inventory-posting', (p) => p.key === u.key);
    const forUsage = { kind: 'usage' as const, key: u.key };
    if (postings.length === 0 && (data as { postsInventory?: boolean }).postsInventory)
      out.push({
        kind: 'inventory-posting',
        key: u.key,
        for: forUsage,
        ...deadline(timeOf(u) + ctx.inventoryDeadlineMs(u.facility), ctx.asOf),
      });
    else if (postings.length > 0 && !postings.some(accepted))
      out.push({ kind: 'inventory-posting', key: u.key, for: forUsage, state: 'not-accepted' });
    for (const line of data.lines) {
      const key = chargeKeyOf(data.eventId, line);
      const charges = has('charge', (c) => c.key === key);
      if (charges.length === 0 && !(line.chargeCode || ctx.items.chargeable(line.itemNumber))) continue;
      const forLine = { kind: 'usage' as const, key: u.key, line: String(line.line) };
      if (charges.length === 0) out.push({ kind: 'charge', key, for: forLine, ...deadline(due, ctx.asOf) });
      else if (!charges.some(accepted)) out.push({ kind: 'charge', key, for: forLine, state: 'not-accepted' });
    }
  }
  for (const po of has('purchase-order')) {
    const partner = ctx.partnerOf(po.partner ?? (po.data as { sender?: string }).sender);
    const answers = (kind: BusinessDocumentKind, field: (d: StoredBusinessDocument) => string[]) =>
      has(kind, (d) => field(d).includes(po.key));
    const forPo = { kind: 'purchase-order' as const, key: po.key };
    const ordered = timeOf(po);
    if (po.deliveryId && !accepted(po)) out.push({ kind: '850', for: forPo, state: 'not-accepted' });
    if (answers('po-ack', (d) => [(d.data as { purchaseOrder: { number: string } }).purchaseOrder.number]).length === 0)
      out.push({ kind: 'po-ack', for: forPo, ...deadline(ordered + ctx.poAckDeadlineMs(partner), ctx.asOf) });
    const shipped = answers('ship-notice', (d) =>
      (d.data as { orders: Array<{ purchaseOrder: { number: string } }> }).orders.map((o) => o.purchaseOrder.number),
    );
    if (shipped.length === 0 && has('receipt').length === 0)
      out.push({ kind: 'ship-notice', for: forPo, ...deadline(ordered + ctx.asnDeadlineMs(partner), ctx.asOf) });
    if (answers('invoice', (d) => [(d.data as { purchaseOrder?: { number: string } }).purchaseOrder?.number ?? '']).length === 0)
      out.push({ kind: 'invoice', for: forPo, state: 'pending' });
  }
  return out;
}

function deadline(dueMs: number, asOf: number): { state: 'late' | 'pending'; dueAt: string } {
  return { state: asOf > dueMs ? 'late' : 'pending', dueAt: new Date(dueMs).toISOString() };
}
