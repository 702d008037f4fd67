import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function codesIn(folder: string): Set<string> {
  const dir = join(ROOT, folder);
  const text = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  return new Set([...text.matchAll(/'((?:file|http)-[a-z]+(?:-[a-z]+)*)'/g)].map((m) => m[1]!));
}

describe('file and http source error codes', () => {
  const doc = readFileSync(join(ROOT, 'docs/sources.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Error codes'));
  const documented = new Set([...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!));

  it('documents every code the two sources use, and no other', () => {
    const used = new Set([...codesIn('channels/file'), ...codesIn('channels/http')]);
    used.delete('file-archived'); // a ledger answer kind, not an error code
    used.delete('file-ack');
    used.delete('file-changed');
    expect(used.size).to.be.greaterThan(12);
    expect([...used].filter((c) => !documented.has(c)).sort()).to.deep.equal([]);
    expect([...documented].filter((c) => !used.has(c)).sort()).to.deep.equal([]);
  });
});
