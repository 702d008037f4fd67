import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, loadConfig, validateConfigDir, type ConfigDiagnostic } from '../../../engine/config/index.js';
import { channelYaml, ENGINE_YAML, makeConfigDir, testRegistry } from './support.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const env = { ADMIN_TOKEN: 'a-long-enough-admin-token', ERP_URL: 'http://erp.local' };

/** `channels/x.yaml:4:9 code` for each diagnostic, paths relative to the config dir. */
function brief(diagnostics: ConfigDiagnostic[], dir: string): string[] {
  return diagnostics.map((d) => formatDiagnostic(d, dir).replace(/: .*$/, ''));
}

async function load(files: Record<string, string>, envVars: Record<string, string> = {}) {
  const tmp = makeConfigDir(files);
  try {
    const result = await loadConfig(tmp.dir, { registry: testRegistry, env: envVars });
    return { ...result, lines: result.diagnostics.map((d) => formatDiagnostic(d, tmp.dir)) };
  } finally {
    tmp.cleanup();
  }
}

describe('config loader', () => {
  describe('a directory with three channels, one broken', () => {
    const dir = join(FIXTURES, 'three-channels');

    it('loads the two good channels and refuses the broken one', async () => {
      const { config } = await loadConfig(dir, { registry: testRegistry, env });
      expect(config.channels.map((c) => c.name)).to.deep.equal(['or-implant-charges', 'pharmacy-usage']);
      const or = config.channels[0]!.config;
      expect(or.source).to.deep.equal({ type: 'mllp', host: '0.0.0.0', port: 2575, idleTimeout: 300_000 });
      expect(or.routes[0]!.destination).to.deep.equal({ type: 'http', url: 'http://erp.local/supply-usage', timeout: 30_000 });
      expect(or.routes[0]!.retry).to.deep.equal({ attempts: 10, delay: 1000, maxDelay: 600_000, factor: 2, jitter: 0.2 });
      expect(or.routes[0]!.concurrency).to.equal(4);
      expect(or.duplicates).to.deep.equal({ enabled: true, window: 86_400_000 });
      expect(config.channels[1]!.config.source).to.deep.equal({ type: 'file', path: './inbox/pharmacy' });
      expect(config.channels[1]!.config.enabled).to.equal(true);
    });

    it('reports every problem of the broken channel at once, with positions', async () => {
      const { diagnostics } = await loadConfig(dir, { registry: testRegistry, env });
      expect(brief(diagnostics, dir)).to.deep.equal([
        'channels/supply-broken.yaml:4:9 invalid-port',
        'channels/supply-broken.yaml:5:3 unknown-key',
        'channels/supply-broken.yaml:6:18 invalid-value',
        'channels/supply-broken.yaml:9:37 env-unset',
        'channels/supply-broken.yaml:10:18 invalid-type',
        'channels/supply-broken.yaml:11:11 duplicate-route-name',
        'channels/supply-broken.yaml:12:26 unknown-type',
        'tables/item-master.csv:4:1 warning table-duplicate-key',
      ]);
      const text = diagnostics.map((d) => formatDiagnostic(d, dir));
      expect(text[0]).to.equal('channels/supply-broken.yaml:4:9 invalid-port: 70000 is not a port (0–65535)');
      expect(text[1]).to.equal(
        'channels/supply-broken.yaml:5:3 unknown-key: "prot" is not a field of source (mllp); expected one of type, host, port, idleTimeout (did you mean "port"?)',
      );
      expect(text[3]).to.equal('channels/supply-broken.yaml:9:37 env-unset: ${SUPPLY_URL} is not set and has no default');
      expect(text[6]).to.equal('channels/supply-broken.yaml:12:26 unknown-type: "ftp" is not a destination type; expected one of http');
    });

    it('skips *.test.yaml files, loads partners and tables, applies engine defaults', async () => {
      const { config, diagnostics } = await loadConfig(dir, { registry: testRegistry, env });
      expect(diagnostics.some((d) => d.file.endsWith('.test.yaml'))).to.equal(false);
      expect(config.partners.map((p) => p.id)).to.deep.equal(['acme-medical']);
      expect(config.tables.map((t) => [t.name, t.columns, t.rows.length])).to.deep.equal([
        ['item-master', ['code', 'description', 'unit'], 3],
      ]);
      expect(config.engine?.engine).to.deep.equal({
        id: 'test-engine',
        processingNice: 10,
        watchChannels: false,
        shutdownTimeout: 10_000,
        dataDir: './var',
      });
      expect(config.engine?.store.duplicateWindow).to.equal(12 * 3_600_000);
      expect(config.engine?.store.path).to.equal(join('var', 'messages.db'));
      expect(config.engine?.admin).to.deep.equal({
        host: '127.0.0.1',
        port: 8470,
        token: env.ADMIN_TOKEN,
        metricsFrom: [],
        maxConnections: 256,
        maxConnectionsPerAddress: 32,
        maxRequestsPerAddress: 32,
      });
    });

    it('validateConfigDir returns the same diagnostics', async () => {
      const diagnostics = await validateConfigDir(dir, env, testRegistry);
      expect(diagnostics).to.have.length(8);
      expect(diagnostics.filter((d) => d.severity === 'error')).to.have.length(7);
    });

    it('refuses to produce an engine config when engine.yaml is broken, and still checks channels', async () => {
      const { config, diagnostics } = await loadConfig(dir, { registry: testRegistry, env: { ERP_URL: 'http://erp' } });
      expect(config.engine).to.equal(undefined);
      expect(brief(diagnostics, dir).filter((l) => l.startsWith('engine.yaml'))).to.deep.equal(['engine.yaml:8:10 env-unset']);
      expect(config.channels).to.have.length(2);
    });
  });

  describe('engine.yaml', () => {
    it('is required', async () => {
      const { lines, config } = await load({ 'channels/a.yaml': channelYaml('a', 2575) });
      expect(lines).to.deep.equal([
        'engine.yaml:1:1 missing-engine-config: the config directory has no engine.yaml; expected at least `engine: { id: … }`',
      ]);
      expect(config.engine).to.equal(undefined);
      expect(config.channels).to.have.length(1);
    });

    it('takes engine.dataDir from INTERLACE_DATA when absent', async () => {
      const { config } = await load({ 'engine.yaml': ENGINE_YAML }, { INTERLACE_DATA: '/srv/interlace' });
      expect(config.engine?.engine.dataDir).to.equal('/srv/interlace');
      expect(config.engine?.store.path).to.equal(join('/srv/interlace', 'messages.db'));
    });

    it('chooses the store from store.url, else INTERLACE_STORE, else SQLite in the data directory', async () => {
      const none = await load({ 'engine.yaml': ENGINE_YAML });
      expect(none.config.engine?.store).to.deep.include({ type: 'sqlite', url: `sqlite:${join('var', 'messages.db')}` });
      const pg = await load({ 'engine.yaml': ENGINE_YAML }, { INTERLACE_STORE: 'postgres://u:p@db.local/interlace' });
      expect(pg.config.engine?.store).to.deep.include({ type: 'postgres', url: 'postgres://u:p@db.local/interlace' });
      const shipped = `${ENGINE_YAML}store:\n  url: \${INTERLACE_STORE:-}\n`;
      expect((await load({ 'engine.yaml': shipped })).config.engine?.store).to.deep.include({
        type: 'sqlite',
        url: `sqlite:${join('var', 'messages.db')}`,
      });
      expect((await load({ 'engine.yaml': shipped }, { INTERLACE_STORE: 'sqlite:/srv/m.db' })).config.engine?.store).to.deep.include({
        type: 'sqlite',
        path: '/srv/m.db',
      });
      const file = await load(
        { 'engine.yaml': `${ENGINE_YAML}store: { url: 'postgresql://h/db' }\n` },
        { INTERLACE_STORE: 'sqlite:/ignored.db' },
      );
      expect(file.config.engine?.store.url).to.equal('postgresql://h/db');
    });

    it('refuses a store location that is neither sqlite: nor postgres://, or disagrees with store.type', async () => {
      const env = await load({ 'engine.yaml': ENGINE_YAML }, { INTERLACE_STORE: 'mysql://u:secret@h/db' });
      expect(env.config.engine).to.equal(undefined);
      expect(env.lines).to.deep.equal([
        'engine.yaml:1:1 invalid-format: INTERLACE_STORE: "mysql://u:***@h/db" is not a store location; expected sqlite:PATH or a postgres:// URL',
      ]);
      const file = await load({ 'engine.yaml': `${ENGINE_YAML}store: { url: 'redis://h' }\n` });
      expect(file.lines.join('\n')).to.contain('store.url must be sqlite:PATH or a postgres:// URL');
      const clash = await load({ 'engine.yaml': `${ENGINE_YAML}store: { type: sqlite, url: 'postgres://h/db' }\n` });
      expect(clash.lines).to.deep.equal([
        'engine.yaml:1:1 invalid-format: store.type is sqlite but store.url is a postgres location; remove store.type or make them agree',
      ]);
    });

    it('reports unknown sections and bad values with positions', async () => {
      const { lines, config } = await load({
        'engine.yaml':
          'engine:\n  id: Main Engine\nstore: { type: postgres, sync: fast }\nloging: { level: info }\nadmin: { token: short }\n',
      });
      expect(config.engine).to.equal(undefined);
      expect(lines).to.deep.equal([
        'engine.yaml:2:7 invalid-format: engine.id must be kebab-case (lower-case letters, digits and single dashes, e.g. or-implant-charges); got "Main Engine"',
        'engine.yaml:3:1 missing-field: store.type is postgres but store.url is missing; expected a postgres:// URL',
        'engine.yaml:3:32 invalid-value: store.sync: expected one of full, normal; got "fast"',
        'engine.yaml:4:1 unknown-key: "loging" is not a field of engine.yaml; expected one of engine, redis, store, admin, x12, reconciliation, alerts, telemetry, logging (did you mean "logging"?)',
        'engine.yaml:5:17 out-of-range: admin.token must be at least 16 characters',
      ]);
    });

    it('never echoes a secret value in a message', async () => {
      const { lines } = await load({ 'engine.yaml': `${ENGINE_YAML}admin: { token: 12345 }\n` });
      expect(lines.join('\n')).to.not.include('12345');
      expect(lines[0]).to.match(/^engine\.yaml:3:17 invalid-type: admin\.token: expected text, got \(a secret value\)$/);
    });
    it('shows an interpolated value with the ${VAR} it came from, and masks passwords in URLs', async () => {
      const { lines } = await load(
        { 'engine.yaml': 'engine: { id: "${ENGINE_ID}" }\nredis: { url: "http://:hunter2@redis:6379" }\nstore: { sync: "${SYNC}" }\n' },
        { ENGINE_ID: 'Secret Value', SYNC: 'x' },
      );
      expect(lines).to.deep.equal([
        'engine.yaml:1:15 invalid-format: engine.id must be kebab-case (lower-case letters, digits and single dashes, e.g. or-implant-charges); got "Secret Value" (from "${ENGINE_ID}")',
        'engine.yaml:2:15 invalid-format: redis.url must start with redis://, rediss:// or redis+sentinel://; got "http://:***@redis:6379"',
        'engine.yaml:3:16 invalid-value: store.sync: expected one of full, normal; got "x" (from "${SYNC}")',
      ]);
    });
  });

  describe('YAML problems', () => {
    it('reports a syntax error where the parser gave up, and refuses the file', async () => {
      const { lines, config } = await load({
        'engine.yaml': ENGINE_YAML,
        'channels/a.yaml': 'name: a\nsource: { type: mllp, port: 1\nroutes: []\n',
        'channels/b.yaml': channelYaml('b', 2576),
      });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^channels\/a\.yaml:3:1 yaml-syntax: /);
      expect(config.channels.map((c) => c.name)).to.deep.equal(['b']);
    });

    it('reports duplicate keys at the second occurrence', async () => {
      const { lines, config } = await load({ 'engine.yaml': ENGINE_YAML, 'channels/a.yaml': channelYaml('a', 2575, 'name: again') });
      expect(lines).to.deep.equal(['channels/a.yaml:9:1 duplicate-key: "name" appears twice in this mapping; keep one']);
      expect(config.channels).to.have.length(0);
    });

    it('refuses a file whose top level is not a mapping', async () => {
      const { lines } = await load({ 'engine.yaml': ENGINE_YAML, 'channels/a.yaml': '- a\n- b\n', 'channels/b.yaml': '' });
      expect(lines).to.deep.equal([
        'channels/a.yaml:1:1 not-a-mapping: the file is empty or not a mapping; expected `key: value` lines',
        'channels/b.yaml:1:1 not-a-mapping: the file is empty or not a mapping; expected `key: value` lines',
      ]);
    });

    it('survives garbage and binary input', async () => {
      const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37) % 256)).toString('latin1');
      const { lines, config } = await load({
        'engine.yaml': ENGINE_YAML,
        'channels/a.yaml': garbage,
        'channels/b.yaml': channelYaml('b', 1),
      });
      expect(lines.length).to.be.greaterThan(0);
      expect(lines.every((l) => l.startsWith('channels/a.yaml:'))).to.equal(true);
      expect(config.channels.map((c) => c.name)).to.deep.equal(['b']);
    });

    it('refuses an oversized file unread', async () => {
      const { lines, config } = await load({
        'engine.yaml': ENGINE_YAML,
        'channels/a.yaml': `name: a\n# ${'x'.repeat(5 * 1024 * 1024)}\n`,
      });
      expect(lines).to.deep.equal(['channels/a.yaml:1:1 read-failed: file is 5242891 bytes; a config file may have at most 4194304']);
      expect(config.channels).to.have.length(0);
    });

    it('refuses an alias bomb instead of expanding it', async () => {
      const bomb = [
        'a: &a [x, x, x, x, x, x, x, x, x, x]',
        ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
      ].join('\n');
      const { lines } = await load({ 'engine.yaml': ENGINE_YAML, 'channels/a.yaml': bomb });
      expect(lines[0]).to.match(/^channels\/a\.yaml:1:1 yaml-syntax: /);
    });
  });

  describe('cross-file checks', () => {
    it('reports a channel name used twice on both files and refuses both', async () => {
      const { lines, config } = await load({
        'engine.yaml': ENGINE_YAML,
        'channels/a.yaml': channelYaml('orders', 2575),
        'channels/b.yaml': channelYaml('orders', 2576),
        'channels/c.yaml': channelYaml('other', 2577),
      });
      expect(lines).to.deep.equal([
        'channels/a.yaml:1:7 duplicate-channel-name: channel name "orders" is also used by channels/b.yaml; channel names must be unique',
        'channels/b.yaml:1:7 duplicate-channel-name: channel name "orders" is also used by channels/a.yaml; channel names must be unique',
      ]);
      expect(config.channels.map((c) => c.name)).to.deep.equal(['other']);
    });

    it('reports two enabled channels on the same port, and ignores disabled ones and port 0', async () => {
      const { lines, config } = await load(
        {
          'engine.yaml': ENGINE_YAML,
          'channels/a.yaml': channelYaml('a', 2575),
          'channels/b.yaml': channelYaml('b', '${B_PORT}'),
          'channels/c.yaml': channelYaml('c', 2575, 'enabled: false'),
          'channels/d.yaml': channelYaml('d', 0),
          'channels/e.yaml': channelYaml('e', 0),
        },
        { B_PORT: '2575' },
      );
      expect(lines).to.deep.equal([
        'channels/a.yaml:4:9 port-conflict: port 2575 is also used by channel b (channels/b.yaml); each listener needs its own port',
        'channels/b.yaml:4:9 port-conflict: port 2575 is also used by channel a (channels/a.yaml); each listener needs its own port',
      ]);
      expect(config.channels.map((c) => c.name)).to.deep.equal(['c', 'd', 'e']);
    });

    it('allows the same port on two different specific hosts', async () => {
      const withHost = (name: string, host: string) => channelYaml(name, 2575).replace('  type: mllp', `  type: mllp\n  host: ${host}`);
      const { lines } = await load({
        'engine.yaml': ENGINE_YAML,
        'channels/a.yaml': withHost('a', '127.0.0.1'),
        'channels/b.yaml': withHost('b', '127.0.0.2'),
      });
      expect(lines).to.deep.equal([]);
    });

    it('reports a channel on the admin API port on the channel only', async () => {
      const { lines, config } = await load({
        'engine.yaml': `${ENGINE_YAML}admin: { port: 2575, token: a-long-enough-admin-token }\n`,
        'channels/a.yaml': channelYaml('a', 2575),
      });
      expect(lines).to.deep.equal([
        'channels/a.yaml:4:9 port-conflict: port 2575 is also used by the admin API (engine.yaml); each listener needs its own port',
      ]);
      expect(config.engine).to.not.equal(undefined);
      expect(config.channels).to.have.length(0);
    });

    it('reports a lookup of a table that has no CSV file', async () => {
      const steps = 'transforms:\n  - lookup: { table: item-mastr, key: "x", into: item, onMissing: skip }';
      const { lines } = await load({
        'engine.yaml': ENGINE_YAML,
        'channels/a.yaml': channelYaml('a', 1, steps),
        'tables/item-master.csv': 'code\n1\n',
      });
      expect(lines).to.deep.equal([
        'channels/a.yaml:10:22 unknown-table: lookup table "item-mastr" is not in tables/ (expected tables/item-mastr.csv); tables: item-master',
      ]);
    });

    it('reports a partner id used twice', async () => {
      const partner = (id: string) =>
        `id: ${id}\nname: P\nisa: { qualifier: ZZ, id: P1 }\ngs: { id: P1 }\nversion: 005010\ntransport: { type: file, inbound: in, outbound: out }\n`;
      const { lines, config } = await load({
        'engine.yaml': ENGINE_YAML,
        'partners/a.yaml': partner('acme'),
        'partners/b.yaml': partner('acme'),
      });
      expect(lines.map((l) => l.replace(/: .*$/, ''))).to.deep.equal([
        'partners/a.yaml:1:5 duplicate-partner-id',
        'partners/b.yaml:1:5 duplicate-partner-id',
      ]);
      expect(config.partners).to.have.length(0);
    });

    it('refuses a password written in a partner file, and takes one from ${ENV}', async () => {
      const sftp = (password: string) =>
        `id: acme\nname: P\nisa: { qualifier: ZZ, id: P1 }\ngs: { id: P1 }\nversion: 005010\ntransport:\n  type: sftp\n  host: h\n  user: u\n  password: ${password}\n  inbound: /i\n  outbound: /o\n`;
      const inline = await load({ 'engine.yaml': ENGINE_YAML, 'partners/a.yaml': sftp('hunter2') });
      expect(inline.lines).to.deep.equal([
        'partners/a.yaml:10:13 secret-inline: transport.password is written in the file; give it as ${ENV} (e.g. ${SFTP_PASSWORD}) so the secret stays out of configuration',
      ]);
      const fromEnv = await load({ 'engine.yaml': ENGINE_YAML, 'partners/a.yaml': sftp('${ACME_PW}') }, { ACME_PW: 'hunter2' });
      expect(fromEnv.lines).to.deep.equal([]);
      expect(fromEnv.config.partners[0]!.config.transport).to.include({ password: 'hunter2' });
    });
  });

  it('reports a missing config directory', async () => {
    const { diagnostics } = await loadConfig(join(FIXTURES, 'does-not-exist'), { registry: testRegistry, env: {} });
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['read-failed']);
  });
});
