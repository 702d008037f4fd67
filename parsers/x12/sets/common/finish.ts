import { MappingError, type Diagnostic } from '../../../../lib/errors.js';
import { validateDocument, type CanonicalDocument } from '../../../../model/index.js';
import type { X12TransactionSet } from '../../types.js';
import { diagnostic } from './diagnostics.js';
import type { SetReader } from './reader.js';

/**
 * Stamps the source ids on a mapped document and validates it against the canonical schema. The
 * document is returned only when no error-level diagnostic was found and it is schema-valid;
 * otherwise the diagnostics say why (a schema failure not already explained by an error diagnostic
 * becomes `x12-document-invalid`). Warnings never withhold the document.
 */
export function finish(r: SetReader, doc: CanonicalDocument): { documents: CanonicalDocument[]; diagnostics: Diagnostic[] } {
  const withSource = { ...doc, source: sourceOf(r.set) } as CanonicalDocument;
  const result = validateDocument(withSource);
  const hasErrors = r.diagnostics.some((d) => d.severity === 'error');
  if (result.ok && !hasErrors) return { documents: [result.value], diagnostics: r.diagnostics };
  if (!result.ok && !hasErrors) {
    const st = r.set.segments.find((s) => s.id === 'ST');
    r.diagnostics.push(
      diagnostic('error', 'x12-document-invalid', `the ${r.set.id} does not make a valid ${doc.kind}: ${result.issues.join('; ')}`, st),
    );
  }
  return { documents: [], diagnostics: r.diagnostics };
}

function sourceOf(set: X12TransactionSet): NonNullable<CanonicalDocument['source']> {
  return { format: 'x12', messageType: set.id, controlId: set.controlNumber, version: set.version };
}

/** Narrows a canonical document to the kind a mapper writes; anything else is a MappingError. */
export function expectKind<K extends CanonicalDocument['kind']>(
  doc: CanonicalDocument,
  kind: K,
  setId: string,
): Extract<CanonicalDocument, { kind: K }> {
  if (doc.kind !== kind) {
    throw new MappingError('x12-canonical-kind', `the ${setId} mapper writes a ${kind}, got a ${doc.kind}`);
  }
  return doc as Extract<CanonicalDocument, { kind: K }>;
}
