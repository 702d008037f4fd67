import { readFileSync, statSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Tags } from 'yaml';
import { configDiagnostic, type ConfigDiagnostic, type Position } from './diagnostics.js';
import { interpolate, protectBraces, restoreBraces, type Env } from './interpolate.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** Config files larger than this are refused unread (a config file is a few KiB). */
export const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

export type PathSegment = string | number;

/** A parsed, interpolated YAML config file and a way back from a value's path to its position. */
export type YamlFile = {
  file: string;
  /** The plain data, after interpolation; undefined when the file could not be read or parsed. */
  data?: unknown;
  diagnostics: ConfigDiagnostic[];
  /**
   * Where the value at `path` starts. `key` gives the position of that key of the mapping at `path`
   * instead; `container` the key that holds the mapping (for "missing field" findings). Falls back
   * to the deepest part of the path that exists.
   */
  position(path: readonly PathSegment[], target?: { key?: string; container?: boolean }): Position;
  /**
   * For a value filled in by `${VAR}` interpolation, the text as written (`${ERP_URL}/usage`), so
   * messages can show that instead of what the environment holds (which may be a secret).
   */
  template(path: readonly PathSegment[]): string | undefined;
  /** The text as read (before interpolation); absent when the file could not be read. */
  source?: string;
};

const START: Position = { line: 1, column: 1 };

/**
 * YAML 1.2 reads `004010` and `01` as the numbers 4010 and 1; X12 versions, qualifiers and ids
 * need the digits as written. Decimal integers with a leading zero therefore stay strings.
 */
function keepLeadingZeros(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t === 'object' && t.tag === 'tag:yaml.org,2002:int' && !t.format && t.test) {
      return { ...t, test: /^[-+]?(?:0|[1-9][0-9]*)$/ };
    }
    return t;
  });
}

/** Reads, parses and interpolates one YAML file; every problem becomes a diagnostic. */
export function readYamlFile(file: string, env: Env): YamlFile {
  let source: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_FILE_BYTES) {
      return failed(file, 'read-failed', `file is ${size} bytes; a config file may have at most ${MAX_CONFIG_FILE_BYTES}`);
    }
    source = readFileSync(file, 'utf8');
  } catch (err) {
    return failed(file, 'read-failed', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseYamlSource(file, source, env);
}

/** Parses YAML text as if it were `file` (tests and `interlace validate` on unsaved text use it). */
export function parseYamlSource(file: string, source: string, env: Env): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(protectBraces(source.replace(/^\uFEFF/, '')), {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    customTags: keepLeadingZeros,
  });
  const at = (offset: number | undefined): Position => {
    if (offset === undefined) return START;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const diagnostics: ConfigDiagnostic[] = [];
  let syntaxError = false;
  for (const e of doc.errors) {
    if (e.code === 'DUPLICATE_KEY') {
      diagnostics.push(configDiagnostic(file, at(e.pos[0]), 'duplicate-key', duplicateKeyMessage(source, e.pos)));
    } else if (!syntaxError) {
      syntaxError = true;
      diagnostics.push(configDiagnostic(file, at(e.pos[0]), 'yaml-syntax', firstLine(e.message)));
    }
  }
  const position = (path: readonly PathSegment[], target?: { key?: string; container?: boolean }) => at(locate(doc, path, target));
  const templates = new WeakMap<object, string>();
  const template = (path: readonly PathSegment[]) => {
    const node = nodeAt(doc, path);
    return node && typeof node === 'object' ? templates.get(node) : undefined;
  };
  const base = { file, diagnostics, position, template, source };
  if (syntaxError) return base;
  if (!isMap(doc.contents)) {
    diagnostics.push(configDiagnostic(file, START, 'not-a-mapping', 'the file is empty or not a mapping; expected `key: value` lines'));
    return base;
  }
  interpolateDocument(doc, env, templates, (offset, code, message) => diagnostics.push(configDiagnostic(file, at(offset), code, message)));
  try {
    return { ...base, data: doc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    diagnostics.push(configDiagnostic(file, START, 'yaml-syntax', firstLine((err as Error).message)));
    return base;
  }
}

function interpolateDocument(
  doc: Document,
  env: Env,
  templates: WeakMap<object, string>,
  report: (offset: number | undefined, code: ErrorCode, message: string) => void,
): void {
  visit(doc, {
    Scalar(key, node) {
      if (typeof node.value !== 'string') return;
      const text = restoreBraces(node.value);
      if (key === 'key') {
        node.value = text;
        return;
      }
      const result = interpolate(text, env);
      for (const p of result.problems) report(node.range?.[0], p.code, p.message);
      if (result.changed) templates.set(node, text);
      node.value = result.value;
    },
  });
}

function locate(doc: Document, path: readonly PathSegment[], target?: { key?: string; container?: boolean }): number | undefined {
  let node: unknown = doc.contents;
  let keyOffset: number | undefined;
  let deepest: number | undefined = (doc.contents as Node | null)?.range?.[0];
  for (const seg of path) {
    const next = child(node, seg);
    if (!next) return keyOffset ?? deepest;
    keyOffset = next.keyOffset ?? keyOffset;
    node = next.value;
    deepest = (node as Node | null)?.range?.[0] ?? keyOffset ?? deepest;
  }
  if (target?.key !== undefined) {
    const k = child(node, target.key);
    return k?.keyOffset ?? deepest;
  }
  if (target?.container) return keyOffset ?? deepest;
  return deepest;
}

function nodeAt(doc: Document, path: readonly PathSegment[]): unknown {
  let node: unknown = doc.contents;
  for (const seg of path) {
    const next = child(node, seg);
    if (!next) return undefined;
    node = next.value;
  }
  return node;
}

function child(node: unknown, seg: PathSegment): { value: unknown; keyOffset?: number } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    if (!pair) return undefined;
    return { value: pair.value, keyOffset: (pair.key as Node).range?.[0] };
  }
  if (isSeq(node) && typeof seg === 'number') {
    const item = node.items[seg];
    return item === undefined ? undefined : { value: item, keyOffset: (item as Node | null)?.range?.[0] };
  }
  return undefined;
}

function duplicateKeyMessage(source: string, pos: [number, number]): string {
  const key = source
    .slice(pos[0], pos[0] + 200)
    .split(/:(?:\s|$)|\r|\n/)[0]!
    .trim()
    .replace(/^["']|["']$/g, '');
  return key ? `"${key}" appears twice in this mapping; keep one` : 'a key appears twice in this mapping';
}

function firstLine(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
}

function failed(file: string, code: ErrorCode, message: string): YamlFile {
  return { file, diagnostics: [configDiagnostic(file, START, code, message)], position: () => START, template: () => undefined };
}
