import type * as R4 from 'fhir/r4.js';
import type { Diagnostic } from '../../lib/errors.js';
import { parseGs1Udi } from '../../lib/udi.js';
import type { CanonicalDocument, Code, DocumentRef, Identifier, Money, Quantity, Source, UsageLine } from '../../model/index.js';

/** Resolves a reference inside the message: `#id` (contained), a Bundle entry's fullUrl, or `Type/id` of an entry. */
type Resolver = (ref: R4.Reference | undefined, from: R4.Resource) => R4.Resource | undefined;

type Mapped = { documents: CanonicalDocument[]; diagnostics: Diagnostic[] };

/**
 * The canonical documents a FHIR resource carries. A Bundle gives those of each entry, in order.
 * Mapped: ChargeItem → charge; SupplyDelivery → supply-usage when it delivers to a patient, else
 * receipt; SupplyRequest → purchase-order; Device → device; Encounter → encounter; Patient →
 * patient (identifiers only); Claim → one charge per item; Invoice → invoice; Procedure →
 * supply-usage of its used items and focal devices. Other resource types map to nothing (a warning).
 */
export function fhirToCanonical(resource: R4.Resource): Mapped {
  const out: Mapped = { documents: [], diagnostics: [] };
  const entries = resource.resourceType === 'Bundle' ? ((resource as R4.Bundle).entry ?? []) : [{ resource } as R4.BundleEntry];
  const resolve = resolver(resource);
  const parts = usageParts(entries, resolve);
  entries.forEach((e, i) => {
    const r = e.resource;
    if (!r) return;
    if (parts.of.has(r)) return; // a line of its Procedure's usage, mapped there
    const at = resource.resourceType === 'Bundle' ? `Bundle.entry[${i}].resource` : r.resourceType;
    const mapper = MAPPERS[r.resourceType];
    if (!mapper) {
      if (r.resourceType !== 'OperationOutcome')
        out.diagnostics.push({
          severity: 'warning',
          code: 'fhir-not-mapped',
          message: `${at}: ${r.resourceType} has no canonical mapping; it is kept in the message only`,
        });
      return;
    }
    const mapped =
      r.resourceType === 'Procedure'
        ? procedure(r as R4.Procedure, resolve, at, out.diagnostics, parts.lines.get(r) ?? [], parts.prices)
        : mapper(r as never, resolve, at, out.diagnostics);
    for (const doc of mapped) out.documents.push(doc);
  });
  return out;
}

type Mapper<T> = (r: T, resolve: Resolver, at: string, diagnostics: Diagnostic[]) => CanonicalDocument[];

const MAPPERS: Record<string, Mapper<never>> = {
  ChargeItem: chargeItem as Mapper<never>,
  SupplyDelivery: supplyDelivery as Mapper<never>,
  SupplyRequest: supplyRequest as Mapper<never>,
  Device: device as Mapper<never>,
  Encounter: encounter as Mapper<never>,
  Patient: patient as Mapper<never>,
  Claim: claim as Mapper<never>,
  Invoice: invoice as Mapper<never>,
  Procedure: procedure as Mapper<never>,
};

function source(r: R4.Resource & { identifier?: R4.Identifier | R4.Identifier[] }): Source {
  const id = businessId(r) ?? r.id;
  return { format: 'fhir', messageType: r.resourceType, version: 'R4', ...(id ? { controlId: id } : {}) };
}

