import type { SourceDefinition } from '../types.js';
import { HttpSource } from '../http/source.js';
import { as2SourceSchema, type As2SourceConfig } from './config.js';
import { handleAs2Request, loadKeys } from './receiver.js';

export { as2SourceSchema, type As2SourceConfig } from './config.js';

/**
 * The AS2 receiver (RFC 4130), on the HTTP listener machinery: each message is unwrapped (decrypted,
 * verified against the partner's certificate, decompressed), stored, and only then answered with an
 * MDN, synchronous or asynchronous. Refused messages are stored as rejected and get a negative MDN.
 * When the channel parses X12, the engine's interchange service answers each stored payload
 * (997/999/TA1) through the partner's transport.
 */
export const as2: SourceDefinition<As2SourceConfig> = {
  type: 'as2',
  schema: as2SourceSchema,
  create: (config, ctx) => {
    const keys = loadKeys(config);
    return new HttpSource<As2SourceConfig>(config, ctx, {
      kind: 'as2',
      handler: (req, res, deps) => handleAs2Request(req, res, { ...deps, keys }),
    });
  },
};
