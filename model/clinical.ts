import { z } from 'zod';
import { Code, Decimal, DocumentRef, Identifier, IsoDate, Money, Quantity, Source } from './common.js';

/** A supply item as known to the item master: number, description, unit, identifiers (GTIN, UDI…). */
export const Item = z.object({
  kind: z.literal('item'),
  number: z.string().min(1),
  description: z.string().optional(),
  identifiers: z.array(Identifier).optional(),
  unit: z.string().optional(),
  manufacturer: z.string().optional(),
  chargeCode: z.string().optional(),
  implant: z.boolean().optional(),
  source: Source.optional(),
});
export type Item = z.infer<typeof Item>;

/** A place: a department, an OR suite, a stock room, a ship-to dock. */
export const Location = z.object({
  kind: z.literal('location'),
  code: z.string().min(1),
  facility: z.string().optional(),
  pointOfCare: z.string().optional(),
  room: z.string().optional(),
  bed: z.string().optional(),
  description: z.string().optional(),
  source: Source.optional(),
});
export type Location = z.infer<typeof Location>;

/**
 * A patient visit. The patient account number is what billing posts against; the patient's name is
 * deliberately not part of the canonical model (PHI stays in the raw message).
 */
export const Encounter = z.object({
  kind: z.literal('encounter'),
  event: z.string().optional(),
  accountNumber: z.string().optional(),
  visitNumber: z.string().optional(),
  patientId: Identifier.optional(),
  patientClass: z.string().optional(),
  location: z.string().optional(),
  facility: z.string().optional(),
  admitAt: IsoDate.optional(),
  dischargeAt: IsoDate.optional(),
  attendingProvider: z.string().optional(),
  source: Source.optional(),
});
export type Encounter = z.infer<typeof Encounter>;

/** One consumed item in a usage event. */
export const UsageLine = z.object({
  line: z.number().int().positive(),
  itemNumber: z.string().min(1),
  description: z.string().optional(),
  quantity: Quantity,
  chargeCode: z.string().optional(),
  lot: z.string().optional(),
  serial: z.string().optional(),
  expiresOn: IsoDate.optional(),
  udi: z.string().optional(),
  /** The UDI device identifier (GS1 GTIN, HIBCC LIC+PCN), when the source gave or encoded one. */
  deviceIdentifier: z.string().optional(),
  manufacturer: z.string().optional(),
  unitPrice: Money.optional(),
  transactionId: z.string().optional(),
  performedAt: IsoDate.optional(),
});
export type UsageLine = z.infer<typeof UsageLine>;

/**
 * Supplies consumed for a patient (an implant in the OR, a catheter on the ward): what depletes ERP
 * inventory. HL7 DFT^P03 FT1 segments map to one usage event with one line each.
 */
export const SupplyUsage = z.object({
  kind: z.literal('supply-usage'),
  eventId: z.string().min(1),
  occurredAt: IsoDate.optional(),
  accountNumber: z.string().optional(),
  visitNumber: z.string().optional(),
  patientId: Identifier.optional(),
  location: z.string().optional(),
  department: z.string().optional(),
  lines: z.array(UsageLine).min(1),
  source: Source.optional(),
});
export type SupplyUsage = z.infer<typeof SupplyUsage>;

/** A billable line posted against a patient account. */
export const Charge = z.object({
  kind: z.literal('charge'),
  transactionId: z.string().optional(),
  transactionType: z.string().optional(),
  accountNumber: z.string().optional(),
  postedAt: IsoDate.optional(),
  serviceDate: IsoDate.optional(),
  code: Code,
  itemNumber: z.string().optional(),
  quantity: Quantity,
  unitPrice: Money.optional(),
  amount: Money.optional(),
  department: z.string().optional(),
  performedBy: z.string().optional(),
  orderedBy: z.string().optional(),
  diagnosisCodes: z.array(z.string()).optional(),
  /** Billing status as the source says it (FHIR ChargeItem.status: billable, billed, aborted…). */
  status: z.string().optional(),
  visitNumber: z.string().optional(),
  patientId: Identifier.optional(),
  /** The product charged for, when it is a device: its UDI device identifier, lot and serial. */
  udi: z.string().optional(),
  lot: z.string().optional(),
  serial: z.string().optional(),
  /** Documents this charge belongs to or came from (a claim, a procedure, a usage event). */
  references: z.array(DocumentRef).optional(),
  source: Source.optional(),
});
export type Charge = z.infer<typeof Charge>;

/** One UDI carrier of a device (FHIR Device.udiCarrier): the device identifier and the label as printed or scanned. */
export const Udi = z.object({
  deviceIdentifier: z.string().optional(),
  issuer: z.string().optional(),
  jurisdiction: z.string().optional(),
  /** Human-readable form, e.g. `(01)00884521123456(17)281231(10)LOT42(21)SN9`. */
  carrierHRF: z.string().optional(),
  /** Machine-readable form (base64 in FHIR), kept as given. */
  carrierAIDC: z.string().optional(),
  entryType: z.string().optional(),
});
export type Udi = z.infer<typeof Udi>;

/**
 * One physical device (an implant, an instrument): UDI, lot, serial, expiry, and the patient it is
 * in or was used for. Item-master facts (price, charge code) live on `item`.
 */
export const Device = z.object({
  kind: z.literal('device'),
  /** The sender's id of the device record. */
  id: z.string().optional(),
  udi: z.array(Udi).optional(),
  identifiers: z.array(Identifier).optional(),
  itemNumber: z.string().optional(),
  description: z.string().optional(),
  manufacturer: z.string().optional(),
  model: z.string().optional(),
  lot: z.string().optional(),
  serial: z.string().optional(),
  expiresOn: IsoDate.optional(),
  manufacturedOn: IsoDate.optional(),
  status: z.string().optional(),
  patientId: Identifier.optional(),
  location: z.string().optional(),
  source: Source.optional(),
});
export type Device = z.infer<typeof Device>;

/**
 * A patient, by identifiers only (MRN, enterprise id): names, birth date, address and the rest stay
 * in the raw message (PHI is not copied into the canonical model).
 */
export const Patient = z.object({
  kind: z.literal('patient'),
  identifiers: z.array(Identifier).min(1),
  active: z.boolean().optional(),
  managingOrganization: z.string().optional(),
  source: Source.optional(),
});
export type Patient = z.infer<typeof Patient>;

export { Decimal };
