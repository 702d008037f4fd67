import type { DestinationDefinition } from '../../types.js';
import { x12DestinationSchema, type X12DestinationConfig } from './config.js';
import { X12Destination } from './destination.js';

export { x12DestinationSchema, type X12DestinationConfig } from './config.js';
export { X12Destination, fileNameFor } from './destination.js';
export type { X12PartnerProfile, X12SentRecord, X12Services } from './services.js';

/**
 * The `x12` destination type: canonical document → interchange for a partner, written atomically
 * into the partner outbound directory (file transport), recorded with its control numbers and the
 * acknowledgments expected back. Needs the engine's X12 services (`DestinationContext.services.x12`).
 */
export const x12: DestinationDefinition<X12DestinationConfig> = {
  type: 'x12',
  schema: x12DestinationSchema,
  create: (config, ctx) => new X12Destination(config, ctx),
};
