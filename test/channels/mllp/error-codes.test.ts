import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('mllp error codes', () => {
  it('documents every mllp-* code used in channels/mllp in docs/mllp.md, and no stale one', () => {
    const dir = join(root, 'channels/mllp');
    const used = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/'(mllp-[a-z-]+)'/g)) used.add(m[1]!);
    }
    const doc = readFileSync(join(root, 'docs/mllp.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Error codes'));
    const documented = new Set([...section.matchAll(/^\| `(mllp-[a-z-]+)` \|/gm)].map((m) => m[1]!));
    expect(used.size).to.be.greaterThan(5);
    expect([...used].filter((c) => !documented.has(c))).to.deep.equal([]);
    expect([...documented].filter((c) => !used.has(c))).to.deep.equal([]);
  });
});
