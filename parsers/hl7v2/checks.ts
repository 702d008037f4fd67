import type { DiagnosticSink } from './diagnostics.js';
import { hasUnknownEscape } from './escape.js';
import { get, isHeaderSegment } from './path.js';
import type { Hl7Message, Hl7Segment } from './types.js';

const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const VERSION = /^2\.[1-8](\.[0-9])?$/;

/** Structural checks of one segment: its id, its length, binary content, unknown escapes. */
export function checkSegment(segment: Hl7Segment, line: string, index: number, maxLength: number, sink: DiagnosticSink): void {
  const at = { segment: SEGMENT_ID.test(segment.id) ? segment.id : undefined, segmentIndex: index };
  if (!SEGMENT_ID.test(segment.id)) {
    sink.error('invalid-segment-id', `segment ${index} does not start with a segment id; expected 3 upper-case letters or digits`, at);
  }
  if (line.length > maxLength) {
    sink.warn('segment-too-long', `segment ${index} is ${line.length} characters long, more than the limit of ${maxLength}`, at);
  }
  const control = CONTROL.exec(line);
  if (control) {
    const field = fieldAt(segment, control.index);
    sink.error(
      'binary-content',
      `segment ${index} holds a control character (0x${control[0].charCodeAt(0).toString(16).padStart(2, '0')}) ${field === 0 ? 'where its id should be' : `in field ${field}`}; expected text`,
      {
        ...at,
        field,
      },
    );
  }
}

/** Warns once per field that holds an escape sequence kept verbatim. */
export function checkEscapes(message: Hl7Message, sink: DiagnosticSink): void {
  const d = message.delimiters;
  if (d.escape === '') return;
  message.segments.forEach((segment, i) => {
    for (let f = isHeaderSegment(segment.id) ? 3 : 1; f < segment.fields.length; f++) {
      const text = segment.fields[f]!;
      if (text.indexOf(d.escape) !== -1 && hasUnknownEscape(text, d)) {
        sink.warn('bad-escape', `${segment.id}-${f} holds an unknown or unterminated escape sequence; kept verbatim`, {
          segment: segment.id,
          segmentIndex: i + 1,
          field: f,
        });
      }
    }
  });
}

/** MSH checks: required fields, version (table 0104), processing id (table 0103). */
export function checkHeader(message: Hl7Message, sink: DiagnosticSink): void {
  const at = (field: number, component?: number) => ({ segment: 'MSH', segmentIndex: 1, field, component });
  const type = text(get(message, 'MSH-9.1'));
  const required: [string, number, number | undefined, string][] = [
    ['MSH-9.1', 9, 1, 'a message type'],
    ['MSH-10', 10, undefined, 'a message control id'],
    ['MSH-11', 11, undefined, 'a processing id (P, D or T)'],
    ['MSH-12', 12, undefined, 'a version id'],
  ];
  if (type !== 'ACK') required.splice(1, 0, ['MSH-9.2', 9, 2, 'a trigger event']);
  for (const [path, field, component, expected] of required) {
    if (text(get(message, path)) === '')
      sink.error('required-field-missing', `${path} is empty; expected ${expected}`, at(field, component));
  }
  if (text(get(message, 'MSH-7')) === '')
    sink.warn('required-field-missing', 'MSH-7 is empty; expected the date/time of the message', at(7));
  const version = text(get(message, 'MSH-12'));
  if (version !== '' && !VERSION.test(version)) {
    sink.error('unsupported-version', `MSH-12 '${printable(version)}' is not a supported version; expected 2.1 to 2.8.x`, at(12));
  }
  const processing = text(get(message, 'MSH-11'));
  if (processing !== '' && !['P', 'D', 'T'].includes(processing)) {
    sink.error('unsupported-processing-id', `MSH-11 '${printable(processing)}' is not a processing id; expected P, D or T`, at(11));
  }
  checkEscapes(message, sink);
}

function fieldAt(segment: Hl7Segment, offset: number): number {
  let total = 0;
  const start = isHeaderSegment(segment.id) ? 2 : 0;
  for (let f = 0; f < segment.fields.length; f++) {
    if (f === 1 && start === 2) continue;
    total += segment.fields[f]!.length + 1;
    if (offset < total) return Math.max(f, 0);
  }
  return segment.fields.length - 1;
}

function text(value: string | null): string {
  return value ?? '';
}

/** Short printable form of a header value for messages (header fields are ids, not PHI). */
export function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 20 ? `${clean.slice(0, 20)}…` : clean;
}
