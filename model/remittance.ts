import { z } from 'zod';
import { Decimal, IsoDate, Money, Party, Source } from './common.js';

/**
 * Payment status coming back: what a payer answers for the claims the billing platform sent (an
 * X12 835). No patient names or member ids: a claim is known by the claim id we sent (CLP01,
 * usually the patient account) and each service by the charge id we sent (REF 6R).
 */

/** One adjustment: why a payer paid other than what was billed (CAS: group code, reason code, amount). */
export const ClaimAdjustment = z.object({
  /** CO contractual obligation, PR patient responsibility, OA other, PI payer initiated, CR correction. */
  group: z.string().min(1),
  /** Claim adjustment reason code (e.g. 45 over the fee schedule, 96 non-covered, 197 no authorization). */
  reason: z.string().min(1),
  amount: Decimal,
  quantity: Decimal.optional(),
});
export type ClaimAdjustment = z.infer<typeof ClaimAdjustment>;

/** The payment of one service line of a claim (SVC loop). */
export const ServicePayment = z.object({
  /** The procedure as billed: qualifier (HC HCPCS, NU revenue code…) and code, with modifiers. */
  procedure: z.object({ qualifier: z.string().min(1), code: z.string().min(1), modifiers: z.array(z.string()).optional() }),
  charged: Money,
  paid: Money,
  /** Revenue code, when the procedure is a HCPCS code and the line also carried one. */
  revenueCode: z.string().optional(),
  units: Decimal.optional(),
  /** The line item control number we sent (REF 6R): the charge's identifier (ChargeItem identifier). */
  chargeId: z.string().optional(),
  serviceDate: IsoDate.optional(),
  adjustments: z.array(ClaimAdjustment).optional(),
});
export type ServicePayment = z.infer<typeof ServicePayment>;

/** What happened to one claim (CLP loop). */
export const ClaimPaymentClaim = z.object({
  /** The claim id we sent (CLP01, the patient control number: usually the patient account). */
  claimId: z.string().min(1),
  /** `processed` (as primary, secondary or tertiary, paid in part or in full), `denied`, `reversed`, `other`. */
  status: z.enum(['processed', 'denied', 'reversed', 'other']),
  /** CLP02 as sent (1, 2, 3, 4, 19, 20, 21, 22, 23, 25). */
  statusCode: z.string().min(1),
  charged: Money,
  paid: Money,
  patientResponsibility: Money.optional(),
  /** The payer's own claim number (CLP07). */
  payerClaimNumber: z.string().optional(),
  /** Claim dates by DTM qualifier (232 statement from, 233 statement to, 050 received…). */
  dates: z.array(z.object({ qualifier: z.string(), date: IsoDate })).optional(),
  adjustments: z.array(ClaimAdjustment).optional(),
  services: z.array(ServicePayment).optional(),
});
export type ClaimPaymentClaim = z.infer<typeof ClaimPaymentClaim>;

/** A payer's payment (or denial) of claims: one check or transfer and the claims it answers. */
export const ClaimPayment = z.object({
  kind: z.literal('claim-payment'),
  /** The check or transfer trace number (TRN02): the document's key. */
  traceNumber: z.string().min(1),
  /** BPR01: I remittance with payment, H notification only, C payment with separate remittance… */
  handling: z.string().min(1),
  total: Money,
  /** BPR03: C credit (the payee is paid), D debit. */
  creditDebit: z.enum(['C', 'D']),
  /** BPR04: ACH, CHK, FWT, NON (no payment: every claim denied or zero)… */
  method: z.string().min(1),
  paymentDate: IsoDate.optional(),
  /** Header dates by DTM qualifier (405 production date). */
  dates: z.array(z.object({ qualifier: z.string(), date: IsoDate })).optional(),
  parties: z.array(Party).optional(),
  claims: z.array(ClaimPaymentClaim).min(1),
  source: Source.optional(),
});
export type ClaimPayment = z.infer<typeof ClaimPayment>;