function ids(r: { identifier?: R4.Identifier | R4.Identifier[] }): R4.Identifier[] {
  const v = r.identifier;
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The value of the first identifier (preferring one with a system): the business key. */
function businessId(r: { identifier?: R4.Identifier | R4.Identifier[] }): string | undefined {
  const list = ids(r);
  return (list.find((i) => i.system && i.value) ?? list.find((i) => i.value))?.value;
}

function identifier(i: R4.Identifier | undefined): Identifier | undefined {
  if (!i?.value) return undefined;
  const type = i.type?.coding?.[0]?.code ?? i.type?.text;
  return { value: i.value, ...(i.system ? { system: i.system } : {}), ...(type ? { type } : {}) };
}

/** A reference as an identifier: its `identifier`, else the resolved resource's business identifier, else `Type/id`. */
function refIdentifier(ref: R4.Reference | undefined, from: R4.Resource, resolve: Resolver): Identifier | undefined {
  if (!ref) return undefined;
  const direct = identifier(ref.identifier);
  if (direct) return direct;
  const target = resolve(ref, from) as (R4.Resource & { identifier?: R4.Identifier[] }) | undefined;
  const fromTarget = target ? identifier(ids(target).find((i) => i.value)) : undefined;
  if (fromTarget) return fromTarget;
  return ref.reference ? { value: ref.reference } : undefined;
}

function refText(ref: R4.Reference | undefined, from: R4.Resource, resolve: Resolver): string | undefined {
  return refIdentifier(ref, from, resolve)?.value ?? ref?.display;
}

function code(cc: R4.CodeableConcept | undefined): Code | undefined {
  // Shapes are not trusted here: a resource that failed validation is still mapped as far as it goes.
  const c = Array.isArray(cc?.coding) ? cc.coding.find((x) => typeof x?.code === 'string') : undefined;
  if (c?.code)
    return {
      code: c.code,
      ...(c.system ? { system: c.system } : {}),
      ...((c.display ?? cc?.text) ? { display: c.display ?? cc?.text } : {}),
    };
  return cc?.text ? { code: cc.text } : undefined;
}

function decimal(n: number | undefined): string | undefined {
  if (n === undefined || !Number.isFinite(n)) return undefined;
  const s = String(n);
  return /e/i.test(s) ? n.toFixed(10).replace(/\.?0+$/, '') : s;
}

function quantity(q: R4.Quantity | undefined, fallback = '1'): Quantity {
  const value = decimal(q?.value) ?? fallback;
  const unit = q?.code ?? q?.unit;
  return { value, ...(unit ? { unit } : {}) };
}

function money(m: R4.Money | undefined): Money | undefined {
  const amount = decimal(m?.value);
  return amount ? { amount, ...(m?.currency ? { currency: m.currency } : {}) } : undefined;
}

function dateOf(v: { dateTime?: string; period?: R4.Period; timing?: R4.Timing }): string | undefined {
  return v.dateTime ?? v.period?.start ?? v.timing?.event?.[0];
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function chargeItem(r: R4.ChargeItem, resolve: Resolver, at: string, diagnostics: Diagnostic[]): CanonicalDocument[] {
  const c = code(r.code);
  if (!c) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}.code: the ChargeItem has no code or text; expected the charge code (CDM) it bills`,
    });
    return [];
  }
  const product = r.productReference ? (resolve(r.productReference, r) as R4.Device | undefined) : undefined;
  const udi = product?.udiCarrier?.[0];
  const parts = udi?.carrierHRF ? parseGs1Udi(udi.carrierHRF) : undefined;
  const productCode = code(r.productCodeableConcept);
  const price = money(r.priceOverride);
  const diagnosisCodes = (r.reason ?? []).map((x) => code(x)?.code).filter((x): x is string => !!x);
  const references = (r.service ?? []).map((s) => refDoc(s, r, resolve)).filter((x): x is DocumentRef => !!x);
  const qty = quantity(r.quantity);
  return [
    compact({
      kind: 'charge' as const,
      transactionId: businessId(r) ?? r.id,
      status: r.status,
      accountNumber: r.account?.[0] ? refText(r.account[0], r, resolve) : undefined,
      visitNumber: r.context ? refText(r.context, r, resolve) : undefined,
      patientId: refIdentifier(r.subject, r, resolve),
      postedAt: r.enteredDate,
      serviceDate: dateOf({ dateTime: r.occurrenceDateTime, period: r.occurrencePeriod, timing: r.occurrenceTiming }),
      code: c,
      itemNumber:
        productCode?.code ??
        (product ? (businessId(product) ?? udi?.deviceIdentifier ?? parts?.deviceIdentifier ?? product.id) : r.productReference?.display),
      quantity: qty,
      unitPrice: price,
      amount: price ? { ...price, amount: multiply(price.amount, qty.value) } : undefined,
      department: refText(r.performingOrganization ?? r.requestingOrganization, r, resolve) ?? r.costCenter?.display,
      performedBy: r.performer?.[0] ? refText(r.performer[0].actor, r, resolve) : undefined,
      orderedBy: r.enterer ? refText(r.enterer, r, resolve) : undefined,
      diagnosisCodes: diagnosisCodes.length > 0 ? diagnosisCodes : undefined,
      udi: udi?.deviceIdentifier ?? parts?.deviceIdentifier,
      lot: product?.lotNumber ?? parts?.lot,
      serial: product?.serialNumber ?? parts?.serial,
      references: references.length > 0 ? references : undefined,
      source: source(r),
    }),
  ];
}

function refDoc(ref: R4.Reference, from: R4.Resource, resolve: Resolver): DocumentRef | undefined {
  const target = resolve(ref, from);
  const type = target?.resourceType ?? ref.type ?? ref.reference?.split('/')[0];
  const number = refText(ref, from, resolve);
  return type && number ? { type: kebab(type), number } : undefined;
}

function kebab(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Exact decimal product of two decimal strings (no binary floating point for money). */
function multiply(a: string, b: string): string {
  const scale = (s: string) => (s.split('.')[1] ?? '').length;
  const sa = scale(a);
  const sb = scale(b);
  const p = BigInt(a.replace('.', '')) * BigInt(b.replace('.', ''));
  const s = sa + sb;
  const neg = p < 0n;
  const digits = (neg ? -p : p).toString().padStart(s + 1, '0');
  const out = s === 0 ? digits : `${digits.slice(0, -s)}.${digits.slice(-s)}`;
  return (neg ? '-' : '') + out;
}

function itemOf(
  r: { itemCodeableConcept?: R4.CodeableConcept; itemReference?: R4.Reference },
  from: R4.Resource,
  resolve: Resolver,
): { number?: string; description?: string; device?: R4.Device } {
  const c = code(r.itemCodeableConcept);
  if (c) return { number: c.code, description: c.display };
  const target = r.itemReference ? resolve(r.itemReference, from) : undefined;
  if (target?.resourceType === 'Device') {
    const d = target as R4.Device;
    return { number: businessId(d) ?? d.udiCarrier?.[0]?.deviceIdentifier ?? d.id, description: d.deviceName?.[0]?.name, device: d };
  }
  return { number: refText(r.itemReference, from, resolve), description: r.itemReference?.display };
}

/** Lot, serial, expiry and UDI of a used device: from the Device, else from its GS1 label. */
function traceability(dev: R4.Device | undefined): {
  lot?: string;
  serial?: string;
  expiresOn?: string;
  udi?: string;
  deviceIdentifier?: string;
  manufacturer?: string;
} {
  const carrier = dev?.udiCarrier?.[0];
  const parts = carrier?.carrierHRF ? parseGs1Udi(carrier.carrierHRF) : undefined;
  return {
    lot: dev?.lotNumber ?? parts?.lot,
    serial: dev?.serialNumber ?? parts?.serial,
    expiresOn: dev?.expirationDate?.slice(0, 10) ?? parts?.expiresOn,
    udi: carrier?.carrierHRF,
    deviceIdentifier: carrier?.deviceIdentifier ?? parts?.deviceIdentifier,
    manufacturer: dev?.manufacturer,
  };
}

function supplyDelivery(r: R4.SupplyDelivery, resolve: Resolver, at: string, diagnostics: Diagnostic[]): CanonicalDocument[] {
  const item = r.suppliedItem ? itemOf(r.suppliedItem, r, resolve) : {};
  if (!item.number) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}.suppliedItem: no item (itemCodeableConcept or itemReference); expected what was delivered`,
    });
    return [];
  }
  const number = businessId(r) ?? r.id;
  if (!number) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}.identifier: the SupplyDelivery has neither identifier nor id; expected a business key`,
    });
    return [];
  }
  const when = dateOf({ dateTime: r.occurrenceDateTime, period: r.occurrencePeriod, timing: r.occurrenceTiming });
  const qty = quantity(r.suppliedItem?.quantity);
  const dev = item.device;
  const parts = dev?.udiCarrier?.[0]?.carrierHRF ? parseGs1Udi(dev.udiCarrier[0].carrierHRF) : undefined;
  if (r.patient) {
    // Delivered to a patient: a consumption (an implant in the OR), like an HL7 DFT^P03 line.
    return [
      compact({
        kind: 'supply-usage' as const,
        eventId: number,
        occurredAt: when,
        patientId: refIdentifier(r.patient, r, resolve),
        location: r.destination ? refText(r.destination, r, resolve) : undefined,
        lines: [
          compact({
            line: 1,
            itemNumber: item.number,
            description: item.description,
            quantity: qty,
            ...traceability(dev),
            transactionId: number,
            performedAt: when,
          }),
        ],
        source: source(r),
      }),
    ];
  }
  if (!when) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}.occurrence[x]: a SupplyDelivery without a patient is a receipt and needs its date; none given`,
    });
    return [];
  }
  const po = r.basedOn?.[0];
  return [
    compact({
      kind: 'receipt' as const,
      number,
      receivedAt: when,
      purchaseOrder: po ? (refText(po, r, resolve) ? { type: 'purchase-order', number: refText(po, r, resolve)! } : undefined) : undefined,
      location: r.destination ? refText(r.destination, r, resolve) : undefined,
      lines: [
        compact({
          line: '1',
          item: compact({
            buyerItem: item.number,
            description: item.description,
            identifiers: dev?.udiCarrier?.[0]?.deviceIdentifier
              ? [{ system: 'UDI-DI', value: dev.udiCarrier[0].deviceIdentifier }]
              : undefined,
          }),
          quantity: qty,
          lot: dev?.lotNumber ?? parts?.lot,
          serial: dev?.serialNumber ?? parts?.serial,
          expiresOn: dev?.expirationDate?.slice(0, 10) ?? parts?.expiresOn,
        }),
      ],
      source: source(r),
    }),
  ];
}

