import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, type DocPage, type ErrorCodeEntry } from '../../lib/error-codes.js';
import { REPO_ROOT, renderErrorIndex } from '../../engine/config/generate.js';
import { HL7_DIAGNOSTIC_CODES } from '../../parsers/hl7v2/index.js';

/**
 * The one check of the error-code registry (lib/error-codes.ts). That every code the source passes to
 * an error class or a diagnostic is registered is the compiler's job (`code: ErrorCode`); this test
 * checks the other direction and the docs: each registered code is documented on its page, each
 * documented code is registered, none is dead, and docs/errors.md is the registry's index.
 */
const SOURCE_DIRS = ['lib', 'model', 'parsers', 'channels', 'routes', 'transforms', 'engine'];
const REGISTRY = 'lib/error-codes.ts';
const registry = ERROR_CODES as Record<string, ErrorCodeEntry>;
const entries = Object.entries(registry);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(REPO_ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return /\.(ts|mjs)$/.test(name) && rel !== REGISTRY ? [rel] : [];
  });
}

/** The codes in the first column of the tables under `## Error codes` of a docs page. */
function documentedOn(page: string): Set<string> {
  const doc = readFileSync(join(REPO_ROOT, 'docs', page), 'utf8');
  const at = doc.indexOf('## Error codes');
  if (at < 0) return new Set();
  return new Set([...doc.slice(at).matchAll(/^\| `([a-z0-9]+(?:-[a-z0-9]+)*)` \|/gm)].map((m) => m[1]!));
}

describe('error-code registry', () => {
  it('has well-formed codes and a meaning for each', () => {
    expect(entries.length).to.be.greaterThan(150);
    for (const [code, e] of entries) {
      expect(code, code).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(e.meaning.trim(), code).to.not.equal('');
      if (e.http !== undefined) expect(e.http, code).to.be.within(100, 599);
    }
  });

  it('every registered code is documented under "## Error codes" on its page (and on each page of `also`)', () => {
    const missing: string[] = [];
    for (const [code, e] of entries) {
      for (const page of [e.page, ...(e.also ?? [])]) {
        if (page === 'errors.md') continue; // its row in the generated index is its documentation (below)
        if (!documentedOn(page).has(code)) missing.push(`${code} (docs/${page})`);
      }
    }
    expect(missing, 'registered but not documented on their page').to.deep.equal([]);
  });

  it('every code a docs page documents under "## Error codes" is registered with that page', () => {
    const pages = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md') && f !== 'errors.md');
    const wrong: string[] = [];
    for (const page of pages) {
      for (const code of documentedOn(page)) {
        const e = registry[code];
        if (!e) wrong.push(`${code} (docs/${page}): not registered in ${REGISTRY}`);
        else if (e.page !== page && !(e.also ?? []).includes(page as DocPage))
          wrong.push(`${code} (docs/${page}): registered with page ${e.page}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('every registered code is used by the source (no dead entries)', () => {
    const text = SOURCE_DIRS.flatMap(sourceFiles)
      .map((f) => readFileSync(join(REPO_ROOT, f), 'utf8'))
      .join('\n');
    const dead = entries.map(([code]) => code).filter((code) => !text.includes(`'${code}'`));
    expect(dead, 'registered but never used in the source').to.deep.equal([]);
  });

  it('docs/errors.md is the index generated from the registry (run `npm run generate`)', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    expect(doc === renderErrorIndex(doc), 'docs/errors.md is out of date; run `npm run generate`').to.equal(true);
    for (const [code] of entries) expect(doc, code).to.include(`| \`${code}\` |`);
  });

  it("an HL7 code's acknowledgment is the ERR-3 value the ACK generator uses", () => {
    for (const [code, err3] of Object.entries(HL7_DIAGNOSTIC_CODES)) {
      const e = registry[code];
      expect(e, `${code} is not registered`).to.not.equal(undefined);
      if (e!.page === 'hl7v2.md') expect(e!.ack, code).to.equal(`ERR-3 ${err3}`);
    }
  });
});
