import type { SourceDefinition } from '../types.js';
import { httpSourceSchema, type HttpSourceConfig } from './config.js';
import { HttpSource } from './source.js';

export { httpSourceSchema, type HttpSourceConfig } from './config.js';
export { HttpSource } from './source.js';
export { authCheck, constantTimeEqual, type AuthCheck } from './auth.js';
export { acceptsMediaType, MAX_ID_LENGTH } from './request.js';

/**
 * The HTTP listener source. Each request body is stored before it is answered: 202 with the message
 * id once stored, 200 for a duplicate, 503 with Retry-After when the store refused; a positive
 * status is never sent for a message that is not stored.
 */
export const http: SourceDefinition<HttpSourceConfig> = {
  type: 'http',
  schema: httpSourceSchema,
  create: (config, ctx) => new HttpSource(config, ctx),
};
