import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildChannelSchema } from '../../../engine/config/index.js';
import {
  GENERATE_COMMAND,
  REPO_ROOT,
  renderConfigArtifacts,
  spliceGenerated,
  BEGIN_MARKER,
  END_MARKER,
} from '../../../engine/config/generate.js';
import { editorJsonSchema, type JsonSchema } from '../../../engine/config/json-schema.js';
import { testRegistry } from './support.js';

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('config generated files', () => {
  it('schemas/*.schema.json, docs/config.md and docs/test-files.md match what the generator produces now (drift)', async function () {
    this.timeout(60_000);
    const { defaultRegistry } = await import('../../../engine/config/registry.js');
    const doc = readOr(join(REPO_ROOT, 'docs/config.md'));
    const testDoc = readOr(join(REPO_ROOT, 'docs/test-files.md'));
    const stale: string[] = [];
    for (const [rel, content] of renderConfigArtifacts(defaultRegistry, doc, testDoc)) {
      if (readOr(join(REPO_ROOT, rel)) !== content) stale.push(rel);
    }
    expect(stale, `out of date: ${stale.join(', ')}; run \`${GENERATE_COMMAND}\` and commit the result`).to.deep.equal([]);
  });

  it('keeps the hand-written introduction and replaces only the generated part', () => {
    const once = spliceGenerated('# Intro\n\nHand-written.\n', 'GENERATED ONE');
    expect(once).to.equal(`# Intro\n\nHand-written.\n\n${BEGIN_MARKER}\n\nGENERATED ONE\n\n${END_MARKER}\n`);
    const twice = spliceGenerated(`${once}`, 'GENERATED TWO');
    expect(twice).to.equal(once.replace('GENERATED ONE', 'GENERATED TWO'));
  });

  it('documents every field of every registered type, with its description', () => {
    const doc = renderConfigArtifacts(testRegistry, '# Configuration\n').get('docs/config.md')!;
    expect(doc).to.include('### `source` type `mllp`');
    expect(doc).to.include('| `source.port` | whole number | **required** | Listen port. |');
    expect(doc).to.include('| `source.idleTimeout` | number or text | `"5m"` | Idle timeout. |');
    expect(doc).to.include('### `routes[].destination` type `http`');
    expect(doc).to.include('| `routes[].retry.delay` | number or text | `1000` | Delay before the first retry. |');
    expect(doc).to.include('| `version` | `004010` \\| `005010` | **required** |');
    expect(doc).to.include('## Error codes');
  });

  it('lets editors accept ${VAR} where a number or boolean is expected', () => {
    const schema = editorJsonSchema(buildChannelSchema(testRegistry), 'channel');
    const mllp = schema.properties!.source!.oneOf!.find((o) => o.properties?.type?.const === 'mllp')!;
    const port = mllp.properties!.port!;
    expect(port.anyOf!.map((a: JsonSchema) => a.type)).to.deep.equal(['integer', 'string']);
    expect(new RegExp(port.anyOf![1]!.pattern!).test('${MLLP_PORT:-2575}')).to.equal(true);
    expect(schema.properties!.enabled!.anyOf!.map((a: JsonSchema) => a.type)).to.deep.equal(['boolean', 'string']);
    expect(schema.properties!.enabled!.default).to.equal(true);
    expect(schema.additionalProperties).to.equal(false);
  });
});
