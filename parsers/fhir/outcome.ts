import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';
import type { Diagnostic } from '../../lib/errors.js';
import type { FhirIssue } from './validate.js';

/** The OperationOutcome issue type of each diagnostic code of the FHIR parser. */
const ISSUE_TYPE: Record<string, OperationOutcomeIssue['code']> = {
  'fhir-empty': 'required',
  'fhir-syntax': 'structure',
  'fhir-xml-refused': 'security',
  'fhir-too-large': 'too-costly',
  'fhir-too-deep': 'too-costly',
  'fhir-not-a-resource': 'structure',
  'fhir-bundle-type': 'not-supported',
  'fhir-invalid': 'invalid',
  'fhir-unmappable': 'business-rule',
  'fhir-not-mapped': 'informational',
  'fhir-udi-mismatch': 'business-rule',
};

/** Parser diagnostics → an OperationOutcome issue, the element path in `expression`. */
export function issueOf(d: Diagnostic & { fhirType?: string }): OperationOutcomeIssue {
  return {
    severity: d.severity,
    code: (d.fhirType as OperationOutcomeIssue['code']) ?? ISSUE_TYPE[d.code] ?? 'processing',
    details: { text: d.message, coding: [{ system: 'urn:interlace:error-code', code: d.code }] },
    ...(d.location?.element ? { expression: [d.location.element] } : {}),
  };
}

/** A validation issue → a parser diagnostic (`fhir-invalid`) that remembers its issue type. */
export function diagnosticOf(i: FhirIssue, strict: boolean): Diagnostic & { fhirType: string } {
  const severity = i.severity === 'fatal' || i.severity === 'error' || strict ? 'error' : 'warning';
  return {
    severity,
    code: 'fhir-invalid',
    message: i.expression ? `${i.expression}: ${i.text}` : i.text,
    fhirType: i.code,
    ...(i.expression ? { location: { element: i.expression } } : {}),
  };
}

export function operationOutcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.length > 0 ? issues : [{ severity: 'information', code: 'informational', details: { text: 'no findings' } }],
  };
}
