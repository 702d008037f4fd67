import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureRedis, pingRedis } from '../../../engine/runtime/redis.js';
import { ConfigError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';
import { freePort as closedPort } from '../../../lib/net.js';

const hasRedisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;

describe('finding Redis', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'interlace-redis-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses a Redis that answers at the configured URL', async function () {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (!(await pingRedis(url))) this.skip();
    const h = await ensureRedis({ url, supervise: 'auto', dataDir: dir, log: silentLogger });
    expect(h.url).to.equal(url);
    expect(h.supervised).to.equal(undefined);
  });

  it('starts and supervises its own redis-server, with an append-only file in the data directory, when none answers', async function () {
    if (!hasRedisServer) this.skip();
    const port = await closedPort();
    const h = await ensureRedis({ url: `redis://127.0.0.1:${port}`, supervise: 'auto', dataDir: dir, log: silentLogger });
    try {
      expect(h.supervised?.dir).to.equal(join(dir, 'redis'));
      expect(await pingRedis(h.url)).to.equal(true);
      // Redis 7 keeps its AOF in a folder; older versions in one file
      expect(existsSync(join(dir, 'redis', 'appendonlydir')) || existsSync(join(dir, 'redis', 'appendonly.aof'))).to.equal(true);
    } finally {
      await h.stop();
    }
    expect(await pingRedis(h.url)).to.equal(false);
  });

  it('says in one sentence how to get Redis when none answers and redis-server is not installed', async () => {
    const port = await closedPort();
    const path = process.env.PATH;
    process.env.PATH = dir; // an empty directory: no redis-server
    try {
      await ensureRedis({ url: `redis://127.0.0.1:${port}`, supervise: 'auto', dataDir: dir, log: silentLogger });
      expect.fail('expected a refusal');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).code).to.equal('redis-missing');
      expect((err as Error).message).to.match(
        /^Redis does not answer at redis:\/\/127\.0\.0\.1:\d+\/? and redis-server is not installed: install it \(.*apt-get install redis-server\) or set REDIS_URL to a running Redis\.$/,
      );
    } finally {
      process.env.PATH = path;
    }
  });

  it('never starts a Redis when supervision is off', async () => {
    const port = await closedPort();
    const err = await ensureRedis({ url: `redis://127.0.0.1:${port}`, supervise: 'never', dataDir: dir, log: silentLogger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ConfigError).code).to.equal('redis-unreachable');
    expect((err as Error).message).to.match(
      /^Redis does not answer at redis:\/\/127\.0\.0\.1:\d+\/?; start it there or set REDIS_URL to a running Redis\.$/,
    );
  });
});
