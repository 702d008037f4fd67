import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { formatDiagnostic } from '../../../engine/config/index.js';
import { checkConfigDir } from '../../../engine/runtime/check.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHIPPED = join(ROOT, 'config');

/**
 * Every config of the repository: each directory holding an engine.yaml (the shipped config/, the
 * fixtures under test/fixtures/config/), and each directory of loose channel files (samples/*\/channels/),
 * which are checked inside a copy of the shipped config (its engine.yaml, tables and partners).
 */
function configs(): Array<{ name: string; dir: string; channels?: string }> {
  const out: Array<{ name: string; dir: string; channels?: string }> = [{ name: 'config', dir: SHIPPED }];
  const fixtures = join(ROOT, 'test/fixtures/config');
  for (const d of readdirSync(fixtures).sort()) {
    if (existsSync(join(fixtures, d, 'engine.yaml'))) out.push({ name: relative(ROOT, join(fixtures, d)), dir: join(fixtures, d) });
  }
  for (const d of readdirSync(join(ROOT, 'samples')).sort()) {
    const channels = join(ROOT, 'samples', d, 'channels');
    if (existsSync(channels)) out.push({ name: relative(ROOT, channels), dir: SHIPPED, channels });
  }
  return out;
}

const isChannelFile = (f: string) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f);

/**
 * A copy of a config that can run here: its own Redis prefix and data directory, the admin API and
 * every listener on port 0, every watched directory a fresh one. Nothing else changes, so what
 * validate and start see is the config's own.
 */
