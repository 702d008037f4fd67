import { z } from 'zod';
import { Charge, Device, Encounter, Item, Location, ParLevel, Patient, PriceEntry, SupplyUsage } from './clinical.js';
import { ClaimPayment } from './remittance.js';
import { Invoice, PoAck, PurchaseOrder, Receipt, ShipNotice, Supplier } from './supply-chain.js';

export * from './common.js';
export * from './clinical.js';
export * from './supply-chain.js';
export * from './remittance.js';

/**
 * One canonical document. A parsed message yields a list of these (a DFT^P03 gives one encounter, one
 * supply-usage and one charge per FT1; an 856 gives one ship-notice). `kind` tells them apart.
 */
export const CanonicalDocument = z.discriminatedUnion('kind', [
  Item,
  Location,
  Encounter,
  SupplyUsage,
  Charge,
  Device,
  Patient,
  Supplier,
  PurchaseOrder,
  PoAck,
  ShipNotice,
  Receipt,
  Invoice,
  ClaimPayment,
  ParLevel,
  PriceEntry,
]);
export type CanonicalDocument = z.infer<typeof CanonicalDocument>;
export type CanonicalKind = CanonicalDocument['kind'];

/** Validates a document against its kind's schema; returns the issues as `path message` strings. */
export function validateDocument(doc: unknown): { ok: true; value: CanonicalDocument } | { ok: false; issues: string[] } {
  const result = CanonicalDocument.safeParse(doc);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => `${i.path.join('.') || '(document)'} ${i.message}`),
  };
}