function supplyRequest(r: R4.SupplyRequest, resolve: Resolver, at: string, diagnostics: Diagnostic[]): CanonicalDocument[] {
  const item = itemOf(r, r, resolve);
  const number = businessId(r) ?? r.id;
  const orderDate = r.authoredOn ?? dateOf({ dateTime: r.occurrenceDateTime, period: r.occurrencePeriod, timing: r.occurrenceTiming });
  const missing = [!item.number && 'item[x]', !number && 'identifier', !orderDate && 'authoredOn'].filter(Boolean);
  if (missing.length > 0) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}: the SupplyRequest has no ${missing.join(', ')}; expected what is requested, its business key and when`,
    });
    return [];
  }
  const parties = [
    ...(r.supplier ?? []).map((s) =>
      compact({
        role: 'supplier',
        name: s.display,
        identifiers: refIdentifier(s, r, resolve) ? [refIdentifier(s, r, resolve)!] : undefined,
      }),
    ),
    ...(r.deliverTo
      ? [
          compact({
            role: 'ship-to',
            name: r.deliverTo.display,
            identifiers: refIdentifier(r.deliverTo, r, resolve) ? [refIdentifier(r.deliverTo, r, resolve)!] : undefined,
          }),
        ]
      : []),
    ...(r.requester
      ? [
          compact({
            role: 'buyer',
            name: r.requester.display,
            identifiers: refIdentifier(r.requester, r, resolve) ? [refIdentifier(r.requester, r, resolve)!] : undefined,
          }),
        ]
      : []),
  ];
  return [
    compact({
      kind: 'purchase-order' as const,
      number: number!,
      orderDate: orderDate!,
      orderType: code(r.category)?.code ?? 'supply-request',
      purpose: r.status,
      parties,
      lines: [
        compact({ line: '1', item: compact({ buyerItem: item.number, description: item.description }), quantity: quantity(r.quantity) }),
      ],
      source: source(r),
    }),
  ];
}

function device(r: R4.Device, resolve: Resolver, at: string, diagnostics: Diagnostic[]): CanonicalDocument[] {
  const udi = (r.udiCarrier ?? []).map((u) =>
    compact({
      deviceIdentifier: u.deviceIdentifier,
      issuer: u.issuer,
      jurisdiction: u.jurisdiction,
      carrierHRF: u.carrierHRF,
      carrierAIDC: u.carrierAIDC,
      entryType: u.entryType,
    }),
  );
  const parts = r.udiCarrier?.map((u) => (u.carrierHRF ? parseGs1Udi(u.carrierHRF) : undefined)).find((p) => p);
  if (udi.length === 0 && ids(r).length === 0 && !r.id) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}: the Device has no udiCarrier, identifier or id; expected something that identifies it`,
    });
    return [];
  }
  for (const [n, u] of (r.udiCarrier ?? []).entries()) {
    const p = u.carrierHRF ? parseGs1Udi(u.carrierHRF) : undefined;
    if (p && u.deviceIdentifier && p.deviceIdentifier !== u.deviceIdentifier) {
      diagnostics.push({
        severity: 'warning',
        code: 'fhir-udi-mismatch',
        message: `${at}.udiCarrier[${n}]: carrierHRF encodes device identifier ${p.deviceIdentifier} but deviceIdentifier is ${u.deviceIdentifier}`,
      });
    }
  }
  return [
    compact({
      kind: 'device' as const,
      id: r.id,
      udi: udi.length > 0 ? udi : undefined,
      identifiers:
        ids(r).length > 0
          ? ids(r)
              .map(identifier)
              .filter((x): x is Identifier => !!x)
          : undefined,
      itemNumber: r.modelNumber,
      description: r.deviceName?.[0]?.name ?? code(r.type)?.display,
      manufacturer: r.manufacturer,
      model: r.modelNumber,
      lot: r.lotNumber ?? parts?.lot,
      serial: r.serialNumber ?? parts?.serial,
      expiresOn: r.expirationDate?.slice(0, 10) ?? parts?.expiresOn,
      manufacturedOn: r.manufactureDate?.slice(0, 10) ?? parts?.manufacturedOn,
      status: r.status,
      patientId: refIdentifier(r.patient, r, resolve),
      location: r.location ? refText(r.location, r, resolve) : undefined,
      source: source(r),
    }),
  ];
}

