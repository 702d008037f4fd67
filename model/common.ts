import { z } from 'zod';

/**
 * Building blocks shared by every canonical document. Dates are ISO 8601 strings (`2026-11-21`,
 * `2026-11-21T14:05:00-05:00`, or a partial date when the source had only that precision); amounts
 * are decimal strings so that money never passes through binary floating point.
 */
export const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal number such as 12.50');
export const IsoDate = z
  .string()
  .regex(/^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/, 'an ISO 8601 date or date-time');

/** An identifier and the system that issued it (`{ system: 'GTIN', value: '00888…' }`). */
export const Identifier = z.object({
  system: z.string().optional(),
  value: z.string().min(1),
  type: z.string().optional(),
});
export type Identifier = z.infer<typeof Identifier>;

/** A coded value with its code system, e.g. a charge code or a unit of measure. */
export const Code = z.object({
  code: z.string().min(1),
  system: z.string().optional(),
  display: z.string().optional(),
});
export type Code = z.infer<typeof Code>;

/** A quantity with its unit as the source said it (`EA`, `BX`, `CS`); crosswalks convert later. */
export const Quantity = z.object({ value: Decimal, unit: z.string().optional() });
export type Quantity = z.infer<typeof Quantity>;

export const Money = z.object({ amount: Decimal, currency: z.string().length(3).optional() });
export type Money = z.infer<typeof Money>;

export const Address = z.object({
  lines: z.array(z.string()).optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
});
export type Address = z.infer<typeof Address>;

/** A party named in a document: a supplier, a ship-to, a bill-to, a buyer. */
export const Party = z.object({
  role: z.string().optional(),
  name: z.string().optional(),
  identifiers: z.array(Identifier).optional(),
  address: Address.optional(),
  contact: z.object({ name: z.string().optional(), phone: z.string().optional(), email: z.string().optional() }).optional(),
});
export type Party = z.infer<typeof Party>;

/** A reference to another document (`{ type: 'purchase-order', number: '4500012345' }`). */
export const DocumentRef = z.object({ type: z.string(), number: z.string(), date: IsoDate.optional() });
export type DocumentRef = z.infer<typeof DocumentRef>;

/** Where a document came from: format, control ids. Carries ids only, never PHI. */
export const Source = z.object({
  format: z.enum(['hl7v2', 'fhir', 'x12', 'csv', 'fixed', 'json']),
  messageType: z.string().optional(),
  controlId: z.string().optional(),
  sender: z.string().optional(),
  receiver: z.string().optional(),
  version: z.string().optional(),
});
export type Source = z.infer<typeof Source>;
