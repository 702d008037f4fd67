import type { CanonicalDocument, ClaimPayment, ClaimPaymentClaim, Invoice, PoAck, PurchaseOrder, ShipNotice } from '../../model/index.js';
import { seeded } from '../../lib/prng.js';
import { writeInterchange } from '../../parsers/x12/index.js';
import { transactionSets } from '../../parsers/x12/sets/index.js';

/**
 * A month of a mid-size hospital network, generated from a seed: procedures with implant and supply
 * usage (HL7 DFT^P03), the ChargeItems posted for them, replenishment orders per facility, supplier
 * and day, the suppliers' 855/856/810 (X12 004010 written by the engine's own mappers), receipts
 * from the ERP; and faults of every kind reconciliation looks for, injected at known rates. Each
 * fault says which exception (rule and document key) it must produce.
 */

export type Fault = { kind: string; rule: string; docKey: string; line?: string };

/** One message as the engine would receive it, and what its routes would send (payloads built like the shipped channels'). */
export type GeneratedMessage = {
  channel: string;
  format: 'hl7v2' | 'x12' | 'json';
  raw: Buffer;
  controlId: string;
  deliveries: Array<{ route: string; body: unknown; partner?: string; accepted: boolean }>;
  /** A resend or a second bill: it arrives after the first one (the bench indexes it in a later wave). */
  later?: boolean;
};

export type Month = {
  messages: GeneratedMessage[];
  faults: Fault[];
  tables: Record<string, { columns: string[]; rows: Array<Record<string, string>> }>;
  counts: Record<string, number>;
};

export const PARTNERS = [
  { id: 'acme-medical', isa: 'ACMEMEDICAL', gs: 'ACMEMED' },
  { id: 'northwind-surgical', isa: 'NORTHWINDSURG', gs: 'NORTHWIND' },
  { id: 'summit-surgical', isa: 'SUMMITSURG', gs: 'SUMMITSURG' },
] as const;

const FACILITIES = ['MAIN', 'NORTH', 'SOUTH'];
const DEPARTMENTS = ['OR', 'CATH'];

/** Fault rates (per procedure line, per order, per invoice): what the bench injects. */
export const RATES = {
  chargeMissing: 0.004,
  chargeMismatch: 0.003,
  chargeDuplicate: 0.002,
  claimDenied: 0.01,
  claimLineDenied: 0.005,
  inventoryMissing: 0.004,
  inventoryDuplicate: 0.003,
  poAckMissing: 0.02,
  asnMissing: 0.02,
  priceOverOrder: 0.02,
  quantityOverReceived: 0.015,
  shortShipmentBilledFull: 0.01,
  totalArithmetic: 0.01,
  duplicateInvoiceNumber: 0.01,
  duplicateInvoiceContent: 0.005,
  substitutionUnmapped: 0.01,
  receiptWithoutPo: 0.005,
  invoiceWithoutPo: 0.005,
  /** Not faults: acme's price noise within its cent of tolerance, and invoices in eaches for orders in boxes. */
  priceNoiseWithinTolerance: 0.03,
  invoiceInEaches: 0.05,
};

type Item = {
  number: string;
  description: string;
  supplier: (typeof PARTNERS)[number];
  price: number;
  implant: boolean;
  purchaseUnit: string;
  conversion: number;
};

