import type { TransactionSetMapper } from '../types.js';
import { claimPayment835 } from './claim-payment-835.js';
import { invoice810 } from './invoice-810.js';
import { po850 } from './po-850.js';
import { poAck855 } from './po-ack-855.js';
import { shipNotice856 } from './ship-notice-856/index.js';

export { claimPayment835, invoice810, po850, poAck855, shipNotice856 };
export { setDiagnosticCodes, setFindings, type SetDiagnosticCode } from './common/diagnostics.js';
export { computedInvoiceTotal } from './invoice-total.js';

/** The transaction sets Interlace maps to and from the canonical model, one mapper per ST01. */
export const transactionSets: readonly TransactionSetMapper[] = [po850, poAck855, shipNotice856, invoice810, claimPayment835];
