import type { Diagnostic } from '../../lib/errors.js';
import { validateDocument } from '../../model/index.js';
import type { CanonicalDocument } from '../../model/index.js';
import { checkHeader } from './checks.js';
import { DiagnosticSink } from './diagnostics.js';
import { messageHeader } from './header.js';
import { mapDft } from './map-dft.js';
import { encounterOf, readerFor } from './map-reader.js';
import type { Hl7Message } from './types.js';

/** The message types mapped to canonical documents, with the events of each. */
export const SUPPORTED_EVENTS: Record<string, readonly string[]> = {
  DFT: ['P03'],
  ADT: ['A01', 'A04', 'A08'],
  ACK: [],
};

/**
 * The canonical documents of a message: DFT^P03 → encounter + supply-usage + one charge per FT1;
 * ADT^A01/A04/A08 → encounter; ACK → nothing. Other types are `unsupported-message-type` /
 * `unsupported-event` errors. Every document is validated against its model schema; a failure there
 * is an error, and the document is left out. Never throws.
 */
export function toCanonical(message: Hl7Message): { documents: CanonicalDocument[]; diagnostics: Diagnostic[] } {
  const sink = new DiagnosticSink(message.options.strict, message.options.maxDiagnostics);
  try {
    const documents = mapByType(message, sink).filter((doc) => validated(doc, sink));
    return { documents, diagnostics: sink.done() };
  } catch (cause) {
    sink.error('internal-error', `the HL7 mapping failed: ${(cause as Error).message}`);
    return { documents: [], diagnostics: sink.done() };
  }
}

function mapByType(message: Hl7Message, sink: DiagnosticSink): CanonicalDocument[] {
  const { type = '', event = '' } = messageHeader(message);
  const events = SUPPORTED_EVENTS[type];
  const at = (component: number) => ({ segment: 'MSH', segmentIndex: 1, field: 9, component });
  if (!events) {
    sink.error(
      'unsupported-message-type',
      `MSH-9.1 '${type.slice(0, 10)}' is not mapped; expected ${Object.keys(SUPPORTED_EVENTS).join(', ')}`,
      at(1),
    );
    return [];
  }
  if (type === 'ACK') return [];
  if (!events.includes(event)) {
    sink.error('unsupported-event', `MSH-9.2 '${event.slice(0, 10)}' is not mapped for ${type}; expected ${events.join(', ')}`, at(2));
    return [];
  }
  // Missing header fields (control id…) make documents unusable. Parse reported them already, but
  // the message may have been built or changed by code since: they are reported again here.
  const headerSink = new DiagnosticSink(message.options.strict);
  checkHeader(message, headerSink);
  sink.addAll(headerSink.done().filter((d) => d.severity === 'error' && d.code === 'required-field-missing'));
  if (type === 'DFT') return mapDft(message, event, sink);
  if (!readerFor(message, 'PV1', sink)) {
    sink.error('missing-segment', `the ${type}^${event} has no PV1 segment; expected PV1 after PID`, { segment: 'PV1' });
  }
  if (!readerFor(message, 'PID', sink)) {
    sink.error('missing-segment', `the ${type}^${event} has no PID segment; expected PID after EVN`, { segment: 'PID' });
  }
  return [encounterOf(message, event, sink)];
}

function validated(doc: CanonicalDocument, sink: DiagnosticSink): boolean {
  const result = validateDocument(doc);
  if (result.ok) return true;
  sink.error('internal-error', `the ${doc.kind} document is not valid: ${result.issues.join('; ')}`);
  return false;
}
