import type { DestinationDefinition } from '../types.js';
import { fhir } from './fhir/index.js';
import { file } from './file/index.js';
import { http } from './http.js';
import { x12 } from './x12/index.js';
import { as2 } from './as2/index.js';

/** Every destination type, listed explicitly: adding one is one file (or folder) and one line here. */
export const destinations: readonly DestinationDefinition[] = [http, x12, fhir, file, as2];
