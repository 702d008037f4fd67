import type { Diagnostic } from '../../lib/errors.js';
import type { HttpAnswer, HttpAnswerHook, MessageHeader, ParseOptions, ParserDefinition } from '../types.js';
import { fhirToCanonical } from './canonical.js';
import { jsonErrorPlace } from './json-position.js';
import { structureIndex } from './definitions.js';
import { diagnosticOf, issueOf, operationOutcome } from './outcome.js';
import { validateFhir } from './validate.js';
import { fhirXmlToJson } from './xml.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** A parsed FHIR message: one resource or Bundle, in its JSON form whatever the wire format was. */
export type FhirMessage = { resource: Record<string, unknown> & { resourceType: string }; encoding: 'json' | 'xml' };

/** Largest body read (the HTTP listener's maxBodyBytes usually refuses sooner). */
export const MAX_FHIR_BYTES = 64 * 1024 * 1024;
/** Most entries in one Bundle. */
export const MAX_BUNDLE_ENTRIES = 10_000;
/** Deepest JSON nesting read. */
export const MAX_JSON_DEPTH = 100;
const BUNDLE_TYPES = ['batch', 'transaction', 'collection'];

function firstChar(raw: Uint8Array): string {
  let i = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x09 || raw[i] === 0x0a || raw[i] === 0x0d)) i++;
  return i < raw.length ? String.fromCharCode(raw[i]!) : '';
}

function err(code: ErrorCode, message: string, element?: string): Diagnostic {
  return { severity: 'error', code, message, ...(element ? { location: { element } } : {}) };
}

/** JSON nesting deeper than `max`? Iterative, so hostile depth cannot overflow the stack. */
function tooDeep(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return true;
    for (const x of Object.values(v as object)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
  return false;
}

function readJson(text: string): { value?: unknown; diagnostics: Diagnostic[] } {
  // JSON.parse itself recurses; nesting far beyond any resource is refused before it gets there.
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH)
        return { diagnostics: [err('fhir-too-deep', `the JSON nests deeper than ${MAX_JSON_DEPTH} levels; no FHIR resource does`)] };
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (tooDeep(value, MAX_JSON_DEPTH))
      return { diagnostics: [err('fhir-too-deep', `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`)] };
    return { value, diagnostics: [] };
  } catch {
    return { diagnostics: [err('fhir-syntax', `not valid JSON at ${jsonErrorPlace(text)}`)] };
  }
}

/** Checks what is there is a readable resource: resourceType known, Bundle type and size accepted. */
function shape(value: unknown): Diagnostic[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return [err('fhir-not-a-resource', 'the body is not a JSON object; expected a FHIR resource such as {"resourceType":"ChargeItem",…}')];
  const rt = (value as { resourceType?: unknown }).resourceType;
  if (typeof rt !== 'string')
    return [
      err(
        'fhir-not-a-resource',
        'resourceType is missing; expected a FHIR resource such as {"resourceType":"ChargeItem",…}',
        'resourceType',
      ),
    ];
  if (!/^[A-Z][A-Za-z]+$/.test(rt) || !structureIndex().has(rt))
    return [err('fhir-not-a-resource', `resourceType ${JSON.stringify(rt.slice(0, 60))} is not an R4 resource type`, 'resourceType')];
  if (rt !== 'Bundle') return [];
  const b = value as { type?: unknown; entry?: unknown };
  if (typeof b.type !== 'string' || !BUNDLE_TYPES.includes(b.type)) {
    return [
      err(
        'fhir-bundle-type',
        `Bundle.type ${JSON.stringify(b.type ?? null)} is not read; expected ${BUNDLE_TYPES.join(', ')}`,
        'Bundle.type',
      ),
    ];
  }
  if (Array.isArray(b.entry) && b.entry.length > MAX_BUNDLE_ENTRIES) {
    return [
      err(
        'fhir-too-large',
        `the Bundle has ${b.entry.length} entries; at most ${MAX_BUNDLE_ENTRIES} are read in one message (split it)`,
        'Bundle.entry',
      ),
    ];
  }
  return [];
}

/**
 * Reads a FHIR R4 resource or Bundle (batch, transaction, collection) as JSON or XML, and validates it
 * (structure definitions + required bindings). Lenient: validation findings are diagnostics with the
 * element path; `message` is absent only when no resource could be read.
 */