function catalog(rand: () => number): Item[] {
  const items: Item[] = [];
  for (let i = 0; i < 120; i++) {
    const implant = i < 40;
    const boxed = !implant && i % 3 === 0;
    items.push({
      number: String(300000 + i),
      description: implant ? `IMPLANT MODEL ${i}` : `SUPPLY ${i}`,
      supplier: PARTNERS[i % PARTNERS.length]!,
      price: implant ? Math.round(400 + rand() * 4000) : Math.round((2 + rand() * 60) * 100) / 100,
      implant,
      purchaseUnit: boxed ? 'BX' : 'EA',
      conversion: boxed ? 10 : 1,
    });
  }
  return items;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const money = (n: number) => n.toFixed(2);
const day = (d: number) => `202611${pad(d, 2)}`;

type UsageLine = { item: Item; qty: number; tx: string; lot: string; serial?: string };

function dft(eventId: string, d: number, facility: string, dept: string, account: string, lines: UsageLine[], app = 'ORSYS'): string {
  const seg = [
    `MSH|^~\\&|${app}|${facility}|ERP|${facility}|${day(d)}143005||DFT^P03^DFT_P03|${eventId}|P|2.5.1`,
    `EVN|P03|${day(d)}143000`,
    `PID|1||MRN${account.slice(4)}^^^${facility}^MR||FICTIONAL^PATIENT||19600101|F||||||||||${account}^^^${facility}^AN`,
    `PV1|1|I|${dept}^${dept}01^1^${facility}|E|||90001^SURGEON^FAKE||||SUR||||||||V${account.slice(4)}^^^${facility}^VN`,
  ];
  lines.forEach((l, i) => {
    seg.push(
      `FT1|${i + 1}|${l.tx}||${day(d)}093000|${day(d)}143000|CG|${l.item.number}^${l.item.description}^SUPPLY|||${l.qty}|${money(l.item.price * l.qty)}&USD|${money(l.item.price)}&USD|${dept}^${dept}`,
    );
    seg.push(`ZIM|${i + 1}|${l.lot}|${l.serial ?? ''}|20301231||EA|FICTIONAL MFR`);
  });
  return seg.join('\r') + '\r';
}

/** The usage posted to the ERP, as the shipped channel's `erp-usage` route builds it (the lines reconciliation reads). */
function erpUsage(eventId: string, account: string, lines: UsageLine[]): unknown {
  return {
    reference: eventId,
    account,
    lines: lines.map((l, i) => ({ line: i + 1, item: l.item.number, quantity: l.qty, unit: 'EA', lot: l.lot, serial: l.serial })),
  };
}

function chargeBundle(account: string, d: number, lines: Array<UsageLine & { qtyCharged?: number; accountCharged?: string }>): unknown {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: lines.map((l) => ({
      resource: {
        resourceType: 'ChargeItem',
        identifier: [{ system: 'urn:interlace:or-usage', value: l.tx }],
        status: 'billable',
        code: { coding: [{ system: 'urn:interlace:chargemaster', code: `C-${l.item.number}` }] },
        account: [{ identifier: { value: l.accountCharged ?? account } }],
        occurrenceDateTime: `2026-11-${pad(d, 2)}T09:30:00Z`,
        quantity: { value: l.qtyCharged ?? l.qty },
        productCodeableConcept: { coding: [{ system: 'urn:interlace:item', code: l.item.number }] },
      },
      request: { method: 'POST', url: 'ChargeItem', ifNoneExist: `identifier=urn:interlace:or-usage|${l.tx}` },
    })),
  };
}

let isa13 = 100;
/** The health plan that pays the network's claims (835 sender). */
const PAYER = { id: 'lakeshore-health-plan', isa: 'LAKESHOREHP', gs: 'LAKESHOREHP' };

function x12(partner: { isa: string; gs: string }, doc: CanonicalDocument): Buffer {
  const mapper = transactionSets.find((m) => m.kind === doc.kind)!;
  isa13++;
  const text = writeInterchange({
    sender: { qualifier: 'ZZ', id: partner.isa },
    receiver: { qualifier: 'ZZ', id: 'INTERLACEHOSP' },
    controlNumber: isa13,
    usageIndicator: 'P',
    ackRequested: false,
    version: '00401',
    delimiters: { element: '*', component: '>', segment: '~' },
    groups: [
      {
        functionalId: mapper.functionalId,
        senderCode: partner.gs,
        receiverCode: 'INTERLACE',
        controlNumber: isa13,
        version: '004010',
        sets: [{ id: mapper.id, controlNumber: 1, segments: mapper.fromCanonical(doc, { version: '004010', component: '>' }) }],
      },
    ],
  });
  return Buffer.from(text, 'latin1');
}

/**
 * What the payer answers for one case's claim: paid at the contract rate (a CO-45 reduction, not a
 * fault), denied whole (no authorization) or one line denied (not covered), each denial a fault on
 * the charge the payer names.
 */
