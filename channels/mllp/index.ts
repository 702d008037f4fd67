import type { SourceDefinition } from '../types.js';
import { mllpSourceSchema, type MllpSourceConfig } from './config.js';
import { MllpSource } from './source.js';

export { mllpSourceSchema, type MllpSourceConfig } from './config.js';
export { encodeFrame, FrameDecoder, type FrameEvent } from './framing.js';
export { MllpClient, type MllpClientOptions } from './client.js';
export { MllpSource, nextAckControlId } from './source.js';

/**
 * The MLLP listener source. Every frame is stored (malformed ones as rejected) before it is answered;
 * a positive ACK (AA, or CA in enhanced mode) is written only after the store confirmed it, and ACKs
 * on a connection go back in the order the messages arrived.
 */
export const mllp: SourceDefinition<MllpSourceConfig> = {
  type: 'mllp',
  schema: mllpSourceSchema,
  create: (config, ctx) => new MllpSource(config, ctx),
};
