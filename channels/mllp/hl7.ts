/**
 * The few things the listener needs from the HL7 v2 parser, in one place so the rest of the folder
 * does not depend on how `parsers/hl7v2/` spells them.
 */
export {
  ackCode,
  ackModeOf,
  ackWanted,
  buildAck,
  encodeText,
  hl7Timestamp,
  parseBatch,
  parseHl7,
  serialize,
  hl7v2,
} from '../../parsers/hl7v2/index.js';
export type { AckCode, AckMode, Hl7Batch, Hl7Message, Hl7Segment } from '../../parsers/hl7v2/index.js';