function adjudicate(
  account: string,
  d: number,
  lines: Array<UsageLine & { qtyCharged?: number }>,
  chance: (p: number) => boolean,
  fault: (f: Fault) => void,
): ClaimPaymentClaim {
  const denied = chance(RATES.claimDenied);
  const lineDenied = !denied && lines.length > 1 && chance(RATES.claimLineDenied) ? lines[lines.length - 1] : undefined;
  const services = lines.map((l) => {
    const charged = l.item.price * (l.qtyCharged ?? l.qty);
    const no = denied || l === lineDenied;
    if (no) fault({ kind: denied ? 'claim-denied' : 'claim-line-denied', rule: 'claim-denied', docKey: l.tx });
    const paid = no ? 0 : Math.round(charged * 80) / 100;
    return {
      procedure: { qualifier: 'HC', code: l.item.implant ? 'C1776' : 'C1713' },
      charged: { amount: money(charged) },
      paid: { amount: money(paid) },
      units: String(l.qtyCharged ?? l.qty),
      chargeId: l.tx,
      serviceDate: `2026-11-${pad(d, 2)}`,
      adjustments: [
        no
          ? { group: 'CO', reason: denied ? '197' : '96', amount: money(charged) }
          : { group: 'CO', reason: '45', amount: money(charged - paid) },
      ],
    };
  });
  const sum = (f: (s: (typeof services)[number]) => string) => money(services.reduce((t, s) => t + Number(f(s)), 0));
  return {
    claimId: account,
    status: denied ? 'denied' : 'processed',
    statusCode: denied ? '4' : '1',
    charged: { amount: sum((s) => s.charged.amount) },
    paid: { amount: sum((s) => s.paid.amount) },
    services,
  };
}

