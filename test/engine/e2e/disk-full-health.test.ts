import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { smallDisk } from '../../support/tmpfs.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, testConfigDir } from './support.js';

const TOKEN = 'disk-health-admin-token-0123456789';

/**
 * Probe from the hardening review: with the data directory's disk full, /healthz said "store": "ok".
 * Here a running engine has its data directory on a small tmpfs that is then filled: /healthz answers
 * 503 naming the store's disk, an error is logged once, a message answered AA while the disk is full is
 * stored (the others get AR), and all of it recovers once space is freed.
 */
describe('a running engine on a full disk: /healthz, the alert, and no positive ACK', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let cfg: ReturnType<typeof testConfigDir>;
  let engine: Engine | undefined;
  let disk: ReturnType<typeof smallDisk>;
  let logText = '';

  before(async function () {
    redis = await getRedis();
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    mkdirSync(cfg.dataDir, { recursive: true });
    disk = smallDisk('24m', cfg.dataDir);
    if ('skip' in disk) {
      console.log(`      skipped: ${disk.skip}`);
      this.skip();
    }
    // a threshold below the tmpfs size, so that only the filling below makes the disk unhealthy
    const engineYaml = join(cfg.dir, 'engine.yaml');
    writeFileSync(engineYaml, readFileSync(engineYaml, 'utf8').replace('  sync: full\n', '  sync: full\n  minFreeSpace: 2MiB\n'));
    const stream = new Writable({ write: (c, _e, done) => ((logText += c.toString()), done()) });
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0' },
      log: pino({ level: 'info' }, stream),
    });
  });
  after(async () => {
    await engine?.stop();
    if (disk && !('skip' in disk)) disk.unmount();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('answers 503 naming the store disk, logs one error, acknowledges only what it stored, and recovers when space is freed', async () => {
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${engine!.adminAddress()!.port}/healthz`);
      return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
    };
    const port = engine!.channels.get('or-implant-charges')!.address()!.port;
    const client = new MllpClient({ host: '127.0.0.1', port, timeout: 20_000 });
    try {
      const before = await health();
      expect(before.body.checks.store).to.equal('ok');
      expect(await client.send(dft('DISK-OK-1', 1)).then((a) => a.toString('latin1'))).to.match(/MSA\|AA\|DISK-OK-1/);

      const filler = join(cfg.dataDir, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd stops with "no space left on device": that is the point
      }
      const full = await health();
      expect(full.status).to.equal(503);
      expect(full.body.status).to.equal('degraded');
      expect(full.body.checks.store).to.match(/^(not writable \(ENOSPC\)|low space)/);
      await health();
      const errors = logText.split('\n').filter((l) => l.includes('"level":50') && l.includes('message store disk needs attention'));
      expect(errors, 'one error log line per incident').to.have.length(1);
      // a message may still fit in space SQLite holds already; one answered AA must then be stored, the rest get AR
      const acks: string[] = [];
      for (let i = 0; i < 5; i++) acks.push(await client.send(dft(`DISK-FULL-${i}`, 3)).then((a) => a.toString('latin1')));
      expect(
        acks.every((a) => /MSA\|A[AR]\|DISK-FULL-/.test(a)),
        'every message answered',
      ).to.equal(true);
      for (const [i, a] of acks.entries()) {
        if (!/MSA\|AA\|/.test(a)) continue;
        const res = await fetch(`http://127.0.0.1:${engine!.adminAddress()!.port}/api/messages?controlId=DISK-FULL-${i}`, {
          headers: { Authorization: `Bearer ${TOKEN}` },
        });
        expect(
          ((await res.json()) as { messages: unknown[] }).messages,
          `DISK-FULL-${i} was acknowledged but is not stored`,
        ).to.have.length(1);
      }
      expect(acks.filter((a) => /MSA\|AR\|/.test(a)).length, 'the store refused once the disk was full').to.be.greaterThan(0);

      rmSync(filler);
      const after = await health();
      expect(after.body.checks.store).to.equal('ok');
      expect(logText).to.include('message store disk recovered');
      expect(await client.send(dft('DISK-OK-2', 1)).then((a) => a.toString('latin1'))).to.match(/MSA\|AA\|DISK-OK-2/);
    } finally {
      await client.close();
    }
  });
});
