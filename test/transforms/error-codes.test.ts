import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

/** Codes passed to error constructors and helpers in transforms/, by reading the source. */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const file of readdirSync(new URL('transforms/', root)).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(`transforms/${file}`, root), 'utf8');
    for (const m of text.matchAll(/(?:Error|helperError)\(\s*'([a-z]+(?:-[a-z]+)+)'/g)) codes.add(m[1]!);
    for (const m of text.matchAll(/return field === 'path' \? '([a-z-]+)' : '([a-z-]+)'/g)) codes.add(m[1]!).add(m[2]!);
  }
  return codes;
}

/** Codes in the `## Error codes` table of docs/transforms.md. */
function documentedCodes(): Set<string> {
  const doc = readFileSync(new URL('docs/transforms.md', root), 'utf8');
  const section = doc.split('## Error codes')[1] ?? '';
  return new Set([...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!));
}

describe('transforms: error codes', () => {
  it('documents every code the source uses, and nothing else', () => {
    const used = codesInSource();
    const documented = documentedCodes();
    expect(used.size).to.be.greaterThan(15);
    expect(
      [...used].filter((c) => !documented.has(c)),
      'used but not documented',
    ).to.deep.equal([]);
    expect(
      [...documented].filter((c) => !used.has(c)),
      'documented but not used',
    ).to.deep.equal([]);
  });
});