function parse(raw: Buffer, options: ParseOptions = {}): { message?: FhirMessage; diagnostics: Diagnostic[] } {
  if (raw.length > MAX_FHIR_BYTES)
    return { diagnostics: [err('fhir-too-large', `the body is ${raw.length} bytes; at most ${MAX_FHIR_BYTES} are read`)] };
  const text = raw.toString('utf8').replace(/^\ufeff/, '');
  const first = firstChar(raw);
  if (first === '') return { diagnostics: [err('fhir-empty', 'the body is empty; expected a FHIR resource as JSON or XML')] };
  let value: unknown;
  let encoding: FhirMessage['encoding'];
  if (first === '{' || first === '[') {
    const r = readJson(text);
    if (r.value === undefined) return { diagnostics: r.diagnostics };
    value = r.value;
    encoding = 'json';
  } else if (first === '<') {
    const r = fhirXmlToJson(text);
    const errors = r.issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    if (!r.resource || errors.length > 0) {
      const refused = errors.some((i) => i.code === 'security');
      const code = refused ? 'fhir-xml-refused' : errors.some((i) => i.code === 'too-costly') ? 'fhir-too-deep' : 'fhir-syntax';
      return {
        diagnostics: (errors.length ? errors : r.issues).map((i) =>
          err(code, i.expression ? `${i.expression}: ${i.text}` : i.text, i.expression),
        ),
      };
    }
    value = r.resource;
    encoding = 'xml';
  } else {
    return {
      diagnostics: [err('fhir-syntax', `the body starts with ${JSON.stringify(first)}; expected a FHIR resource as JSON ({) or XML (<)`)],
    };
  }
  const shaped = shape(value);
  if (shaped.length > 0) return { diagnostics: shaped };
  const resource = value as FhirMessage['resource'];
  const diagnostics = validateFhir(resource as never)
    .filter((i) => i.severity !== 'information')
    .map((i) => diagnosticOf(i, options.strict ?? false));
  return { message: { resource, encoding }, diagnostics };
}

function header(message: FhirMessage): MessageHeader {
  const r = message.resource as {
    resourceType: string;
    id?: string;
    type?: string;
    identifier?: { value?: string } | { value?: string }[];
  };
  const ids = r.identifier === undefined ? [] : Array.isArray(r.identifier) ? r.identifier : [r.identifier];
  const controlId = ids.find((i) => i.value)?.value ?? r.id;
  return {
    messageType: r.resourceType === 'Bundle' && r.type ? `Bundle/${r.type}` : r.resourceType,
    version: 'R4',
    ...(controlId ? { controlId } : {}),
  };
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function answer(status: number, issues: ReturnType<typeof issueOf>[]): HttpAnswer {
  return { status, contentType: FHIR_JSON, body: JSON.stringify(operationOutcome(issues)) };
}

/**
 * FHIR answers on the HTTP listener: a body that is not a readable resource gets 400 (413 when too
 * large), one that fails validation 422, each with an OperationOutcome naming the element paths; a
 * stored message 202 (a duplicate 200) with an informational OperationOutcome carrying its id.
 */
const httpAnswer: HttpAnswerHook = {
  prepare() {
    validateFhir({ resourceType: 'Basic', code: { text: 'warm-up' } } as never);
  },
  check(raw) {
    const parsed = parse(raw);
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length === 0) {
      // A Bundle's identifier names that Bundle for good (a resend is a duplicate); a resource's
      // business identifier does not (an update of the same ChargeItem is new information).
      const r = parsed.message?.resource as { resourceType: string; identifier?: { value?: unknown } } | undefined;
      const id = r?.resourceType === 'Bundle' && typeof r.identifier?.value === 'string' ? r.identifier.value : undefined;
      return id ? { ok: true, controlId: id } : { ok: true };
    }
    const status = !parsed.message ? (errors.some((d) => d.code === 'fhir-too-large') ? 413 : 400) : 422;
    return { ok: false, diagnostics: parsed.diagnostics, answer: answer(status, parsed.diagnostics.map(issueOf)) };
  },
  stored(result) {
    const text = result.duplicate
      ? `duplicate of message ${result.originalMessageId}; not processed again`
      : `stored as message ${result.messageId}; it is processed next`;
    return answer(result.duplicate ? 200 : 202, [
      {
        severity: 'information',
        code: 'informational',
        details: { text, coding: [{ system: 'urn:interlace:message-id', code: result.messageId }] },
      },
    ]);
  },
  refused(status, code, message) {
    const type =
      status === 401
        ? 'login'
        : status === 413
          ? 'too-costly'
          : status === 404
            ? 'not-found'
            : status === 415 || status === 405
              ? 'not-supported'
              : status >= 500
                ? 'transient'
                : 'invalid';
    return answer(status, [
      { severity: 'error', code: type, details: { text: message, coding: [{ system: 'urn:interlace:error-code', code }] } },
    ]);
  },
};

/** The FHIR R4 format. */
export const fhir: ParserDefinition<FhirMessage> = {
  format: 'fhir',
  detect(raw) {
    const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.length, 65536)).toString('utf8');
    const c = firstChar(raw);
    return (c === '{' && /"resourceType"\s*:/.test(head)) || (c === '<' && /xmlns\s*=\s*["']http:\/\/hl7\.org\/fhir["']/.test(head));
  },
  parse,
  toCanonical: (message) => fhirToCanonical(message.resource as never),
  toTree: (message) => message.resource,
  header,
  httpAnswer,
};

export { fhirToCanonical } from './canonical.js';
export { validateFhir, type FhirIssue } from './validate.js';
export { fhirXmlToJson } from './xml.js';
