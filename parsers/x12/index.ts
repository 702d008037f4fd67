import type { Diagnostic } from '../../lib/errors.js';
import type { CanonicalDocument } from '../../model/index.js';
import type { AcceptContext, MessageHeader, ParserDefinition } from '../types.js';
import { addSetFindings, allDiagnostics, type X12Document, type X12ReadSet } from './document.js';
import { parseX12 } from './reader.js';
import { setFindings, transactionSets } from './sets/index.js';
import { acceptedPart } from './acks.js';
import { withPartnerRequirements } from './validate.js';
import { narrowInput } from './encoding.js';

export * from './document.js';
export { parseX12, X12Reader, type ReaderHandlers, type ReaderOptions } from './reader.js';
export { X12Tokenizer, tokenize, DEFAULT_MAX_SEGMENT_LENGTH, type TokenizerHandlers, type TokenizerOptions } from './tokenizer.js';
export { detectWide, narrowInput, widen, type X12WideEncoding } from './encoding.js';
export { writeInterchange, type X12InterchangeSpec, type X12GroupSpec, type X12SetSpec, type X12Party } from './writer.js';
export * from './acks.js';
export { withDuplicateCheck, withPartnerRequirements, withSupportCheck, type X12Support } from './validate.js';
export { X12_FINDINGS, ISA_ELEMENT_NOTE_CODES, findingMapping, noteCodeFor, type FindingMapping, type FindingLevel } from './codes.js';

/** Acknowledgment sets: they carry no canonical document. */
const ACK_SETS = new Set(['997', '999']);

/** True when the bytes start with ISA after an optional UTF-8 BOM and whitespace (UTF-16 read narrowed). */
export function detectX12(input: Uint8Array): boolean {
  const raw =
    input.length > 1 && (input[0] === 0 || input[1] === 0 || input[0]! >= 0xfe) ? narrowInput(input.subarray(0, 8192)).bytes : input;
  let p = 0;
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) p = 3;
  while (p < raw.length && p < 4096 && (raw[p] === 0x20 || (raw[p]! >= 0x09 && raw[p]! <= 0x0d))) p++;
  return raw[p] === 0x49 && raw[p + 1] === 0x53 && raw[p + 2] === 0x41;
}

function toCanonical(doc: X12Document): { documents: CanonicalDocument[]; diagnostics: Diagnostic[] } {
  const documents: CanonicalDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const ic of doc.interchanges) {
    for (const group of ic.groups) {
      for (const set of group.sets) {
        if (ACK_SETS.has(set.id)) continue;
        const mapper = transactionSets.find((m) => m.id === set.id);
        if (!mapper) {
          diagnostics.push({
            severity: 'error',
            code: 'x12-set-unmapped',
            message: `transaction set '${set.id}' (ST02 '${set.controlNumber}') has no mapper; expected one of ${transactionSets.map((m) => m.id).join(', ') || '(none registered)'}`,
            location: { segment: 'ST', segmentIndex: set.position, field: 1 },
          });
          continue;
        }
        try {
          const result = mapper.toCanonical(set);
          documents.push(...result.documents);
          diagnostics.push(...result.diagnostics);
        } catch (cause) {
          diagnostics.push({
            severity: 'error',
            code: 'x12-mapper-failed',
            message: `the ${set.id} mapper failed on ST02 ${set.controlNumber}: ${cause instanceof Error ? cause.name : 'error'}`,
            location: { segment: 'ST', segmentIndex: set.position },
          });
        }
      }
    }
  }
  return { documents, diagnostics };
}

/**
 * A copy of `doc` whose sets also carry the findings of their registered mapper (`toCanonical`
 * diagnostics), so `buildAck` reports mapping-level syntax problems (AK3/AK4: missing segment,
 * invalid code…) as well. Application findings (totals) stay out of the acknowledgment. Runs each
 * mapper once more; `findingsOf` can supply findings already computed instead.
 */
export function withSetFindings(doc: X12Document, findingsOf?: (set: X12ReadSet) => Diagnostic[]): X12Document {
  const of =
    findingsOf ??
    ((set: X12ReadSet) => {
      const mapper = transactionSets.find((m) => m.id === set.id);
      if (!mapper || set.segments.length === 0) return [];
      try {
        return mapper.toCanonical(set).diagnostics;
      } catch {
        return [];
      }
    });
  return addSetFindings(doc, of);
}

/**
 * The findings an interchange is judged by, by its acknowledgment and by processing alike: the set
 * mappers' syntax findings and, per interchange, the requirements of its sender's partner profile.
 */
export function withAcceptanceFindings(doc: X12Document, requirements?: AcceptContext['requirements']): X12Document {
  const checked = withSetFindings(doc);
  if (!requirements) return checked;
  return {
    ...checked,
    interchanges: checked.interchanges.map((ic) => {
      const r = requirements(ic.header.senderQualifier, ic.header.senderId);
      return withPartnerRequirements({ interchanges: [ic], diagnostics: [] }, r.required, `partner ${r.partner ?? ''}`.trim())
        .interchanges[0]!;
    }),
  };
}

function toTree(doc: X12Document): unknown {
  return {
    interchanges: doc.interchanges.map((ic) => ({
      header: ic.header,
      delimiters: ic.delimiters,
      ta1: ic.ta1.map((s) => s.elements),
      groups: ic.groups.map((g) => ({
        functionalId: g.functionalId,
        senderCode: g.senderCode,
        receiverCode: g.receiverCode,
        controlNumber: g.controlNumber,
        version: g.version,
        sets: g.sets.map((s) => ({ id: s.id, controlNumber: s.controlNumber, segments: s.segments.map((seg) => seg.elements) })),
      })),
    })),
  };
}

function header(doc: X12Document): MessageHeader {
  const first = doc.interchanges[0];
  const ids = new Set<string>();
  for (const ic of doc.interchanges) for (const g of ic.groups) for (const s of g.sets) ids.add(s.id);
  const out: MessageHeader = {};
  if (first) {
    out.controlId = first.header.controlNumber;
    out.sender = first.header.senderId;
    out.receiver = first.header.receiverId;
    out.version = first.groups[0]?.version || first.header.version;
  }
  if (ids.size > 0) out.messageType = [...ids].join(',');
  return out;
}

/** The X12 format: detection, lenient envelope parse, set mappers, tree and header. */
export const x12: ParserDefinition<X12Document> = {
  format: 'x12',
  detect: detectX12,
  parse: (raw, options) => parseX12(raw, options?.strict ? { strict: true } : {}),
  toCanonical,
  toTree,
  header,
  accepted(message, _diagnostics, context) {
    const checked = withAcceptanceFindings(message, context?.requirements);
    const part = acceptedPart(checked);
    // Nothing accepted: every finding the acknowledgment rejected it for (a partner requirement too).
    if (!part) return { message, diagnostics: allDiagnostics(checked) };
    // Set-mapper findings come again from toCanonical: only the envelope ones are returned here.
    return { message: part.doc, diagnostics: part.findings.filter((d) => !(d.code in setFindings)) };
  },
};
