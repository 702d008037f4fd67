import { sources } from '../../channels/index.js';
import { destinations } from '../../routes/destinations/index.js';
import { bodySchema, conditionSchema, stepSchema } from '../../transforms/index.js';
import type { ConfigRegistry } from './channel-schema.js';

/** The registries of this build: what channel files may use. */
export const defaultRegistry: ConfigRegistry = { sources, destinations, stepSchema, bodySchema, conditionSchema };
