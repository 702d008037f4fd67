import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { silentLogger } from '../../../lib/log.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { checkConfigDir } from '../../../engine/runtime/check.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every config directory of the repository: the shipped one and each under test/fixtures/config/. */
function configDirs(): string[] {
  const fixtures = join(ROOT, 'test/fixtures/config');
  return [join(ROOT, 'config'), ...readdirSync(fixtures).map((d) => join(fixtures, d))].filter((d) => existsSync(join(d, 'engine.yaml')));
}

/**
 * A copy of a config directory that can run here: its own Redis prefix and data directory, admin and
 * every listener on port 0. Nothing else changes, so what validate and start see is the directory's.
 */
function runnableCopy(dir: string, redisUrl: string): { dir: string; cleanup(): void } {
  const tmp = mkdtempSync(join(tmpdir(), 'interlace-valid-runs-'));
  const copy = join(tmp, 'config');
  cpSync(dir, copy, { recursive: true });
  const engineFile = join(copy, 'engine.yaml');
  const engine = parseDocument(readFileSync(engineFile, 'utf8'));
  engine.setIn(['engine', 'dataDir'], join(tmp, 'var'));
  engine.setIn(['redis', 'url'], redisUrl);
  engine.setIn(['redis', 'prefix'], uniquePrefix());
  engine.setIn(['redis', 'supervise'], 'never');
  engine.setIn(['admin', 'port'], 0);
  writeFileSync(engineFile, engine.toString());
  const channels = join(copy, 'channels');
  let n = 0;
  for (const f of existsSync(channels) ? readdirSync(channels) : []) {
    if (!/\.ya?ml$/.test(f) || /\.test\.ya?ml$/.test(f)) continue;
    // Text edits, not a YAML round trip: `${VAR}` inside a flow mapping is only YAML after interpolation.
    const text = readFileSync(join(channels, f), 'utf8')
      .replace(/\bport:[ \t]*(?:\$\{[^}\n]*\}|[^,}\n])+/g, 'port: 0')
      .replace(/\bdirectory:[ \t]*(?:\$\{[^}\n]*\}|[^,}\n])+/g, () => {
        const made = join(tmp, 'dirs', String(++n));
        mkdirSync(made, { recursive: true });
        return `directory: ${made}`;
      });
    writeFileSync(join(channels, f), text);
  }
  return { dir: copy, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

describe('"valid" means "will run": validate and start agree on every config in the repository', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  before(async () => (redis = await getRedis()));
  after(async () => redis.stop());

  it('validate compiles every expression, condition, template and lookup and points into the YAML', async () => {
    const dir = join(ROOT, 'test/fixtures/config/rules-do-not-compile');
    const found = (await checkConfigDir(dir, { ADMIN_TOKEN: 'x'.repeat(32) })).map((d) => `${relative(dir, d.file)}:${d.line}:${d.column} ${d.code}`);
    expect(found).to.deep.equal([
      'channels/broken-condition.yaml:6:11 invalid-expression',
      'channels/broken-rules.yaml:5:19 invalid-expression',
      'channels/broken-rules.yaml:8:23 invalid-template',
    ]);
  });

  for (const original of configDirs()) {
    it(`${relative(ROOT, original)}: validate refuses exactly the channels start refuses`, async () => {
      const copy = runnableCopy(original, redis.url);
      const env = { PATH: process.env.PATH ?? '', ADMIN_TOKEN: 'valid-means-runs-token-0123456789' };
      try {
        const diagnostics = await checkConfigDir(copy.dir, env);
        const refusedFiles = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => relative(copy.dir, d.file)));
        const engineRefused = refusedFiles.has('engine.yaml');
        let engine: Engine | undefined;
        let startError: unknown;
        try {
          engine = await Engine.start({ configDir: copy.dir, env, log: silentLogger });
        } catch (err) {
          startError = err;
        }
        try {
          if (engineRefused) {
            expect(startError, 'validate refused engine.yaml, so start must refuse to start').to.be.instanceOf(Error);
            return;
          }
          expect(startError, `validate accepted engine.yaml but start failed: ${String(startError)}`).to.equal(undefined);
          const channelFiles = readdirSync(join(copy.dir, 'channels')).filter((f) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f));
          const nameOf = (f: string) => String((parseDocument(readFileSync(join(copy.dir, 'channels', f), 'utf8')).toJS() as { name?: unknown } | null)?.name);
          const enabled = (f: string) => (parseDocument(readFileSync(join(copy.dir, 'channels', f), 'utf8')).toJS() as { enabled?: unknown } | null)?.enabled !== false;
          const refusedByStart = new Set(engine!.refused.map((r) => r.channel));
          const acceptedButRefused = channelFiles.filter((f) => !refusedFiles.has(`channels/${f}`) && refusedByStart.has(nameOf(f)));
          expect(acceptedButRefused, `validate accepted, start refused: ${JSON.stringify(engine!.refused)}`).to.deep.equal([]);
          const loaded = new Set(engine!.config.channels.map((c) => c.name));
          const refusedButStarted = channelFiles.filter((f) => refusedFiles.has(`channels/${f}`) && enabled(f) && loaded.has(nameOf(f)) && !refusedByStart.has(nameOf(f)));
          expect(refusedButStarted, 'validate refused, start started').to.deep.equal([]);
        } finally {
          await engine?.stop();
        }
      } finally {
        copy.cleanup();
      }
    });
  }
});
