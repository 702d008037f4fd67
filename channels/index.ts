import type { SourceDefinition } from './types.js';
import { mllp } from './mllp/index.js';
import { file } from './file/index.js';
import { http } from './http/index.js';
import { as2 } from './as2/index.js';

/** Every source type, listed explicitly: adding one is one file (or folder) and one line here. */
export const sources: readonly SourceDefinition[] = [mllp, file, http, as2];
