import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function codesIn(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:Error|error)\(\s*'(x12-[a-z]+(?:-[a-z]+)*)'/g)].map((m) => m[1]!);
}

describe('X12 engine error codes', () => {
  it('documents every code the engine X12 code and the x12 destination raise', () => {
    const doc = readFileSync(join(ROOT, 'docs/x12-engine.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## Error codes'));
    const documented = new Set([...table.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]!));
    const files = [
      ...readdirSync(join(ROOT, 'engine/x12')).map((f) => `engine/x12/${f}`),
      ...readdirSync(join(ROOT, 'routes/destinations/x12')).map((f) => `routes/destinations/x12/${f}`),
      'engine/admin/server.ts',
    ].filter((f) => f.endsWith('.ts'));
    const used = new Set(files.flatMap(codesIn));
    used.add('x12-write-failed'); // the fallback code of a write failure (a variable in the source)
    expect(used.size).to.be.greaterThan(6);
    expect([...used].filter((c) => !documented.has(c)).sort()).to.deep.equal([]);
    expect([...documented].filter((c) => !used.has(c)).sort()).to.deep.equal([]);
  });
});
