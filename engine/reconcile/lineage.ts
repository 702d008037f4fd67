import type {
  Charge,
  ClaimPayment,
  Encounter,
  Invoice,
  PoAck,
  PurchaseOrder,
  Receipt,
  ShipNotice,
  SupplyUsage,
} from '../../model/index.js';
import type { BusinessDocumentKind, DocumentLink, Lineage, NewBusinessDocument, NewDelivery } from '../store/types.js';

/**
 * What lineage needs to know of a route: where its destination sends (X12 partner and set, FHIR…),
 * and the business document its deliveries are when the channel says so (`sends:`).
 */
export type RouteInfo = { destination: string; partner?: string; set?: string; sends?: 'inventory-posting' };

/**
 * The business documents of one routed message and the links between them (ADR 0012): the documents
 * it carries (its canonical documents) and the documents its routes send (a canonical purchase order
 * written as an 850, FHIR ChargeItems). Pure: reads the canonical documents and the payloads the
 * processor already built, never the raw message.
 */
export function lineageOf(canonical: unknown, deliveries: readonly NewDelivery[], routes: ReadonlyMap<string, RouteInfo>): Lineage {
  const docs = Array.isArray(canonical) ? (canonical as Array<{ kind?: string }>) : [];
  const documents: NewBusinessDocument[] = [];
  const links: DocumentLink[] = [];
  const link = (fromKind: BusinessDocumentKind, fromKey: string, toKind: BusinessDocumentKind, toKey: string, relation: string) =>
    links.push({ fromKind, fromKey, toKind, toKey, relation });

  const encounter = docs.find((d) => d.kind === 'encounter') as Encounter | undefined;
  const usage = docs.find((d) => d.kind === 'supply-usage') as SupplyUsage | undefined;
  const sent = new Set<string>();

  for (const d of deliveries) {
    const route = routes.get(d.route);
    if (usage && route?.sends === 'inventory-posting') {
      const posting = inventoryPosting(usage, d);
      documents.push(posting);
      link('usage', usage.eventId, 'inventory-posting', posting.key, 'posted-as');
      continue;
    }
    for (const doc of sentDocuments(d, route)) {
      documents.push(doc);
      sent.add(`${doc.kind}|${doc.key}`);
      if (usage && doc.kind === 'charge') link('usage', usage.eventId, 'charge', doc.key, 'charged-as');
      if (usage && doc.kind === 'purchase-order') link('usage', usage.eventId, 'purchase-order', doc.key, 'replenished-by');
    }
  }

  const postsInventory = [...routes.values()].some((r) => r.sends === 'inventory-posting');
  for (const doc of docs) {
    const found = receivedDocument(doc, { encounter, hasUsage: usage !== undefined, postsInventory });
    if (!found || sent.has(`${found.document.kind}|${found.document.key}`)) continue;
    documents.push(found.document);
    for (const l of found.links) links.push(l);
  }
  return { documents, links };
}

type Found = { document: NewBusinessDocument; links: DocumentLink[] };

