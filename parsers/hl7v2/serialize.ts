import { encodeText } from './charset.js';
import { isHeaderSegment } from './path.js';
import type { Hl7Delimiters, Hl7Message, Hl7Segment } from './types.js';

/** One segment as encoded text (no terminator). */
export function segmentToString(segment: Hl7Segment, d: Hl7Delimiters): string {
  if (isHeaderSegment(segment.id)) {
    return [segment.fields[0], ...segment.fields.slice(2)].join(d.field);
  }
  return segment.fields.join(d.field);
}

/**
 * The message as text: segments separated by CR, with a final CR when the input had a final segment
 * separator. For CR-separated input this is exactly the decoded input (minus a BOM).
 */
export function serializeToString(message: Hl7Message): string {
  const body = message.segments.map((s) => segmentToString(s, message.delimiters)).join('\r');
  return message.terminated ? `${body}\r` : body;
}

/**
 * The message as bytes in its own character set (a UTF-8 BOM is written back when the input had one).
 * Parse → serialize gives the input bytes, with LF and CRLF segment separators normalised to CR.
 */
export function serialize(message: Hl7Message): Buffer {
  const bytes = encodeText(serializeToString(message), message.encoding);
  return message.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
}