function runnableCopy(c: { dir: string; channels?: string }, redisUrl: string): { dir: string; cleanup(): void } {
  const tmp = mkdtempSync(join(tmpdir(), 'interlace-valid-runs-'));
  const copy = join(tmp, 'config');
  cpSync(c.dir, copy, { recursive: true });
  if (c.channels) {
    rmSync(join(copy, 'channels'), { recursive: true, force: true });
    cpSync(c.channels, join(copy, 'channels'), { recursive: true });
  }
  const engineFile = join(copy, 'engine.yaml');
  const engine = parseDocument(readFileSync(engineFile, 'utf8'));
  engine.setIn(['engine', 'dataDir'], join(tmp, 'var'));
  engine.setIn(['redis', 'url'], redisUrl);
  engine.setIn(['redis', 'prefix'], uniquePrefix());
  engine.setIn(['redis', 'supervise'], 'never');
  engine.setIn(['admin', 'port'], 0);
  if (engine.hasIn(['store'])) for (const key of ['url', 'path', 'type']) engine.deleteIn(['store', key]);
  writeFileSync(engineFile, engine.toString());
  const channels = join(copy, 'channels');
  // Test files name their inputs relative to where they are; they are checked in place by the test of `interlace test`.
  for (const f of existsSync(channels) ? readdirSync(channels).filter((f) => /\.test\.ya?ml$/.test(f)) : []) rmSync(join(channels, f));
  let n = 0;
  for (const f of existsSync(channels) ? readdirSync(channels).filter(isChannelFile) : []) {
    // Text edits, not a YAML round trip: `${VAR}` inside a flow mapping is only YAML after interpolation.
    const text = readFileSync(join(channels, f), 'utf8')
      .replace(/\bport:[ \t]*(?:\$\{[^}\n]*\}|[^,}\n])+/g, 'port: 0')
      .replace(/\b(directory|path):[ \t]*(?:\$\{[^}\n]*\}|[^,}\n#])+/g, (_m, key: string) => {
        const made = join(tmp, 'dirs', String(++n));
        mkdirSync(made, { recursive: true });
        return `${key}: ${made}`;
      });
    writeFileSync(join(channels, f), text);
  }
  return { dir: copy, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/**
 * The environment of these tests: nothing of this machine's, and the URLs the configs ask for
 * pointing at a closed local port, so that those channels load and start (no traffic is sent).
 */
const NOWHERE = 'http://127.0.0.1:9';
const ENV = {
  PATH: process.env.PATH ?? '',
  ADMIN_TOKEN: 'valid-means-runs-token-0123456789',
  INTERLACE_LOG_LEVEL: 'fatal',
  ERP_URL: NOWHERE,
  FHIR_URL: `${NOWHERE}/fhir`,
  SUPPLY_URL: `${NOWHERE}/supply`,
  // the channels the shipped config starts only when their variable is set
  AS2_PORT: '0',
  SFTP_URL: 'sftp://hospital@127.0.0.1:9/outbound',
};

describe('"valid" means "will run": validate and start agree on every config in the repository', function () {
  this.timeout(300_000);
  let redis: TestRedis;
  before(async () => (redis = await getRedis()));
  after(async () => redis.stop());

  it('validate compiles every expression, condition, template and lookup and points into the YAML', async () => {
    const dir = join(ROOT, 'test/fixtures/config/rules-do-not-compile');
    const found = (await checkConfigDir(dir, ENV)).map((d) => `${relative(dir, d.file)}:${d.line}:${d.column} ${d.code}`);
    expect(found).to.deep.equal([
      // at the character the expression error names (the second "=", the end of the unclosed call, the unclosed {{)
      'channels/broken-condition.yaml:6:31 invalid-expression',
      'channels/broken-rules.yaml:5:42 invalid-expression',
      'channels/broken-rules.yaml:7:107 unknown-column',
      'channels/broken-rules.yaml:10:29 invalid-template',
    ]);
  });

  for (const c of configs()) {
    it(`${c.name}: validate refuses exactly the channels start refuses`, async () => {
      const copy = runnableCopy(c, redis.url);
      try {
        const diagnostics = await checkConfigDir(copy.dir, ENV);
        const refusedFiles = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => relative(copy.dir, d.file)));
        const said = diagnostics.map((d) => formatDiagnostic(d, copy.dir)).join('\n');
        let engine: Engine | undefined;
        let startError: unknown;
        try {
          engine = await Engine.start({ configDir: copy.dir, env: ENV, log: silentLogger });
        } catch (err) {
          startError = err;
        }
        try {
          if (refusedFiles.has('engine.yaml')) {
            expect(startError, 'validate refused engine.yaml, so start must refuse to start').to.be.instanceOf(Error);
            // no engine.yaml of the repository is meant to be broken: this one must be fixed for the test to test
            expect.fail(`validate refused engine.yaml of ${c.name} run as this test runs it:\n${said}`);
          }
          expect(startError, `validate accepted engine.yaml but start failed: ${String(startError)}\n${said}`).to.equal(undefined);
          const channelFiles = readdirSync(join(copy.dir, 'channels')).filter(isChannelFile);
          const doc = (f: string) =>
            (parseDocument(readFileSync(join(copy.dir, 'channels', f), 'utf8')).toJS() as { name?: unknown } | null) ?? {};
          const refusedByStart = new Set(engine!.refused.map((r) => r.channel));
          const running = new Set(engine!.channels.keys());
          const acceptedButRefused = channelFiles.filter(
            (f) => !refusedFiles.has(`channels/${f}`) && refusedByStart.has(String(doc(f).name)),
          );
          expect(acceptedButRefused, `validate accepted, start refused: ${JSON.stringify(engine!.refused)}`).to.deep.equal([]);
          const refusedButStarted = channelFiles.filter((f) => refusedFiles.has(`channels/${f}`) && running.has(String(doc(f).name)));
          expect(refusedButStarted, `validate refused, start started:\n${said}`).to.deep.equal([]);
          const enabled = new Set(engine!.config.channels.filter((ch) => ch.config.enabled).map((ch) => ch.name));
          const acceptedEnabled = channelFiles.filter((f) => !refusedFiles.has(`channels/${f}`) && enabled.has(String(doc(f).name)));
          expect(
            acceptedEnabled.filter((f) => !running.has(String(doc(f).name))),
            'validate accepted these enabled channels but they are not running',
          ).to.deep.equal([]);
        } finally {
          await engine?.stop();
        }
      } finally {
        copy.cleanup();
      }
    });
  }
});
