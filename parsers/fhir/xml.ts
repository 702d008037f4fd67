import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { elementFor, structureIndex, type ElementInfo } from './definitions.js';
import type { FhirIssue } from './validate.js';

const FHIR_NS = 'http://hl7.org/fhir';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';
/** Deepest element nesting read; FHIR resources stay far below it. */
export const MAX_XML_DEPTH = 100;

type XmlNode = Record<string, unknown>;
type Json = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Every element is read as a list; the R4 definitions decide later which stay lists.
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  stopNodes: ['*.div'],
  maxNestedTags: MAX_XML_DEPTH,
});

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const INTEGER_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt']);

/**
 * Reads FHIR XML (R4 XML representation) into the JSON representation, using the R4 definitions to
 * decide which elements repeat (arrays), which are primitives (`value` attribute; `id` and
 * `extension` go to `_name`), which hold a resource (`contained`, `Bundle.entry.resource`), and
 * keeping `Narrative.div` as XHTML text. A DOCTYPE is refused before anything is parsed (no entity
 * expansion, no external entities). Answers the resource, or issues saying where and why not.
 */
export function fhirXmlToJson(text: string): { resource?: Json; issues: FhirIssue[] } {
  if (/<!DOCTYPE|<!ENTITY/.test(text)) {
    return fail(
      'security',
      'the XML has a DOCTYPE or an entity declaration; FHIR XML has none, and they are refused (entity expansion and external entities are not processed)',
    );
  }
  const wellFormed = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (wellFormed !== true) {
    const e = wellFormed.err;
    return fail('structure', `the XML is not well-formed at line ${e.line}, column ${e.col}: ${e.msg}`);
  }
  let doc: XmlNode;
  try {
    doc = parser.parse(text) as XmlNode;
  } catch (err) {
    const deep = /nested/i.test((err as Error).message);
    return fail(
      deep ? 'too-costly' : 'structure',
      deep
        ? `the XML nests elements deeper than ${MAX_XML_DEPTH} levels`
        : `the XML could not be read: ${(err as Error).message.slice(0, 200)}`,
    );
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?') && k !== '#text');
  const rootNodes = roots.flatMap((k) => (doc[k] as XmlNode[]).map((n) => [k, n] as const));
  if (rootNodes.length !== 1) return fail('structure', `the XML has ${rootNodes.length} root elements; expected one FHIR resource`);
  const [name, node] = rootNodes[0]!;
  const issues: FhirIssue[] = [];
  if (node['@xmlns'] !== FHIR_NS) {
    issues.push({
      severity: 'error',
      code: 'structure',
      expression: name,
      text: `the root element's namespace is ${JSON.stringify(node['@xmlns'] ?? '(none)')}; expected xmlns="${FHIR_NS}"`,
    });
    return { issues };
  }
  const resource = readResource(name, node, name, issues, 0);
  return resource ? { resource, issues } : { issues };
}

function fail(code: string, text: string): { issues: FhirIssue[] } {
  return { issues: [{ severity: 'error', code, text }] };
}

function readResource(type: string, node: XmlNode, at: string, issues: FhirIssue[], depth: number): Json | undefined {
  if (!structureIndex().has(type) || !/^[A-Z]/.test(type)) {
    issues.push({ severity: 'error', code: 'structure', expression: at, text: `<${type.slice(0, 60)}> is not an R4 resource type` });
    return undefined;
  }
  const out: Json = { resourceType: type };
  readChildren(node, type, '', at, out, issues, depth);
  return out;
}

function readChildren(node: XmlNode, type: string, rel: string, at: string, out: Json, issues: FhirIssue[], depth: number): void {
  const index = structureIndex().get(type);
  if (!index) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '@xmlns') continue;
    if (key === '@id' || key === '@url') {
      out[key.slice(1)] = value;
      continue;
    }
    if (key.startsWith('@')) {
      issues.push({
        severity: 'error',
        code: 'structure',
        expression: at,
        text: `attribute ${key.slice(1, 60)} is not allowed here; FHIR XML uses only value, id and url attributes`,
      });
      continue;
    }
    if (key === '#text') {
      if (String(value).trim() !== '')
        issues.push({
          severity: 'error',
          code: 'structure',
          expression: at,
          text: 'text content is not allowed here; FHIR XML puts values in value attributes',
        });
      continue;
    }
    const found = elementFor(index, rel, key);
    if (!found || !found.type) {
      issues.push({
        severity: 'error',
        code: 'structure',
        expression: `${at}.${key}`,
        text: `${key.slice(0, 60)} is not an element of ${rel ? `${type}.${rel}` : type} in R4`,
      });
      continue;
    }
    const list = (value as unknown[]).map((n) => {
      if (n !== null && typeof n === 'object') return n as XmlNode;
      issues.push({
        severity: 'error',
        code: 'structure',
        expression: `${at}.${key}`,
        text: 'text content is not allowed here; FHIR XML puts values in value attributes',
      });
      return {};
    });
    if (!found.info.repeats && list.length > 1) {
      issues.push({
        severity: 'error',
        code: 'structure',
        expression: `${at}.${key}`,
        text: `${key} appears ${list.length} times; R4 allows it once`,
      });
    }
    readElement(key, list, found.type, found.info, type, rel, at, out, issues, depth);
  }
}