function receivedDocument(
  doc: { kind?: string },
  ctx: { encounter?: Encounter; hasUsage: boolean; postsInventory: boolean },
): Found | undefined {
  const sender = (doc as { source?: { sender?: string } }).source?.sender?.trim();
  const partner = sender ? { partner: sender } : {};
  switch (doc.kind) {
    case 'supply-usage': {
      const u = doc as SupplyUsage;
      const facility = ctx.encounter?.facility ?? u.location?.split('^')[3];
      return {
        document: {
          kind: 'usage',
          key: u.eventId,
          ...(facility ? { facility } : {}),
          ...date(u.occurredAt),
          data: usageData(u, ctx.postsInventory),
        },
        links: [],
      };
    }
    case 'charge': {
      // The charges of a usage message are what the OR said it used; the charge posted is what a route sends.
      const c = doc as Charge;
      if (ctx.hasUsage || !c.transactionId) return undefined;
      return {
        document: { kind: 'charge', key: c.transactionId, ...partner, ...date(c.serviceDate ?? c.postedAt), data: chargeData(c) },
        links: [],
      };
    }
    case 'purchase-order': {
      const p = doc as PurchaseOrder;
      return { document: { kind: 'purchase-order', key: p.number, ...partner, ...date(p.orderDate), data: stripSource(p) }, links: [] };
    }
    case 'po-ack': {
      const a = doc as PoAck;
      const key = a.number ?? a.purchaseOrder.number;
      return {
        document: { kind: 'po-ack', key, ...partner, ...date(a.ackDate), data: stripSource(a) },
        links: [{ fromKind: 'purchase-order', fromKey: a.purchaseOrder.number, toKind: 'po-ack', toKey: key, relation: 'acknowledged-by' }],
      };
    }
    case 'ship-notice': {
      const s = doc as ShipNotice;
      return {
        document: { kind: 'ship-notice', key: s.shipmentId, ...partner, ...date(s.shippedAt ?? s.expectedAt), data: stripSource(s) },
        links: [...new Set(s.orders.map((o) => o.purchaseOrder.number))].map((po) => ({
          fromKind: 'purchase-order' as const,
          fromKey: po,
          toKind: 'ship-notice' as const,
          toKey: s.shipmentId,
          relation: 'shipped-by',
        })),
      };
    }
    case 'receipt': {
      const r = doc as Receipt;
      const links: DocumentLink[] = [];
      if (r.purchaseOrder)
        links.push({
          fromKind: 'purchase-order',
          fromKey: r.purchaseOrder.number,
          toKind: 'receipt',
          toKey: r.number,
          relation: 'received-by',
        });
      if (r.shipNotice)
        links.push({ fromKind: 'ship-notice', fromKey: r.shipNotice.number, toKind: 'receipt', toKey: r.number, relation: 'received-as' });
      return { document: { kind: 'receipt', key: r.number, ...partner, ...date(r.receivedAt), data: stripSource(r) }, links };
    }
    case 'invoice': {
      const i = doc as Invoice;
      return {
        document: { kind: 'invoice', key: i.number, ...partner, ...date(i.invoiceDate), data: stripSource(i) },
        links: i.purchaseOrder
          ? [{ fromKind: 'purchase-order', fromKey: i.purchaseOrder.number, toKind: 'invoice', toKey: i.number, relation: 'invoiced-by' }]
          : [],
      };
    }
    case 'claim-payment': {
      const p = doc as ClaimPayment;
      const charges = new Set(p.claims.flatMap((c) => (c.services ?? []).flatMap((s) => (s.chargeId ? [s.chargeId] : []))));
      return {
        document: { kind: 'claim-payment', key: p.traceNumber, ...partner, ...date(p.paymentDate), data: stripSource(p) },
        links: [...charges].map((charge) => ({
          fromKind: 'charge' as const,
          fromKey: charge,
          toKind: 'claim-payment' as const,
          toKey: p.traceNumber,
          relation: 'adjudicated-by',
        })),
      };
    }
    default:
      return undefined;
  }
}

/** Documents a delivery sends: a canonical purchase order (the body of an X12 850 route), FHIR ChargeItems. */
function sentDocuments(d: NewDelivery, route: RouteInfo | undefined): NewBusinessDocument[] {
  if (!/json/i.test(d.payload.contentType)) return [];
  let body: unknown;
  try {
    body = JSON.parse(d.payload.body);
  } catch {
    return [];
  }
  const partner = route?.partner ? { partner: route.partner } : {};
  const b = body as { kind?: string; resourceType?: string; entry?: Array<{ resource?: unknown }> };
  if (b.kind === 'purchase-order' && typeof (b as PurchaseOrder).number === 'string') {
    const p = b as PurchaseOrder;
    return [{ kind: 'purchase-order', key: p.number, route: d.route, ...partner, ...date(p.orderDate), data: stripSource(p) }];
  }
  const resources = b.resourceType === 'Bundle' ? (b.entry ?? []).map((e) => e.resource) : [b];
  const out: NewBusinessDocument[] = [];
  for (const r of resources) {
    const charge = chargeItem(r);
    if (charge) out.push({ ...charge, route: d.route, ...partner });
  }
  return out;
}

type FhirChargeItem = {
  resourceType?: string;
  identifier?: Array<{ value?: string }>;
  code?: { coding?: Array<{ code?: string }> };
  account?: Array<{ identifier?: { value?: string } }>;
  occurrenceDateTime?: string;
  quantity?: { value?: number };
  productCodeableConcept?: { coding?: Array<{ code?: string }> };
  costCenter?: { identifier?: { value?: string } };
};

