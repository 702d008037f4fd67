import type { X12Services } from '../../routes/destinations/x12/services.js';
import type { X12Ledger } from '../store/index.js';
import type { PartnerDirectory } from './partners.js';

/** The `x12` services the engine hands to destinations: partner profiles over the store's X12 ledger. */
export function createX12Services(ledger: X12Ledger, partners: PartnerDirectory): X12Services {
  return {
    partner: (id) => partners.profile(id),
    nextControlNumbers: (partner, request) => ledger.nextControlNumbers(partner, request),
    recordSent: (record) => ledger.recordX12Outbound(record),
    sentFor: (deliveryId) => ledger.x12SentFor(deliveryId),
  };
}
