import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic, loadConfig } from '../../../engine/config/index.js';

describe('config loader: routes to trading partners', () => {
  it('refuses a channel whose x12 route names a partner no file defines, with its position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interlace-partner-'));
    try {
      cpSync(new URL('../../../config/', import.meta.url), dir, { recursive: true });
      const file = join(dir, 'channels', 'supplier-po-out.yaml');
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace('partner: acme-medical', 'partner: acme-medicl'));
      const line = text.split('\n').findIndex((l) => l.includes('partner: acme-medical')) + 1;
      const { config, diagnostics } = await loadConfig(dir, { env: {} });
      const found = diagnostics.filter((d) => d.code === 'unknown-partner');
      expect(found.map((d) => formatDiagnostic(d, dir))).to.deep.equal([
        `channels/supplier-po-out.yaml:${line}:16 unknown-partner: partner "acme-medicl" is not defined in partners/ (expected a file with id: acme-medicl); partners: acme-medical, lakeshore-health-plan, northwind-surgical, summit-surgical`,
      ]);
      expect(config.channels.map((c) => c.name)).to.not.include('supplier-po-out');
      expect(config.channels.map((c) => c.name)).to.include('or-implant-charges');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
