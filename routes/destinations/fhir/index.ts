import type { DestinationDefinition } from '../../types.js';
import { fhirDestinationSchema, type FhirDestinationConfig } from './config.js';
import { FhirDestination } from './destination.js';

/** The `fhir` destination type. */
export const fhir: DestinationDefinition<FhirDestinationConfig> = {
  type: 'fhir',
  schema: fhirDestinationSchema,
  create: (config, ctx) => new FhirDestination(config, ctx),
};

export { fhirDestinationSchema, type FhirDestinationConfig };
