import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigRegistry } from './channel-schema.js';
import { errorCodesTable, errorIndex, fieldReference } from './docs-gen.js';
import { configSchemas, editorJsonSchema, toJsonSchema } from './json-schema.js';
import { testFileSchema } from './test-file-schema.js';

/**
 * Generates, from the zod schemas and the registries, the editor JSON Schemas (`schemas/*.json`)
 * and the field reference and error codes of `docs/config.md` and the field reference of
 * `docs/test-files.md` (between the markers, below the hand-written introduction), and the index of error codes in
 * `docs/errors.md`. Run: `npm run generate`.
 */

export const GENERATE_COMMAND = 'npm run generate';
export const BEGIN_MARKER = `<!-- BEGIN GENERATED: do not edit below; run \`${GENERATE_COMMAND}\` -->`;
export const END_MARKER = '<!-- END GENERATED -->';

/** What the generator writes: repository-relative path → content. */
export function renderConfigArtifacts(
  registry: ConfigRegistry,
  currentDoc: string,
  currentTestDoc = '# Test files\n',
): Map<string, string> {
  const schemas = configSchemas(registry);
  const out = new Map<string, string>();
  for (const [kind, { schema, title }] of Object.entries(schemas)) {
    out.set(`schemas/${kind}.schema.json`, `${JSON.stringify(editorJsonSchema(schema, title), null, 2)}\n`);
  }
  const reference = [
    fieldReference('engine.yaml reference', toJsonSchema(schemas.engine.schema)),
    fieldReference('Channel reference (channels/*.yaml)', toJsonSchema(schemas.channel.schema)),
    fieldReference('Partner reference (partners/*.yaml)', toJsonSchema(schemas.partner.schema)),
    errorCodesTable(),
  ].join('\n\n');
  out.set('docs/config.md', spliceGenerated(currentDoc, reference));
  out.set(
    'schemas/test.schema.json',
    `${JSON.stringify(editorJsonSchema(testFileSchema, 'Interlace test cases (channels/*.test.yaml)'), null, 2)}\n`,
  );
  out.set(
    'docs/test-files.md',
    spliceGenerated(currentTestDoc, fieldReference('Test file reference (channels/*.test.yaml)', toJsonSchema(testFileSchema))),
  );
  return out;
}

/** docs/errors.md: the hand-written introduction, then the index of the error-code registry. */
export function renderErrorIndex(currentDoc: string): string {
  return spliceGenerated(currentDoc, errorIndex());
}

/** Replaces what lies between the markers (adding them at the end when absent). */
export function spliceGenerated(doc: string, generated: string): string {
  const block = `${BEGIN_MARKER}\n\n${generated}\n\n${END_MARKER}\n`;
  const begin = doc.indexOf(BEGIN_MARKER.slice(0, BEGIN_MARKER.indexOf(':')));
  const end = doc.indexOf(END_MARKER);
  if (begin < 0 || end < begin) return `${doc.replace(/\s*$/, '')}\n\n${block}`;
  return doc.slice(0, begin) + block + doc.slice(end + END_MARKER.length).replace(/^\n*/, '');
}

/** The repository root (this file is engine/config/generate.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

async function main(): Promise<void> {
  const { defaultRegistry } = await import('./registry.js');
  const current = readOr(join(REPO_ROOT, 'docs/config.md'), '# Configuration\n');
  const currentTests = readOr(join(REPO_ROOT, 'docs/test-files.md'), '# Test files\n');
  for (const [rel, content] of renderConfigArtifacts(defaultRegistry, current, currentTests)) {
    const path = join(REPO_ROOT, rel);
    const changed = readOr(path, '') !== content;
    if (changed) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    console.log(`${changed ? 'wrote    ' : 'unchanged'} ${rel}`);
  }
  const errorsPath = join(REPO_ROOT, 'docs/errors.md');
  const errors = renderErrorIndex(readOr(errorsPath, '# Error codes\n'));
  const changed = readOr(errorsPath, '') !== errors;
  if (changed) writeFileSync(errorsPath, errors);
  console.log(`${changed ? 'wrote    ' : 'unchanged'} docs/errors.md`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
