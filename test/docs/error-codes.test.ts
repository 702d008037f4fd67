import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIRS = ['lib', 'model', 'parsers', 'channels', 'routes', 'transforms', 'engine'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('error codes', () => {
  it('every code passed to an Interlace error class is documented somewhere in docs/', () => {
    const docs = readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => readFileSync(join(ROOT, 'docs', f), 'utf8'))
      .join('\n');
    const used = new Map<string, string>();
    const pattern = /new (?:Config|Parse|Mapping|Store|Delivery|TransientDelivery|PermanentDelivery|Interlace)Error\(\s*'([a-z0-9-]+)'/g;
    for (const dir of SOURCE_DIRS) {
      for (const file of files(join(ROOT, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(pattern)) used.set(m[1]!, file.slice(ROOT.length));
      }
    }
    expect(used.size).to.be.greaterThan(20);
    const missing = [...used].filter(([code]) => !docs.includes('`' + code + '`')).map(([code, file]) => `${code} (${file})`);
    expect(missing, 'codes used in the source but not documented in docs/').to.deep.equal([]);
  });
});
