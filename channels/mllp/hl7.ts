/**
 * The few things the listener needs from the HL7 v2 parser, in one place so the rest of the folder
 * does not depend on how `parsers/hl7v2/` spells them.
 */
export { ackModeOf, buildAck, parseHl7, hl7v2 } from '../../parsers/hl7v2/index.js';
export type { Hl7Message } from '../../parsers/hl7v2/index.js';

/** HL7 acknowledgment codes: original mode (AA/AE/AR) and enhanced accept (CA/CE/CR). */
export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';
