import { z } from 'zod';
import { duration } from '../../lib/config-fragments.js';

/** A non-negative amount written as a YAML number or as text (`0.05`, `${PRICE_TOLERANCE}`), named in its messages. */
const amount = (path: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
    z.number({ message: `${path} must be a number such as 0.05` }).nonnegative({ message: `${path} cannot be negative` }),
  );

const tolerance = (field: string, what: string) =>
  z
    .strictObject({
      absolute: amount(`reconciliation.tolerances.${field}.absolute`)
        .prefault(0)
        .describe(`Largest difference of ${what} accepted, in its own unit (quantity or currency).`),
      percent: amount(`reconciliation.tolerances.${field}.percent`)
        .prefault(0)
        .describe(`Largest difference of ${what} accepted, in percent of the expected value.`),
    })
    .prefault({})
    .describe(`Tolerance on ${what}: within the absolute OR the percentage difference is "within tolerance", beyond both an exception.`);

/** `reconciliation:` of a partner file: how exactly its invoices and ship notices must match our orders. */
export const partnerReconciliation = z
  .strictObject({
    tolerances: z
      .strictObject({
        quantity: tolerance('quantity', 'a quantity (invoiced or received against ordered)'),
        unitPrice: tolerance('unitPrice', 'a unit price (invoiced against ordered)'),
        extendedAmount: tolerance('extendedAmount', 'a line amount (invoiced quantity × price against received quantity × ordered price)'),
        total: tolerance('total', 'the invoice total (against the sum of its expected lines)'),
      })
      .prefault({})
      .describe('Per-field tolerances of the three-way match; 0 (the default) means exact.'),
  })
  .describe('Three-way match of this partner: purchase order (850 and 855 changes), receipt (856 or ERP receipt), invoice (810).');

export type PartnerReconciliation = z.output<typeof partnerReconciliation>;
export type Tolerances = PartnerReconciliation['tolerances'];
export type Tolerance = Tolerances['quantity'];

/** `reconciliation:` of engine.yaml: when it runs and the deadlines that make a missing document an exception. */
export const engineReconciliation = z
  .strictObject({
    enabled: z.boolean().prefault(true).describe('Run reconciliation continuously as documents arrive.'),
    interval: duration.prefault('1m').describe('How often new documents are looked for and the recent window reconciled again.'),
    window: duration.prefault('45d').describe('How far back (business dates) a continuous run reconciles.'),
    chargeDeadline: duration
      .prefault('72h')
      .describe('A billable usage line without exactly one accepted charge after this (from its usage date) is an exception.'),
    inventoryDeadline: duration
      .prefault('24h')
      .describe(
        'A usage line of a channel that posts usage to the ERP (a route with sends: inventory-posting) without a posting accepted by the ERP after this (from its usage date) is an exception.',
      ),
    facilities: z
      .record(
        z.string().min(1),
        z
          .strictObject({
            chargeDeadline: duration.optional().describe('Charge deadline of this facility (PV1-3.4 of the usage message).'),
            inventoryDeadline: duration.optional().describe('ERP posting deadline of the usage of this facility.'),
          })
          .describe('Settings of one facility.'),
      )
      .prefault({})
      .describe('Per-facility settings, by facility code.'),
    poAckDeadline: duration.prefault('48h').describe('An 855 is late after this (from the order date) when the partner file does not say.'),
    asnDeadline: duration
      .prefault('7d')
      .describe('An 856 (or a receipt) is late after this (from the order date) when the partner file does not say.'),
  })
  .describe('Reconciliation of business documents (docs/reconciliation.md).');

export type EngineReconciliation = z.output<typeof engineReconciliation>;
