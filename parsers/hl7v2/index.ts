import type { MessageHeader, ParserDefinition } from '../types.js';
import { toCanonical } from './canonical.js';
import { messageHeader } from './header.js';
import { parseMessage } from './parse.js';
import { leadingSkip } from './raw-header.js';
import { toTree } from './tree.js';
import type { Hl7Message } from './types.js';

/**
 * HL7 v2: a lossless, lenient parser and serializer, path access, ACK builder and the mapping of
 * DFT^P03 and ADT^A01/A04/A08 to canonical documents. See docs/hl7v2.md.
 */

/** True when the first bytes (after a BOM, whitespace or an MLLP start block) are MSH, FHS or BHS. */
export function detectHl7(raw: Uint8Array): boolean {
  const i = leadingSkip(raw);
  const id = String.fromCharCode(raw[i] ?? 0, raw[i + 1] ?? 0, raw[i + 2] ?? 0);
  return id === 'MSH' || id === 'FHS' || id === 'BHS';
}

export const hl7v2: ParserDefinition<Hl7Message> = {
  format: 'hl7v2',
  detect: detectHl7,
  parse: (raw, options) => parseMessage(raw, options),
  toCanonical,
  toTree,
  header(message): MessageHeader {
    const { controlId, sender, receiver, messageType, version } = messageHeader(message);
    const header: MessageHeader = { controlId, sender, receiver, messageType, version };
    for (const key of Object.keys(header) as (keyof MessageHeader)[]) if (header[key] === undefined) delete header[key];
    return header;
  },
};

/** Parses one message (lenient; never throws). The same as `hl7v2.parse`. */
export const parseHl7 = parseMessage;

export { parseMessage, toCanonical, toTree, messageHeader };
export { parseBatch, serializeBatch, batchMessages, isHl7Batch } from './batch.js';
export type { Hl7Batch, Hl7BatchGroup, Hl7BatchEntry, Hl7BatchOutcome } from './batch.js';
export { serialize, serializeToString } from './serialize.js';
export { get, getRaw, getRepetitions, set, parsePath, findSegment, segmentsOf } from './path.js';
export { escape, unescape } from './escape.js';
export { controlId, messageType } from './header.js';
export type { Hl7Header } from './header.js';
export { ackModeOf, ackWanted, ackCode, buildAck, hl7Timestamp } from './ack.js';
export type { AckCode, AckCondition, AckMode, BuildAckOptions } from './ack.js';
export { HL7_DIAGNOSTIC_CODES, TABLE_0357, hl7ErrorCode } from './diagnostics.js';
export type { Hl7DiagnosticCode } from './diagnostics.js';
export { hl7DateToIso } from './datetime.js';
export { encodingForCharset, encodeText } from './charset.js';
export { DEFAULT_UNIT } from './map-dft.js';
export { SUPPORTED_EVENTS } from './canonical.js';
export { DEFAULT_DELIMITERS } from './types.js';
export type { Hl7Delimiters, Hl7Message, Hl7Segment, Hl7ParseOptions, Hl7Path } from './types.js';
export type { Hl7Tree, TreeSegment, TreeValue } from './tree.js';