function readElement(
  key: string,
  list: XmlNode[],
  type: string,
  info: ElementInfo,
  ownerType: string,
  rel: string,
  at: string,
  out: Json,
  issues: FhirIssue[],
  depth: number,
): void {
  const path = (i: number) => `${at}.${key}${info.repeats ? `[${i}]` : ''}`;
  if (type === 'xhtml') {
    out[key] = list.map((n) => xhtml(n))[0];
    return;
  }
  if (isPrimitive(type)) {
    const values: unknown[] = [];
    const extras: (Json | null)[] = [];
    list.forEach((n, i) => {
      const extra: Json = {};
      if (n['@id'] !== undefined) extra.id = n['@id'];
      if (n.extension) {
        const ext: Json = {};
        readChildren({ extension: n.extension }, 'Element', '', path(i), ext, issues, depth + 1);
        extra.extension = ext.extension;
      }
      values.push(n['@value'] === undefined ? null : primitive(String(n['@value'] as string | number | boolean), type, path(i), issues));
      extras.push(Object.keys(extra).length > 0 ? extra : null);
    });
    if (values.some((v) => v !== null)) out[key] = info.repeats ? values : values[0];
    if (extras.some((e) => e !== null)) out[`_${key}`] = info.repeats ? extras : extras[0];
    return;
  }
  const values = list.map((n, i) => {
    if (type === 'Resource') {
      const inner = Object.keys(n).filter((k) => !k.startsWith('@') && k !== '#text');
      if (inner.length !== 1 || (n[inner[0]!] as XmlNode[]).length !== 1) {
        issues.push({ severity: 'error', code: 'structure', expression: path(i), text: `${key} must hold exactly one resource element` });
        return undefined;
      }
      return readResource(inner[0]!, (n[inner[0]!] as XmlNode[])[0]!, path(i), issues, depth + 1);
    }
    const obj: Json = {};
    if (type === 'BackboneElement' || type === 'Element')
      readChildren(n, ownerType, info.ref ?? (rel ? `${rel}.${key}` : key), path(i), obj, issues, depth + 1);
    else readChildren(n, type, '', path(i), obj, issues, depth + 1);
    return obj;
  });
  out[key] = info.repeats ? values.filter((v) => v !== undefined) : values[0];
}

function isPrimitive(type: string): boolean {
  return /^[a-z]/.test(type) || type.startsWith('http://hl7.org/fhirpath/');
}

function primitive(value: string, type: string, at: string, issues: FhirIssue[]): unknown {
  if (type === 'boolean') {
    if (value === 'true' || value === 'false') return value === 'true';
    issues.push({
      severity: 'error',
      code: 'value',
      expression: at,
      text: `${JSON.stringify(value.slice(0, 40))} is not a boolean; expected true or false`,
    });
    return value;
  }
  if (type === 'decimal' || INTEGER_TYPES.has(type)) {
    if (NUMBER.test(value) && (type === 'decimal' || /^-?\d+$/.test(value))) return Number(value);
    issues.push({
      severity: 'error',
      code: 'value',
      expression: at,
      text: `${JSON.stringify(value.slice(0, 40))} is not ${type === 'decimal' ? 'a decimal' : `an ${type}`}`,
    });
    return value;
  }
  return value;
}

function xhtml(n: XmlNode): string {
  const ns = typeof n['@xmlns'] === 'string' ? n['@xmlns'] : XHTML_NS;
  const attrs = Object.entries(n)
    .filter(([k]) => k.startsWith('@') && k !== '@xmlns')
    .map(([k, v]) => ` ${k.slice(1)}="${String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`)
    .join('');
  return `<div xmlns="${ns}"${attrs}>${typeof n['#text'] === 'string' ? n['#text'] : ''}</div>`;
}
