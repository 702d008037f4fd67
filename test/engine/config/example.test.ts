import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, loadConfig } from '../../../engine/config/index.js';
import { REPO_ROOT } from '../../../engine/config/generate.js';

const EXAMPLE = fileURLToPath(new URL('../../fixtures/config/example/', import.meta.url));

describe('config example of docs/config.md', () => {
  it('is the fixture channel, word for word', () => {
    const doc = readFileSync(`${REPO_ROOT}/docs/config.md`, 'utf8');
    const block = /```yaml\n# channels\/or-implant-charges\.yaml\n([\s\S]*?)```/.exec(doc);
    expect(block, 'the example block is missing from docs/config.md').to.not.equal(null);
    expect(block![1]).to.equal(readFileSync(`${EXAMPLE}channels/or-implant-charges.yaml`, 'utf8'));
  });

  it('loads without a single diagnostic with the registries of this build', async function () {
    this.timeout(60_000);
    const { config, diagnostics } = await loadConfig(EXAMPLE, { env: { ERP_URL: 'https://erp.example' } });
    expect(diagnostics.map((d) => formatDiagnostic(d, EXAMPLE))).to.deep.equal([]);
    expect(config.channels.map((c) => c.name)).to.deep.equal(['or-implant-charges']);
    expect(config.channels[0]!.config.routes[0]!.destination).to.deep.include({ type: 'http', url: 'https://erp.example/supply-usage' });
  });
});
