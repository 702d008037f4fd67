import { ERROR_CODES, KINDS, type ErrorCodeEntry } from '../../lib/error-codes.js';
import { CONFIG_CODES } from './codes.js';
import type { JsonSchema } from './json-schema.js';

/** One documented field: its path in the file, what it takes, its default and its description. */
type Row = { path: string; type: string; required: boolean; default?: unknown; description: string };
type Section = { title: string; rows: Row[] };

/**
 * Markdown reference of every field of a config file kind, from its input JSON Schema. A field
 * whose value is chosen by `type` (a source, a destination, a transport) gets one sub-section per
 * type.
 */
export function fieldReference(title: string, root: JsonSchema, level = 2): string {
  const sections: Section[] = [];
  const main: Section = { title, rows: [] };
  sections.push(main);
  walk(root, '', main, sections, root, 0);
  return sections
    .filter((s) => s.rows.length)
    .map((s, i) => `${'#'.repeat(i === 0 ? level : level + 1)} ${s.title}\n\n${table(s.rows)}`)
    .join('\n\n');
}

function walk(node: JsonSchema, path: string, section: Section, sections: Section[], root: JsonSchema, depth: number): void {
  if (depth > 12) return;
  const n = resolve(node, root);
  const variants = typedVariants(n, root);
  if (variants) {
    for (const v of variants) {
      const type = String(v.properties!.type!.const);
      const sub: Section = { title: `\`${path}\` type \`${type}\``, rows: [] };
      sections.push(sub);
      walkObject(v, path, sub, sections, root, depth, (key) => key !== 'type');
    }
    return;
  }
  if (n.properties) return walkObject(n, path, section, sections, root, depth, () => true);
  if (n.type === 'array' && n.items) return walk(n.items, `${path}[]`, section, sections, root, depth + 1);
  if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${path}.<name>`, section, sections, root, depth + 1);
}

function walkObject(
  n: JsonSchema,
  path: string,
  section: Section,
  sections: Section[],
  root: JsonSchema,
  depth: number,
  keep: (key: string) => boolean,
): void {
  for (const [key, child] of Object.entries(n.properties ?? {})) {
    if (!keep(key)) continue;
    const p = path ? `${path}.${key}` : key;
    const c = resolve(child, root);
    section.rows.push({
      path: p,
      type: typeText(c, root),
      required: (n.required ?? []).includes(key) && c.default === undefined,
      default: c.default,
      description: c.description ?? '',
    });
    walk(c, p, section, sections, root, depth + 1);
  }
}

/** The options of a union discriminated by a `type` constant, if the node is one. */
function typedVariants(n: JsonSchema, root: JsonSchema): JsonSchema[] | undefined {
  const options = (n.oneOf ?? n.anyOf)?.map((o) => resolve(o, root));
  if (!options?.length) return undefined;
  return options.every((o) => o.properties?.type?.const !== undefined) ? options : undefined;
}

function typeText(n: JsonSchema, root: JsonSchema, depth = 0): string {
  if (depth > 3) return 'any JSON value';
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((v) => `\`${String(v)}\``).join(' | ');
  const variants = typedVariants(n, root);
  if (variants) return `one of ${variants.map((v) => `\`${String(v.properties!.type!.const)}\``).join(', ')} (by \`type\`)`;
  const options = n.oneOf ?? n.anyOf;
  if (options?.length === 0) return 'one of the registered types (none registered yet)';
  if (options && isAnyJson(options.map((o) => resolve(o, root)))) return 'any JSON value';
  if (options) return [...new Set(options.map((o) => typeText(resolve(o, root), root, depth + 1)))].join(' or ');
  const types = Array.isArray(n.type) ? n.type : n.type ? [n.type] : [];
  const words: Record<string, string> = {
    string: 'text',
    integer: 'whole number',
    number: 'number',
    boolean: 'true/false',
    object: 'mapping',
    array: 'list',
    null: 'empty',
  };
  if (n.type === 'array' && n.items) return `list of ${typeText(resolve(n.items, root), root, depth + 1)}`;
  if (n.type === 'object' && typeof n.additionalProperties === 'object')
    return `mapping of name → ${typeText(resolve(n.additionalProperties, root), root, depth + 1)}`;
  const text = types.map((t) => words[t] ?? t).join(' or ');
  return text || 'any';
}

function isAnyJson(options: JsonSchema[]): boolean {
  const types = new Set(options.flatMap((o) => (Array.isArray(o.type) ? o.type : o.type ? [o.type] : [])));
  return ['string', 'boolean', 'null', 'array', 'object'].every((t) => types.has(t));
}

function resolve(n: JsonSchema, root: JsonSchema): JsonSchema {
  let cur = n;
  for (let i = 0; i < 8 && cur.$ref; i++) {
    const name = cur.$ref.replace(/^#\/\$defs\//, '');
    const target = root.$defs?.[name];
    if (!target) break;
    const { $ref: _ref, ...rest } = cur;
    cur = { ...target, ...rest };
  }
  return cur;
}

function table(rows: Row[]): string {
  const lines = ['| field | value | default | description |', '|---|---|---|---|'];
  for (const r of rows) {
    const dflt = r.required ? '**required**' : r.default === undefined ? '' : `\`${JSON.stringify(r.default)}\``;
    lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${cell(dflt)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** The `## Error codes` table of docs/config.md. */
export function errorCodesTable(): string {
  const lines = [
    '## Error codes',
    '',
    'Every config diagnostic has one of these codes (`file:line:column code: message`).',
    '',
    '| code | meaning |',
    '|---|---|',
  ];
  for (const [code, meaning] of Object.entries(CONFIG_CODES)) lines.push(`| \`${code}\` | ${cell(meaning)} |`);
  return lines.join('\n');
}

/**
 * The generated part of docs/errors.md: what each kind of code leads to, then every registered code
 * with its kind, what a peer receives (HTTP status, acknowledgment code) and the page documenting it.
 */
export function errorIndex(): string {
  const lines = ['## What each kind means', '', '| kind | what happens |', '|---|---|'];
  for (const [kind, what] of Object.entries(KINDS)) lines.push(`| \`${kind}\` | ${cell(what)} |`);
  lines.push('', '## Error codes', '', 'Every registered code, in the order of `lib/error-codes.ts`.', '');
  lines.push('| code | kind | HTTP / acknowledgment | meaning | documented in |', '|---|---|---|---|---|');
  for (const [code, e] of Object.entries(ERROR_CODES)) {
    const entry = e as ErrorCodeEntry;
    const answer = [entry.http === undefined ? '' : `HTTP ${entry.http}`, entry.ack ?? ''].filter(Boolean).join('; ');
    const pages = [e.page, ...(entry.also ?? [])].map((p) => (p === 'errors.md' ? 'here' : `[${p}](${p}#error-codes)`)).join(', ');
    lines.push(`| \`${code}\` | ${e.kind} | ${cell(answer)} | ${cell(e.meaning)} | ${pages} |`);
  }
  return lines.join('\n');
}