/**
 * Documents a destination answered it recorded (DeliveryResult.answered): the ChargeItems a billing
 * FHIR server returned, as it stored them. The store keeps each beside the charge that was sent
 * (`booked`), and reconciliation compares the usage with what was booked.
 */
export function answeredDocuments(answered: readonly unknown[]): Array<{ kind: BusinessDocumentKind; key: string; data: unknown }> {
  const out: Array<{ kind: BusinessDocumentKind; key: string; data: unknown }> = [];
  for (const r of answered) {
    const charge = chargeItem(r);
    if (charge) out.push({ kind: charge.kind, key: charge.key, data: charge.data });
  }
  return out;
}

function chargeItem(resource: unknown): Omit<NewBusinessDocument, 'route'> | undefined {
  const r = resource as FhirChargeItem | undefined;
  const key = r?.resourceType === 'ChargeItem' ? r.identifier?.[0]?.value : undefined;
  if (!r || !key) return undefined;
  return {
    kind: 'charge',
    key,
    ...date(r.occurrenceDateTime),
    data: {
      transactionId: key,
      itemNumber: r.productCodeableConcept?.coding?.[0]?.code,
      chargeCode: r.code?.coding?.[0]?.code,
      quantity: r.quantity?.value === undefined ? undefined : String(r.quantity.value),
      accountNumber: r.account?.[0]?.identifier?.value,
      costCenter: r.costCenter?.identifier?.value,
    },
  };
}

function date(value: string | undefined): { businessDate?: string } {
  return value ? { businessDate: value } : {};
}

/**
 * The usage posted to the ERP by one delivery of a `sends: inventory-posting` route, keyed by the
 * usage event id: the lines the payload posts (its `lines[].line`), else every line of the usage.
 */
function inventoryPosting(u: SupplyUsage, d: NewDelivery): NewBusinessDocument {
  let posted: Array<{ line?: unknown; item?: unknown; quantity?: unknown; unit?: unknown }> | undefined;
  if (/json/i.test(d.payload.contentType)) {
    try {
      const body = JSON.parse(d.payload.body) as { lines?: unknown };
      if (Array.isArray(body.lines) && body.lines.every((l) => l && typeof l === 'object' && 'line' in l)) posted = body.lines;
    } catch {
      posted = undefined;
    }
  }
  const lines = posted
    ? posted.map((l) => ({
        line: Number(l.line),
        itemNumber: typeof l.item === 'string' ? l.item : undefined,
        quantity: typeof l.quantity === 'number' || typeof l.quantity === 'string' ? String(l.quantity) : undefined,
        unit: typeof l.unit === 'string' ? l.unit : undefined,
      }))
    : u.lines.map((l) => ({ line: l.line, itemNumber: l.itemNumber, quantity: l.quantity.value, unit: l.quantity.unit }));
  return { kind: 'inventory-posting', key: u.eventId, route: d.route, ...date(u.occurredAt), data: { eventId: u.eventId, lines } };
}

/** The usage as reconciliation needs it: no patient identifier, no description. */
function usageData(u: SupplyUsage, postsInventory: boolean): unknown {
  return {
    eventId: u.eventId,
    ...(postsInventory ? { postsInventory } : {}),
    occurredAt: u.occurredAt,
    accountNumber: u.accountNumber,
    department: u.department,
    lines: u.lines.map((l) => ({
      line: l.line,
      itemNumber: l.itemNumber,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      chargeCode: l.chargeCode,
      transactionId: l.transactionId,
      lot: l.lot,
      serial: l.serial,
    })),
  };
}

function chargeData(c: Charge): unknown {
  return {
    transactionId: c.transactionId,
    itemNumber: c.itemNumber ?? c.code.code,
    chargeCode: c.code.code,
    quantity: c.quantity.value,
    accountNumber: c.accountNumber,
    status: c.status,
  };
}

function stripSource<T extends { source?: unknown }>(doc: T): Omit<T, 'source'> & { sender?: string } {
  const { source, ...rest } = doc;
  const sender = (source as { sender?: string } | undefined)?.sender;
  return sender ? { ...rest, sender } : rest;
}