/** Generates the month: `procedures` usage events over November 2026 and everything that follows from them. */
export function generateMonth(seed: number, procedures: number): Month {
  const rand = seeded(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const chance = (p: number) => rand() < p;
  const items = catalog(rand);
  const messages: GeneratedMessage[] = [];
  const faults: Fault[] = [];
  const counts: Record<string, number> = { procedures, usageLines: 0, orders: 0, invoices: 0 };
  const fault = (f: Fault) => faults.push(f);
  /** The claims of each facility and day, paid (or denied) a week later in one remittance. */
  const claims = new Map<string, ClaimPaymentClaim[]>();
  /** What each facility, supplier and day used: tomorrow's replenishment order. */
  const demand = new Map<string, Map<Item, number>>();

  for (let p = 0; p < procedures; p++) {
    const d = 1 + Math.floor(rand() * 28);
    const facility = pick(FACILITIES);
    const dept = pick(DEPARTMENTS);
    const eventId = `EV${pad(p, 6)}`;
    const account = `ACCT${pad(100000 + p, 6)}`;
    const lines: UsageLine[] = [];
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const item = i === 0 ? pick(items.slice(0, 40)) : pick(items);
      lines.push({
        item,
        qty: item.implant ? 1 : 1 + Math.floor(rand() * 3),
        tx: `TX${pad(p, 6)}${i + 1}`,
        lot: `L${pad(p, 6)}${i}`,
        ...(item.implant ? { serial: `SN${pad(p, 6)}${i}` } : {}),
      });
      const key = `${facility}|${item.supplier.id}|${d}|${dept}|${item.implant ? 'I' : 'S'}`;
      const m = demand.get(key) ?? new Map<Item, number>();
      m.set(item, (m.get(item) ?? 0) + (item.implant ? 1 : 1 + Math.floor(rand() * 3)));
      demand.set(key, m);
    }
    counts.usageLines! += lines.length;
    let implantUncharged = false;
    const charged = lines
      .map((l, i) => {
        if (chance(RATES.chargeMissing)) {
          if (l.serial) implantUncharged = true;
          fault({ kind: 'charge-missing', rule: 'charge-missing', docKey: eventId, line: String(i + 1) });
          return undefined;
        }
        if (chance(RATES.chargeMismatch)) {
          fault({ kind: 'charge-mismatch', rule: 'charge-mismatch', docKey: l.tx });
          return chance(0.5) ? { ...l, qtyCharged: l.qty + 1 } : { ...l, accountCharged: `ACCT9${pad(p, 5)}` };
        }
        return l;
      })
      .filter((l): l is UsageLine => l !== undefined);
    (claims.get(`${facility}|${d}`) ?? claims.set(`${facility}|${d}`, []).get(`${facility}|${d}`)!).push(
      adjudicate(account, d, charged, chance, fault),
    );
    // The ERP refuses the posting (a closed period, an unknown location): the stock was never depleted.
    const posted = !chance(RATES.inventoryMissing);
    if (!posted) fault({ kind: 'inventory-missing', rule: 'inventory-missing', docKey: eventId });
    const usageDeliveries = (id: string, ls: UsageLine[], bill: UsageLine[], erpAccepts: boolean) => [
      { route: 'erp-usage', body: erpUsage(id, account, ls), accepted: erpAccepts },
      { route: 'billing-charges', body: chargeBundle(account, d, bill), accepted: true },
    ];
    messages.push({
      channel: 'or-implant-charges',
      format: 'hl7v2',
      raw: Buffer.from(dft(eventId, d, facility, dept, account, lines), 'latin1'),
      controlId: eventId,
      deliveries: usageDeliveries(eventId, lines, charged, posted),
    });
    // The same case (same event id) sent again by the OR's downtime feed: billing's conditional
    // create keeps one charge per line, but the ERP depletes the stock a second time.
    if (posted && chance(RATES.inventoryDuplicate)) {
      fault({ kind: 'inventory-duplicate', rule: 'inventory-duplicate', docKey: eventId });
      messages.push({
        channel: 'or-implant-charges',
        format: 'hl7v2',
        raw: Buffer.from(dft(eventId, d, facility, dept, account, lines, 'ORDOWNTIME'), 'latin1'),
        controlId: eventId,
        later: true,
        deliveries: usageDeliveries(eventId, lines, charged, true),
      });
    }
    // A case sent again under a new id after an interface restart: its implants are billed and
    // depleted twice.
    if (!implantUncharged && lines.some((l) => l.serial) && chance(RATES.chargeDuplicate * 4)) {
      const again = lines.map((l, i) => ({ ...l, tx: `TXR${pad(p, 6)}${i + 1}` }));
      again.forEach((l, i) => {
        if (!l.serial) return;
        fault({ kind: 'charge-duplicate', rule: 'charge-duplicate', docKey: l.tx });
        if (posted) fault({ kind: 'inventory-duplicate-serial', rule: 'inventory-duplicate', docKey: `${eventId}R`, line: String(i + 1) });
      });
      messages.push({
        channel: 'or-implant-charges',
        format: 'hl7v2',
        raw: Buffer.from(dft(`${eventId}R`, d, facility, dept, account, again), 'latin1'),
        controlId: `${eventId}R`,
        later: true,
        deliveries: usageDeliveries(`${eventId}R`, again, again, true),
      });
    }
  }

  for (const [key, list] of [...claims.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [facility, dText] = key.split('|') as [string, string];
    const paid = list.filter((c) => c.services!.length > 0);
    if (paid.length === 0) continue;
    const remittance: ClaimPayment = {
      kind: 'claim-payment',
      traceNumber: `EFT-${facility}-${pad(Number(dText), 2)}`,
      handling: 'I',
      total: { amount: money(paid.reduce((s, c) => s + Number(c.paid.amount), 0)) },
      creditDebit: 'C',
      method: 'ACH',
      paymentDate: `2026-12-${pad(Math.min(9, 1 + Math.floor(Number(dText) / 4)), 2)}`,
      parties: [{ role: 'PR', name: 'LAKESHORE HEALTH PLAN' }],
      claims: paid,
    };
    messages.push({
      channel: 'payer-remittance',
      format: 'x12',
      raw: x12(PAYER, remittance as CanonicalDocument),
      controlId: remittance.traceNumber,
      deliveries: [],
    });
  }

  let poSeq = 0;
  let invSeq = 0;
  let asnSeq = 0;
  let rcvSeq = 0;
  for (const [key, used] of [...demand.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [facility, supplierId, dText] = key.split('|') as [string, string, string];
    const partner = PARTNERS.find((x) => x.id === supplierId)!;
    const d = Math.min(28, Number(dText) + 1);
    const number = `PO-${facility}-${pad(++poSeq, 6)}`;
    const lines = [...used.entries()].map(([item, qty], i) => ({
      item,
      line: String(i + 1),
      qty: item.conversion > 1 ? Math.max(1, Math.ceil(qty / item.conversion)) : qty,
      unit: item.purchaseUnit,
      price: item.conversion > 1 ? Math.round(item.price * item.conversion * 100) / 100 : item.price,
    }));
    counts.orders!++;
    const po: PurchaseOrder = {
      kind: 'purchase-order',
      number,
      purpose: '00',
      orderType: 'SA',
      orderDate: `2026-11-${pad(d, 2)}`,
      currency: 'USD',
      parties: [{ role: 'buyer', name: 'NETWORK HOSPITALS' }],
      lines: lines.map((l) => ({
        line: l.line,
        item: { buyerItem: l.item.number, vendorItem: `V-${l.item.number}` },
        quantity: { value: String(l.qty), unit: l.unit },
        unitPrice: { amount: money(l.price) },
      })),
    };
    messages.push({
      channel: 'supplier-po-out',
      format: 'json',
      raw: Buffer.from(JSON.stringify(po)),
      controlId: number,
      deliveries: [{ route: `${partner.id}-850`, body: po, partner: partner.id, accepted: true }],
    });
    const ref = { type: 'purchase-order', number, date: po.orderDate };
    const ship = d + 2 <= 30 ? d + 2 : 30;

    // 855
    const ackMissing = chance(RATES.poAckMissing);
    const substituted = !ackMissing && chance(RATES.substitutionUnmapped) ? lines[0]! : undefined;
    if (ackMissing) fault({ kind: 'po-ack-missing', rule: 'po-ack-missing', docKey: number });
    else {
      const ack: PoAck = {
        kind: 'po-ack',
        purpose: '00',
        status: substituted ? 'AC' : 'AD',
        purchaseOrder: ref,
        ackDate: `2026-11-${pad(d, 2)}`,
        number: `ACK-${number}`,
        lines: lines.map((l) => ({
          line: l.line,
          item: { buyerItem: l.item.number, vendorItem: `V-${l.item.number}` },
          quantityOrdered: { value: String(l.qty), unit: l.unit },
          unitPrice: { amount: money(l.price) },
          statuses: [
            l === substituted
              ? { code: 'IS', quantity: { value: String(l.qty), unit: l.unit }, substitute: { vendorItem: `SUB-${l.item.number}` } }
              : { code: 'IA', quantity: { value: String(l.qty), unit: l.unit } },
          ],
        })),
      };
      if (substituted)
        fault({ kind: 'substitution-unmapped', rule: 'substitution-unmapped', docKey: `ACK-${number}`, line: substituted.line });
      messages.push({
        channel: 'supplier-inbound',
        format: 'x12',
        raw: x12(partner, ack as CanonicalDocument),
        controlId: `ACK-${number}`,
        deliveries: [],
      });
    }

    // 856 (or a receipt from the ERP instead)
    const short = chance(RATES.shortShipmentBilledFull) ? lines.find((l) => l.qty > 1) : undefined;
    const shipped = lines.map((l) => ({ ...l, shipped: l === short ? l.qty - 1 : l.qty }));
    const isShort = (l: { line: string }) => l.line === short?.line;
    const isSubstituted = (l: { line: string }) => l.line === substituted?.line;
    const asnMissing = chance(RATES.asnMissing);
    if (asnMissing) fault({ kind: 'asn-missing', rule: 'asn-missing', docKey: number });
    else {
      const asn: ShipNotice = {
        kind: 'ship-notice',
        purpose: '00',
        shipmentId: `SHP-${pad(++asnSeq, 6)}`,
        shippedAt: `2026-11-${pad(ship, 2)}`,
        orders: [
          {
            purchaseOrder: ref,
            packs: [],
            items: shipped.map((l) => ({
              line: l.line,
              item: isSubstituted(l)
                ? { vendorItem: `SUB-${l.item.number}` }
                : { buyerItem: l.item.number, vendorItem: `V-${l.item.number}` },
              quantityShipped: { value: String(l.shipped), unit: l.unit },
              lot: `LOT-${number}-${l.line}`,
            })),
          },
        ],
      };
      messages.push({
        channel: 'supplier-inbound',
        format: 'x12',
        raw: x12(partner, asn as CanonicalDocument),
        controlId: asn.shipmentId,
        deliveries: [],
      });
    }

    // 810
    if (asnMissing) continue; // nothing shipped, nothing billed
    counts.invoices!++;
    const invNumber = `INV-${partner.gs}-${pad(++invSeq, 6)}`;
    const fault810 = rand();
    let acc = 0;
    const pickFault = (rate: number) => {
      const hit = fault810 >= acc && fault810 < acc + rate;
      acc += rate;
      return hit;
    };
    const price = pickFault(RATES.priceOverOrder);
    const qtyOver = pickFault(RATES.quantityOverReceived);
    const total = pickFault(RATES.totalArithmetic);
    const noise = partner.id === 'acme-medical' && pickFault(RATES.priceNoiseWithinTolerance);
    const eaches = pickFault(RATES.invoiceInEaches);
    const invLines = shipped.map((l, i) => {
      let qty = isShort(l) ? l.qty : l.shipped;
      let unitPrice = l.price;
      let unit = l.unit;
      if (i === 0 && price) unitPrice = Math.round(l.price * 1.05 * 100) / 100 + 1;
      if (i === 0 && qtyOver) qty += 1;
      if (i === 0 && noise) unitPrice = Math.round((l.price + 0.01) * 100) / 100;
      if (eaches && l.item.conversion > 1) {
        qty *= l.item.conversion;
        unitPrice = l.item.price;
        unit = 'EA';
      }
      return {
        line: l.line,
        item: isSubstituted(l) ? { vendorItem: `SUB-${l.item.number}` } : { buyerItem: l.item.number, vendorItem: `V-${l.item.number}` },
        quantity: { value: String(qty), unit },
        unitPrice: { amount: money(unitPrice) },
        purchaseOrderLine: l.line,
      };
    });
    if (price) fault({ kind: 'price-over-order', rule: 'three-way-mismatch', docKey: invNumber, line: '1' });
    if (qtyOver) fault({ kind: 'quantity-over-received', rule: 'three-way-mismatch', docKey: invNumber, line: '1' });
    if (short) fault({ kind: 'short-shipment-billed-full', rule: 'three-way-mismatch', docKey: invNumber, line: short.line });
    if (total) fault({ kind: 'invoice-total-arithmetic', rule: 'three-way-mismatch', docKey: invNumber });
    const sum = invLines.reduce((s, l) => s + Math.round(Number(l.quantity.value) * Number(l.unitPrice.amount) * 100), 0) / 100;
    const invoice: Invoice = {
      kind: 'invoice',
      number: invNumber,
      invoiceDate: `2026-11-${pad(Math.min(30, ship + 1), 2)}`,
      purchaseOrder: ref,
      currency: 'USD',
      lines: invLines,
      total: { amount: money(total ? sum + Math.max(10, Math.round(sum * 2) / 100) : sum) },
    };
    messages.push({
      channel: 'supplier-inbound',
      format: 'x12',
      raw: x12(partner, invoice as CanonicalDocument),
      controlId: invNumber,
      deliveries: [],
    });
    if (chance(RATES.duplicateInvoiceNumber)) {
      fault({ kind: 'duplicate-invoice-number', rule: 'duplicate-invoice', docKey: invNumber });
      messages.push({
        channel: 'supplier-inbound',
        format: 'x12',
        raw: x12(partner, invoice as CanonicalDocument),
        controlId: `${invNumber}-again`,
        deliveries: [],
        later: true,
      });
    } else if (chance(RATES.duplicateInvoiceContent)) {
      const other = `INV-${partner.gs}-${pad(++invSeq, 6)}`;
      fault({ kind: 'duplicate-invoice-content', rule: 'duplicate-invoice', docKey: other });
      messages.push({
        channel: 'supplier-inbound',
        format: 'x12',
        raw: x12(partner, { ...invoice, number: other } as CanonicalDocument),
        controlId: other,
        deliveries: [],
        later: true,
      });
    }
    // The ERP's receipt for a share of the orders (the dock scanned what arrived).
    if (chance(0.2)) {
      const receipt = {
        kind: 'receipt',
        number: `RCV-${pad(++rcvSeq, 6)}`,
        receivedAt: `2026-11-${pad(Math.min(30, ship + 1), 2)}`,
        purchaseOrder: ref,
        lines: shipped.map((l) => ({
          line: l.line,
          item: isSubstituted(l) ? { vendorItem: `SUB-${l.item.number}` } : { buyerItem: l.item.number },
          quantity: { value: String(l.shipped), unit: l.unit },
        })),
      };
      messages.push({
        channel: 'erp-receipts',
        format: 'json',
        raw: Buffer.from(JSON.stringify(receipt)),
        controlId: receipt.number,
        deliveries: [],
      });
    }
  }
  // Ship notices and receipts for orders nobody placed; invoices for orders nobody placed.
  const orphanCount = Math.max(1, Math.round(counts.orders! * RATES.receiptWithoutPo));
  for (let i = 0; i < orphanCount; i++) {
    const partner = pick(PARTNERS);
    const item = pick(items);
    const ref = { type: 'purchase-order', number: `PO-UNKNOWN-${pad(i, 4)}` };
    const asn = {
      kind: 'ship-notice',
      purpose: '00',
      shipmentId: `SHP-X${pad(i, 5)}`,
      shippedAt: `2026-11-${pad(1 + (i % 28), 2)}`,
      orders: [
        {
          purchaseOrder: ref,
          packs: [],
          items: [{ line: '1', item: { buyerItem: item.number }, quantityShipped: { value: '2', unit: 'EA' } }],
        },
      ],
    };
    fault({ kind: 'receipt-without-po', rule: 'receipt-without-po', docKey: asn.shipmentId });
    messages.push({
      channel: 'supplier-inbound',
      format: 'x12',
      raw: x12(partner, asn as CanonicalDocument),
      controlId: asn.shipmentId,
      deliveries: [],
    });
    const inv = {
      kind: 'invoice',
      number: `INV-X${pad(i, 5)}`,
      invoiceDate: `2026-11-${pad(1 + (i % 28), 2)}`,
      purchaseOrder: { type: 'purchase-order', number: `PO-NEVER-${pad(i, 4)}` },
      lines: [
        { line: '1', item: { buyerItem: item.number }, quantity: { value: '1', unit: 'EA' }, unitPrice: { amount: money(item.price) } },
      ],
      total: { amount: money(item.price) },
    };
    fault({ kind: 'invoice-without-po', rule: 'invoice-without-po', docKey: inv.number });
    messages.push({
      channel: 'supplier-inbound',
      format: 'x12',
      raw: x12(partner, inv as CanonicalDocument),
      controlId: inv.number,
      deliveries: [],
    });
  }

  const tables = {
    'item-master': {
      columns: ['item', 'description', 'unit', 'supplier', 'purchase_uom', 'conversion', 'price'],
      rows: items.map((i) => ({
        item: i.number,
        description: i.description,
        unit: 'EA',
        supplier: i.supplier.id,
        purchase_uom: i.purchaseUnit,
        conversion: String(i.conversion),
        price: money(i.price),
      })),
    },
    chargemaster: { columns: ['item', 'charge_code'], rows: items.map((i) => ({ item: i.number, charge_code: `C-${i.number}` })) },
    uom: { columns: ['unit', 'erp_unit', 'factor'], rows: [{ unit: 'EA', erp_unit: 'EA', factor: '1' }] },
  };
  return { messages, faults, tables, counts };
}
