/**
 * The X12 services destinations use (`DestinationContext.services.x12`) are declared with the other
 * engine services in lib/services.ts; re-exported here for the X12 destination and its tests.
 */
export type { X12PartnerProfile, X12SentRecord, X12Services } from '../../../lib/services.js';
