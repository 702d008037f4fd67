/**
 * The few things the listener needs from the HL7 v2 parser, in one place so the rest of the folder
 * does not depend on how `parsers/hl7v2/` spells them.
 */
export { ackCode, ackModeOf, ackWanted, buildAck, parseHl7, hl7v2 } from '../../parsers/hl7v2/index.js';
export type { AckCode, AckMode, Hl7Message } from '../../parsers/hl7v2/index.js';
