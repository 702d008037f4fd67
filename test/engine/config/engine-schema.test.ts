import { expect } from 'chai';
import { join } from 'node:path';
import { engineSchema, formatDiagnostic, parseYamlSource } from '../../../engine/config/index.js';
import { configDiagnostic, sortDiagnostics } from '../../../engine/config/diagnostics.js';
import { validateFile } from '../../../engine/config/validate.js';

function check(src: string, env: Record<string, string> = {}) {
  const yaml = parseYamlSource('engine.yaml', src, env);
  const { value, diagnostics } = validateFile(engineSchema, yaml, 'engine.yaml');
  return {
    value,
    lines: sortDiagnostics([...yaml.diagnostics, ...diagnostics]).map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`),
  };
}

describe('config engine schema', () => {
  it('fills in every default from a minimal engine.yaml', () => {
    const { value, lines } = check('engine: { id: main }\n');
    expect(lines).to.deep.equal([]);
    expect(value).to.deep.equal({
      engine: { id: 'main', processingNice: 10, watchChannels: false, shutdownTimeout: 30_000 },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'interlace', supervise: 'auto' },
      store: { sync: 'full', duplicateWindow: 86_400_000, retentionEvery: 3_600_000, minFreeSpace: 256 * 1024 * 1024 },
      reconciliation: {
        enabled: true,
        interval: 60_000,
        window: 45 * 86_400_000,
        chargeDeadline: 72 * 3_600_000,
        inventoryDeadline: 24 * 3_600_000,
        facilities: {},
        poAckDeadline: 48 * 3_600_000,
        asnDeadline: 7 * 86_400_000,
      },
      logging: { level: 'info', logPayloads: false },
    });
  });

  it('reads reconciliation deadlines per facility and refuses a bad one where it is', () => {
    const { value } = check(
      'engine: { id: main }\nreconciliation: { chargeDeadline: 24h, facilities: { NORTH: { chargeDeadline: 5d }, SOUTH: { inventoryDeadline: 2h } } }\n',
    );
    expect(value!.reconciliation).to.deep.include({
      chargeDeadline: 86_400_000,
      facilities: { NORTH: { chargeDeadline: 5 * 86_400_000 }, SOUTH: { inventoryDeadline: 2 * 3_600_000 } },
    });
    const bad = check('engine: { id: main }\nreconciliation: { facilities: { NORTH: { chargeDeadline: soon } } }\n');
    expect(bad.lines).to.have.length(1);
    expect(bad.lines[0]).to.match(/^2:\d+ .*"soon" is not a duration/);
  });

  it('reads a full engine.yaml with interpolated values', () => {
    const src = [
      'engine: { id: hospital-a, dataDir: /var/lib/interlace, shutdownTimeout: 5s }',
      'redis: { url: "${REDIS_URL}", prefix: "ilx:", supervise: never }',
      'store: { type: postgres, url: "${PG_URL}", sync: normal, duplicateWindow: 48h, retention: 90d }',
      'admin: { host: 0.0.0.0, port: ${ADMIN_PORT:-8470}, token: "${ADMIN_TOKEN}" }',
      'x12: { interchangeId: 123456789, qualifier: 01, applicationCode: HOSPA, defaultAck: 997 }',
      'logging: { level: debug, logPayloads: ${LOG_PAYLOADS:-false} }',
    ].join('\n');
    const { value, lines } = check(src, { REDIS_URL: 'redis://redis:6380', PG_URL: 'postgres://u:p@db/ilx', ADMIN_TOKEN: 't'.repeat(32) });
    expect(lines).to.deep.equal([]);
    expect(value!.redis).to.deep.equal({ url: 'redis://redis:6380', prefix: 'ilx:', supervise: 'never' });
    expect(value!.store).to.deep.include({ type: 'postgres', url: 'postgres://u:p@db/ilx', duplicateWindow: 48 * 3_600_000 });
    expect(value!.admin).to.deep.equal({
      host: '0.0.0.0',
      port: 8470,
      token: 't'.repeat(32),
      metricsFrom: [],
      maxConnections: 256,
      maxConnectionsPerAddress: 32,
      maxRequestsPerAddress: 32,
    });
    expect(value!.x12).to.deep.equal({
      interchangeId: '123456789',
      qualifier: '01',
      applicationCode: 'HOSPA',
      defaultAck: '997',
      identities: [],
    });
    expect(value!.logging).to.deep.equal({ level: 'debug', logPayloads: false });
  });

  it('reports bad values of every section at once', () => {
    const { lines } = check(
      'engine: { shutdownTimeout: forever }\nredis: { url: "http://redis", supervise: always }\nadmin: { port: -1, token: "0123456789abcdef" }\nx12: { interchangeId: "", applicationCode: H }\nlogging: { logPayloads: yes }\n',
    );
    expect(lines.map((l) => l.replace(/: .*$/, ''))).to.deep.equal([
      '1:1 missing-field',
      '1:28 invalid-duration',
      '2:15 invalid-format',
      '2:42 invalid-value',
      '3:16 invalid-port',
      '4:23 out-of-range',
      '4:44 out-of-range',
      '5:25 invalid-type',
    ]);
    expect(lines[4]).to.equal('3:16 invalid-port: -1 is not a port (0–65535)');
    expect(lines[7]).to.equal('5:25 invalid-type: logging.logPayloads: expected true or false, got "yes"');
  });
});

describe('config diagnostics format', () => {
  it('prints file:line:column code: message relative to the working directory', () => {
    const d = configDiagnostic(
      join('/srv', 'config', 'channels', 'or-usage.yaml'),
      { line: 12, column: 9 },
      'invalid-port',
      '70000 is not a port (0–65535)',
    );
    expect(formatDiagnostic(d, '/srv')).to.equal('config/channels/or-usage.yaml:12:9 invalid-port: 70000 is not a port (0–65535)');
    expect(d.location).to.deep.equal({ file: d.file, line: 12, column: 9 });
  });

  it('marks warnings', () => {
    const d = configDiagnostic('/srv/config/tables/items.csv', { line: 4, column: 1 }, 'table-duplicate-key', 'row 3 repeats…', 'warning');
    expect(formatDiagnostic(d, '/srv/config')).to.equal('tables/items.csv:4:1 warning table-duplicate-key: row 3 repeats…');
  });
});