function encounter(r: R4.Encounter, resolve: Resolver): CanonicalDocument[] {
  const attending = r.participant?.find((p) => p.type?.some((t) => t.coding?.some((c) => c.code === 'ATND')));
  return [
    compact({
      kind: 'encounter' as const,
      event: r.status,
      visitNumber: businessId(r) ?? r.id,
      accountNumber: r.account?.[0] ? refText(r.account[0], r, resolve) : undefined,
      patientId: refIdentifier(r.subject, r, resolve),
      patientClass: r.class?.code,
      location: r.location?.[0] ? refText(r.location[0].location, r, resolve) : undefined,
      facility: r.serviceProvider ? refText(r.serviceProvider, r, resolve) : undefined,
      admitAt: r.period?.start,
      dischargeAt: r.period?.end,
      attendingProvider: attending?.individual ? refText(attending.individual, r, resolve) : undefined,
      source: source(r),
    }),
  ];
}

function patient(r: R4.Patient, resolve: Resolver, at: string, diagnostics: Diagnostic[]): CanonicalDocument[] {
  const list = ids(r)
    .map(identifier)
    .filter((x): x is Identifier => !!x);
  if (list.length === 0 && r.id) list.push({ value: `Patient/${r.id}` });
  if (list.length === 0) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}.identifier: the Patient has no identifier or id; expected an MRN`,
    });
    return [];
  }
  return [
    compact({
      kind: 'patient' as const,
      identifiers: list,
      active: r.active,
      managingOrganization: r.managingOrganization ? refText(r.managingOrganization, r, resolve) : undefined,
      source: source(r),
    }),
  ];
}

function claim(r: R4.Claim, resolve: Resolver, at: string, diagnostics: Diagnostic[]): CanonicalDocument[] {
  const number = businessId(r) ?? r.id;
  const out: CanonicalDocument[] = [];
  for (const [n, item] of (r.item ?? []).entries()) {
    const c = code(item.productOrService);
    if (!c) {
      diagnostics.push({
        severity: 'error',
        code: 'fhir-unmappable',
        message: `${at}.item[${n}].productOrService: no code; expected the billed service or product`,
      });
      continue;
    }
    const unit = money(item.unitPrice);
    const qty = quantity(item.quantity);
    const revenue = code(item.revenue)?.code;
    out.push(
      compact({
        kind: 'charge' as const,
        transactionId: number ? `${number}-${item.sequence}` : undefined,
        transactionType: r.use,
        status: r.status,
        patientId: refIdentifier(r.patient, r, resolve),
        visitNumber: item.encounter?.[0] ? refText(item.encounter[0], r, resolve) : undefined,
        postedAt: r.created,
        serviceDate: item.servicedDate ?? item.servicedPeriod?.start ?? r.billablePeriod?.start,
        code: c,
        quantity: qty,
        unitPrice: unit,
        amount: money(item.net) ?? (unit ? { ...unit, amount: multiply(unit.amount, qty.value) } : undefined),
        department: revenue,
        performedBy: r.provider ? refText(r.provider, r, resolve) : undefined,
        diagnosisCodes: r.diagnosis?.length
          ? r.diagnosis.map((d) => code(d.diagnosisCodeableConcept)?.code).filter((x): x is string => !!x)
          : undefined,
        references: number ? [{ type: 'claim', number }] : undefined,
        source: source(r),
      }),
    );
  }
  if ((r.item ?? []).length === 0)
    diagnostics.push({ severity: 'warning', code: 'fhir-not-mapped', message: `${at}.item: the Claim has no items; no charge documents` });
  return out;
}

function invoice(r: R4.Invoice, resolve: Resolver, at: string, diagnostics: Diagnostic[]): CanonicalDocument[] {
  const number = businessId(r) ?? r.id;
  if (!number || !r.date) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}: the Invoice has no ${!number ? 'identifier' : 'date'}; expected its number and date`,
    });
    return [];
  }
  const lines = (r.lineItem ?? []).map((li, n) => {
    const base = li.priceComponent?.find((p) => p.type === 'base') ?? li.priceComponent?.[0];
    const charge = li.chargeItemReference ? (resolve(li.chargeItemReference, r) as R4.ChargeItem | undefined) : undefined;
    const c = code(li.chargeItemCodeableConcept) ?? (charge ? code(charge.code) : undefined);
    const extra = (li.priceComponent ?? [])
      .filter((p) => p !== base && p.amount && (p.type === 'surcharge' || p.type === 'deduction' || p.type === 'discount'))
      .map((p) =>
        compact({
          type: p.type === 'surcharge' ? ('charge' as const) : ('allowance' as const),
          code: code(p.code)?.code,
          amount: money(p.amount),
        }),
      );
    return compact({
      line: String(li.sequence ?? n + 1),
      item: compact({ buyerItem: c?.code ?? refText(li.chargeItemReference, r, resolve), description: c?.display }),
      quantity: charge ? quantity(charge.quantity) : { value: decimal(base?.factor) ?? '1' },
      unitPrice: money(base?.amount) ?? { amount: '0' },
      allowancesCharges: extra.length > 0 ? extra : undefined,
    });
  });
  if (lines.length === 0) {
    diagnostics.push({ severity: 'error', code: 'fhir-unmappable', message: `${at}.lineItem: the Invoice has no line items` });
    return [];
  }
  const total = money(r.totalGross) ?? money(r.totalNet);
  if (!total) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}.totalGross: the Invoice has neither totalGross nor totalNet`,
    });
    return [];
  }
  return [
    compact({
      kind: 'invoice' as const,
      number,
      invoiceDate: r.date,
      currency: total.currency,
      parties: [
        ...(r.issuer
          ? [
              compact({
                role: 'issuer',
                name: r.issuer.display,
                identifiers: refIdentifier(r.issuer, r, resolve) ? [refIdentifier(r.issuer, r, resolve)!] : undefined,
              }),
            ]
          : []),
        ...(r.recipient
          ? [
              compact({
                role: 'bill-to',
                name: undefined,
                identifiers: refIdentifier(r.recipient, r, resolve) ? [refIdentifier(r.recipient, r, resolve)!] : undefined,
              }),
            ]
          : []),
      ],
      lines,
      total,
      totals: { lineCount: lines.length },
      source: source(r),
    }),
  ];
}

/**
 * Supplies delivered to a patient as part of a Procedure of the same Bundle (`SupplyDelivery.partOf`):
 * each becomes a line of that Procedure's usage (with its quantity, and the Device's UDI, lot and
 * serial), so a case's implants and supplies are one usage event, as the FT1 lines of a DFT^P03 are.
 * A ChargeItem of the Bundle whose `service` is such a SupplyDelivery gives that line its unit price
 * (`priceOverride`), as FT1-12 does.
 */
function usageParts(
  entries: R4.BundleEntry[],
  resolve: Resolver,
): { of: Set<R4.Resource>; lines: Map<R4.Resource, R4.SupplyDelivery[]>; prices: Map<R4.Resource, Money> } {
  const of = new Set<R4.Resource>();
  const lines = new Map<R4.Resource, R4.SupplyDelivery[]>();
  const prices = new Map<R4.Resource, Money>();
  for (const e of entries) {
    const r = e.resource;
    if (r?.resourceType !== 'SupplyDelivery' || !(r as R4.SupplyDelivery).patient) continue;
    const owner = ((r as R4.SupplyDelivery).partOf ?? []).map((p) => resolve(p, r)).find((t) => t?.resourceType === 'Procedure');
    if (!owner) continue;
    of.add(r);
    lines.set(owner, [...(lines.get(owner) ?? []), r as R4.SupplyDelivery]);
  }
  for (const e of entries) {
    const r = e.resource;
    const price = r?.resourceType === 'ChargeItem' ? money((r as R4.ChargeItem).priceOverride) : undefined;
    if (!price) continue;
    for (const s of (r as R4.ChargeItem).service ?? []) {
      const line = resolve(s, r!);
      if (line && of.has(line)) prices.set(line, price);
    }
  }
  return { of, lines, prices };
}

function procedure(
  r: R4.Procedure,
  resolve: Resolver,
  at: string,
  diagnostics: Diagnostic[],
  deliveries: R4.SupplyDelivery[] = [],
  prices: ReadonlyMap<R4.Resource, Money> = new Map(),
): CanonicalDocument[] {
  const used = [
    ...(r.focalDevice ?? []).map((f) => ({ ref: f.manipulated, cc: undefined as R4.CodeableConcept | undefined })),
    ...(r.usedReference ?? []).map((ref) => ({ ref, cc: undefined as R4.CodeableConcept | undefined })),
    ...(r.usedCode ?? []).map((cc) => ({ ref: undefined as R4.Reference | undefined, cc })),
  ];
  if (used.length === 0 && deliveries.length === 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'fhir-not-mapped',
      message: `${at}: the Procedure lists no focalDevice, usedReference or usedCode, and no SupplyDelivery is part of it; no supply usage`,
    });
    return [];
  }
  const eventId = businessId(r) ?? r.id;
  if (!eventId) {
    diagnostics.push({
      severity: 'error',
      code: 'fhir-unmappable',
      message: `${at}.identifier: the Procedure has neither identifier nor id; expected a business key`,
    });
    return [];
  }
  const when = r.performedDateTime ?? r.performedPeriod?.start;
  // Devices the deliveries account for are not counted again from focalDevice/usedReference.
  const delivered = new Set(deliveries.map((d) => resolve(d.suppliedItem?.itemReference, d)).filter((x) => x));
  type Line = Omit<UsageLine, 'line'>;
  const lines = [
    ...used
      .filter((u) => !u.ref || !delivered.has(resolve(u.ref, r)))
      .map((u) => {
        const item = u.cc ? itemOf({ itemCodeableConcept: u.cc }, r, resolve) : itemOf({ itemReference: u.ref }, r, resolve);
        const line: Line = {
          itemNumber: item.number ?? 'unknown',
          description: item.description,
          quantity: { value: '1' },
          ...traceability(item.device),
        };
        return line;
      }),
    ...deliveries.map((d): Line => {
      const item = d.suppliedItem ? itemOf(d.suppliedItem, d, resolve) : {};
      return {
        itemNumber: item.number ?? 'unknown',
        description: item.description,
        quantity: quantity(d.suppliedItem?.quantity),
        ...traceability(item.device),
        transactionId: businessId(d) ?? d.id,
        unitPrice: prices.get(d),
        performedAt: dateOf({ dateTime: d.occurrenceDateTime, period: d.occurrencePeriod, timing: d.occurrenceTiming }),
      };
    }),
  ].map((l, n) => compact({ line: n + 1, ...l, performedAt: l.performedAt ?? when }));
  const encounter = r.encounter ? (resolve(r.encounter, r) as R4.Encounter | undefined) : undefined;
  const department = r.performer?.find((p) => p.onBehalfOf)?.onBehalfOf;
  return [
    compact({
      kind: 'supply-usage' as const,
      eventId,
      occurredAt: when,
      accountNumber: encounter?.account?.[0] ? refText(encounter.account[0], encounter, resolve) : undefined,
      department: department ? refText(department, r, resolve) : undefined,
      visitNumber: r.encounter ? refText(r.encounter, r, resolve) : undefined,
      patientId: refIdentifier(r.subject, r, resolve),
      location: r.location ? refText(r.location, r, resolve) : undefined,
      lines,
      source: source(r),
    }),
  ];
}

/** References inside one message: contained resources, Bundle entries by fullUrl and by `Type/id`. */
function resolver(root: R4.Resource): Resolver {
  const byUrl = new Map<string, R4.Resource>();
  if (root.resourceType === 'Bundle') {
    for (const e of (root as R4.Bundle).entry ?? []) {
      if (!e.resource) continue;
      if (e.fullUrl) byUrl.set(e.fullUrl, e.resource);
      if (e.resource.id) byUrl.set(`${e.resource.resourceType}/${e.resource.id}`, e.resource);
    }
  } else if (root.id) byUrl.set(`${root.resourceType}/${root.id}`, root);
  return (ref, from) => {
    const r = ref?.reference;
    if (typeof r !== 'string' || r === '') return undefined;
    if (r.startsWith('#')) {
      const contained = (from as R4.DomainResource).contained;
      return Array.isArray(contained) ? contained.find((c) => c?.id === r.slice(1)) : undefined;
    }
    return byUrl.get(r) ?? byUrl.get(r.replace(/^.*\/([A-Z][A-Za-z]+\/[^/]+)$/, '$1'));
  };
}
