import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { smallDisk } from '../../support/tmpfs.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { DiskWatch, secureDataDir } from '../../../engine/runtime/data-dir.js';
import { silentLogger, type Logger } from '../../../lib/log.js';

function capture(): { log: Logger; text: () => string } {
  let text = '';
  const stream = new Writable({ write: (c, _e, done) => ((text += c.toString()), done()) });
  return { log: pino({ level: 'info' }, stream) as Logger, text: () => text };
}

const HOUR = 3_600_000;
const BIN = new URL('./support/fill-until-full.ts', import.meta.url).pathname;

describe('full disk and file modes', function () {
  this.timeout(120_000);

  /** Fills a store on a tmpfs of `size` until it refuses, kills it, and checks every acknowledged message after reopening on the full disk. */
  async function fillKillReopen(ctx: Mocha.Context, size: string, mode?: 'checkpoint'): Promise<string[]> {
    const disk = smallDisk(size);
    if ('skip' in disk) {
      console.log(`      skipped: ${disk.skip}`);
      ctx.skip();
    }
    try {
      const path = join(disk.dir, 'messages.db');
      const child = spawnSync(process.execPath, ['--import', 'tsx', BIN, path, '20000', ...(mode ? [mode] : [])], {
        encoding: 'utf8',
        timeout: 90_000,
      });
      const lines = child.stdout.split('\n').filter(Boolean);
      expect(lines.at(-1), `the child did not finish: ${child.stderr.slice(0, 500)}`).to.equal('end');
      const acked = lines.filter((l) => l.startsWith('FULL') || /^[0-9a-f-]{36} /.test(l)).map((l) => l.split(' ') as [string, string]);
      expect(acked.length, 'some messages were stored before the disk filled').to.be.greaterThan(10);
      expect(
        lines.some((l) => l.startsWith('refused')),
        'the store refused once the disk was full',
      ).to.equal(true);
      // the disk is still full while the store is opened again after the crash
      const store = new SqliteStore({ path, sync: 'full' });
      try {
        for (const [id, control] of acked) {
          const m = await store.getMessage(id);
          expect(m, `acknowledged message ${control} lost`).to.not.equal(undefined);
          expect(m!.raw.subarray(0, control.length + 1).toString()).to.equal(`${control}|`);
          expect(m!.raw.length).to.equal(control.length + 1 + 20000);
        }
      } finally {
        await store.close().catch(() => undefined);
      }
      return lines;
    } finally {
      disk.unmount();
    }
  }

  it('a store filled until the disk is full, then killed, still holds every message whose ingest resolved', async function () {
    await fillKillReopen(this, '3m');
  });

  it('checkpoints that run, and fail, while the disk fills never lose an acknowledged message', async function () {
    // 12 MiB: the WAL reaches SQLite's automatic checkpoint (1000 pages) and forced TRUNCATE checkpoints
    // copy it into the database file while space runs out
    const lines = await fillKillReopen(this, '12m', 'checkpoint');
    const checkpoints = lines.filter((l) => /^[0-9a-f-]{36} FULL-\d*[49]$/.test(l)).length;
    expect(checkpoints, 'checkpoints were attempted').to.be.greaterThan(10);
    console.log(`      ${lines.filter((l) => l.startsWith('checkpoint-failed')).length} checkpoints failed on the full disk`);
  });

  it('health: a watch on a nearly full disk reports it, logs an error once, and recovers', async function () {
    const disk = smallDisk('4m');
    if ('skip' in disk) {
      console.log(`      skipped: ${disk.skip}`);
      this.skip();
    }
    try {
      const { log, text } = capture();
      const watch = new DiskWatch(disk.dir, 1024 * 1024, log);
      expect((await watch.check()).ok).to.equal(true);
      writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(3.5 * 1024 * 1024));
      const low = await watch.check();
      expect(low.ok).to.equal(false);
      expect(low.detail).to.match(/low space|not writable/);
      await watch.check();
      const errors = text()
        .split('\n')
        .filter((l) => l.includes('"level":50'));
      expect(errors, 'one error log line per incident').to.have.length(1);
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(disk.dir, 'filler2')}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd stops with "no space left": that is the point
      }
      expect((await watch.check()).detail).to.match(/not writable \(ENOSPC\)/);
      rmSync(join(disk.dir, 'filler'));
      rmSync(join(disk.dir, 'filler2'));
      expect((await watch.check()).ok).to.equal(true);
      expect(text()).to.include('message store disk recovered');
    } finally {
      disk.unmount();
    }
  });

  it('refuses to start on a data directory others can read that cannot be tightened; one open to its group only is warned about', async function () {
    for (const [mode, refused] of [
      ['0755', true],
      ['0750', false],
    ] as const) {
      const disk = smallDisk('1m', undefined, { mode, readOnly: true });
      if ('skip' in disk) {
        console.log(`      skipped: ${disk.skip}`);
        this.skip();
      }
      try {
        const { log, text } = capture();
        let error: unknown;
        try {
          secureDataDir(disk.dir, log);
        } catch (err) {
          error = err;
        }
        if (refused) {
          expect((error as { code?: string })?.code, `mode ${mode}`).to.equal('data-dir-exposed');
          expect((error as Error).message).to.match(
            /has mode 755 \(others may read it\) and cannot be changed \(EROFS\); expected mode 0700/,
          );
        } else {
          expect(error, `mode ${mode}`).to.equal(undefined);
          expect(text()).to.include('open to its group and cannot be tightened');
        }
      } finally {
        disk.unmount();
      }
    }
  });

  it('the data directory is created 0700, an open one is tightened, and store files are 0600', async () => {
    const base = mkdtempSync(join(tmpdir(), 'interlace-modes-'));
    const old = process.umask(0o022);
    try {
      const fresh = join(base, 'fresh');
      secureDataDir(fresh, silentLogger);
      expect(statSync(fresh).mode & 0o777).to.equal(0o700);
      const open = join(base, 'open');
      execFileSync('mkdir', ['-m', '755', open]);
      const { log, text } = capture();
      secureDataDir(open, log);
      expect(statSync(open).mode & 0o777).to.equal(0o700);
      expect(text()).to.include('tightened to 0700');
      const store = new SqliteStore({ path: join(fresh, 'messages.db') });
      await store.ingest('c', { raw: Buffer.from('x'), controlId: '1' }, HOUR);
      for (const f of ['messages.db', 'messages.db-wal', 'messages.db-shm']) {
        expect(statSync(join(fresh, f)).mode & 0o777, f).to.equal(0o600);
      }
      await store.close();
      expect(readFileSync(join(fresh, 'messages.db')).length).to.be.greaterThan(0);
    } finally {
      process.umask(old);
      rmSync(base, { recursive: true, force: true });
    }
  });
});
