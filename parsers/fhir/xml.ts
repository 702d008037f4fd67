import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { elementFor, holdsResource, structureIndex, type ElementInfo } from './definitions.js';
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
    if (holdsResource(type)) {
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

/** A resource the XML writer cannot express: an element R4 does not define, or a value of the wrong shape. */
export class FhirXmlWriteError extends Error {}

const childOrder = new Map<string, string[]>();

/** The element names directly below `rel` of a type, in the order of its R4 definition (XML element order). */
function childrenOf(type: string, rel: string): string[] {
  const key = `${type}|${rel}`;
  const cached = childOrder.get(key);
  if (cached) return cached;
  const prefix = rel ? `${rel}.` : '';
  const names = [...(structureIndex().get(type)?.keys() ?? [])]
    .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('.'))
    .map((p) => p.slice(prefix.length));
  childOrder.set(key, names);
  return names;
}

function attr(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function primitiveText(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  throw new FhirXmlWriteError(
    `${at}: expected a primitive value (text, number or boolean), got ${Array.isArray(value) ? 'an array' : typeof value}`,
  );
}

/**
 * Writes a FHIR resource (JSON representation) as FHIR XML (R4 XML representation), the inverse of
 * `fhirXmlToJson` with the same R4 definitions: elements in definition order, primitives as `value`
 * attributes with their `_name` id and extensions, `id` of an element and `url` of an extension as
 * attributes, resources inside `contained` and `Bundle.entry.resource` wrapped, `Narrative.div` as
 * its XHTML. Throws FhirXmlWriteError naming the element when the resource has one R4 does not define.
 */
export function fhirJsonToXml(resource: Json): string {
  const type = resource.resourceType;
  if (typeof type !== 'string' || !structureIndex().has(type) || !/^[A-Z]/.test(type))
    throw new FhirXmlWriteError(`resourceType ${JSON.stringify(type ?? null)} is not an R4 resource type`);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeResource(resource, type, `${type}`, 0, out, true);
  return out.join('\n') + '\n';
}

function writeResource(r: Json, type: string, at: string, depth: number, out: string[], root: boolean): void {
  const pad = '  '.repeat(depth);
  const body: string[] = [];
  writeChildren(r, type, '', at, depth + 1, body, true);
  const open = `${pad}<${type}${root ? ` xmlns="${FHIR_NS}"` : ''}`;
  if (body.length === 0) out.push(`${open}/>`);
  else out.push(`${open}>`, ...body, `${pad}</${type}>`);
}

/** Writes the children of `obj` (an instance of `type` at `rel`), returning the attributes of the element itself. */
function writeChildren(obj: Json, type: string, rel: string, at: string, depth: number, out: string[], resource: boolean): string {
  const index = structureIndex().get(type);
  if (!index) throw new FhirXmlWriteError(`${at}: no R4 definition of ${type}`);
  const used = new Set<string>(resource && rel === '' ? ['resourceType'] : []);
  let attrs = '';
  if (!resource && obj.id !== undefined) {
    attrs += ` id="${attr(primitiveText(obj.id, `${at}.id`))}"`;
    used.add('id');
  }
  if (type === 'Extension' && rel === '' && obj.url !== undefined) {
    attrs += ` url="${attr(primitiveText(obj.url, `${at}.url`))}"`;
    used.add('url');
  }
  for (const name of childrenOf(type, rel)) {
    const keys = name.endsWith('[x]')
      ? Object.keys(obj).filter(
          (k) => k.replace(/^_/, '').startsWith(name.slice(0, -3)) && /^[A-Z]/.test(k.replace(/^_/, '').slice(name.length - 3)),
        )
      : [name, `_${name}`].filter((k) => k in obj);
    const plain = [...new Set(keys.map((k) => k.replace(/^_/, '')))];
    for (const key of plain) {
      if (used.has(key)) continue;
      const found = elementFor(index, rel, key);
      if (!found?.type) throw new FhirXmlWriteError(`${at}.${key} is not an element of ${rel ? `${type}.${rel}` : type} in R4`);
      used.add(key);
      used.add(`_${key}`);
      writeElement(key, obj[key], obj[`_${key}`], found.type, found.info, type, rel, at, depth, out);
    }
  }
  const unknown = Object.keys(obj).filter((k) => !used.has(k));
  if (unknown.length > 0)
    throw new FhirXmlWriteError(`${at}.${unknown[0]!.slice(0, 60)} is not an element of ${rel ? `${type}.${rel}` : type} in R4`);
  return attrs;
}

function writeElement(
  key: string,
  value: unknown,
  extra: unknown,
  type: string,
  info: ElementInfo,
  ownerType: string,
  rel: string,
  at: string,
  depth: number,
  out: string[],
): void {
  const pad = '  '.repeat(depth);
  const list = (v: unknown): unknown[] => (v === undefined ? [] : info.repeats && Array.isArray(v) ? v : [v]);
  const path = (i: number) => `${at}.${key}${info.repeats ? `[${i}]` : ''}`;
  if (type === 'xhtml') {
    for (const v of list(value)) out.push(pad + primitiveText(v, path(0)));
    return;
  }
  if (isPrimitive(type)) {
    const values = list(value);
    const extras = list(extra);
    for (let i = 0; i < Math.max(values.length, extras.length); i++) {
      const v = values[i];
      const x = (extras[i] ?? undefined) as Json | undefined;
      let attrs = x?.id !== undefined ? ` id="${attr(primitiveText(x.id, `${path(i)}.id`))}"` : '';
      if (v !== undefined && v !== null) attrs += ` value="${attr(primitiveText(v, path(i)))}"`;
      const inner: string[] = [];
      if (x?.extension !== undefined) {
        const found = elementFor(structureIndex().get('Element')!, '', 'extension')!;
        writeElement('extension', x.extension, undefined, 'Extension', found.info, 'Element', '', path(i), depth + 1, inner);
      }
      if (inner.length === 0) out.push(`${pad}<${key}${attrs}/>`);
      else out.push(`${pad}<${key}${attrs}>`, ...inner, `${pad}</${key}>`);
    }
    return;
  }
  list(value).forEach((v, i) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new FhirXmlWriteError(`${path(i)}: expected an object (${type}), got ${Array.isArray(v) ? 'an array' : typeof v}`);
    const obj = v as Json;
    const inner: string[] = [];
    let attrs = '';
    if (holdsResource(type)) {
      const t = obj.resourceType;
      if (typeof t !== 'string' || !structureIndex().has(t) || !/^[A-Z]/.test(t))
        throw new FhirXmlWriteError(`${path(i)}.resourceType ${JSON.stringify(t ?? null)} is not an R4 resource type`);
      writeResource(obj, t, path(i), depth + 1, inner, false);
    } else if (type === 'BackboneElement' || type === 'Element') {
      attrs = writeChildren(obj, ownerType, info.ref ?? (rel ? `${rel}.${key}` : key), path(i), depth + 1, inner, false);
    } else {
      attrs = writeChildren(obj, type, '', path(i), depth + 1, inner, false);
    }
    if (inner.length === 0) out.push(`${pad}<${key}${attrs}/>`);
    else out.push(`${pad}<${key}${attrs}>`, ...inner, `${pad}</${key}>`);
  });
}
