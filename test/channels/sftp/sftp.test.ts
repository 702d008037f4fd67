import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { connect, createServer } from 'node:net';
import { freePort } from '../../../lib/net.js';
import { SftpSource, sftpSourceSchema } from '../../../channels/sftp/index.js';
import type { InterchangeService } from '../../../channels/types.js';
import { RedisLeases } from '../../../lib/lease.js';
import { unavailableServices } from '../../../lib/services.js';
import { splitInterchanges } from '../../../parsers/x12/split.js';
import { parseX12 } from '../../../parsers/x12/index.js';
import { partnerSchema } from '../../../engine/config/partner-schema.js';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { createEngineX12 } from '../../../engine/x12/index.js';
import { silentLogger } from '../../../lib/log.js';
import { interchange, RecordingContext, storeFailure } from '../file/support.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { startRelay, startSshd, sshdAvailable, type TestSshd } from '../../support/sshd.js';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sftp source against OpenSSH', function () {
  this.timeout(180_000);
  let sshd: TestSshd;
  let redis: TestRedis;
  let folder: string;
  let n = 0;
  const running: SftpSource[] = [];

  before(async function () {
    if (!sshdAvailable()) throw new Error('sshd is not installed; install openssh-server and openssh-sftp-server (.ci/run does)');
    sshd = await startSshd();
    redis = await getRedis();
  });
  after(async () => {
    await sshd?.stop();
    await redis?.stop();
  });
  beforeEach(() => {
    n += 1;
    folder = join(sshd.root, `in-${n}`);
    mkdirSync(folder);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  function source(ctx: RecordingContext, extra: Record<string, unknown> = {}): SftpSource {
    const config = sftpSourceSchema.parse({
      type: 'sftp',
      host: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      keyPath: sshd.userKey,
      hostKey: sshd.hostFingerprint,
      directory: folder,
      pollInterval: '1h',
      complete: { stableFor: 0 },
      reconnect: { delay: '50ms', maxDelay: '200ms' },
      ...extra,
    });
    const s = new SftpSource(config, ctx);
    running.push(s);
    return s;
  }
  const started = async (s: SftpSource) => {
    await s.start();
    await until('the first cycle', () => s.cycles >= 1);
    return s;
  };
  const put = (name: string, content: string | Buffer) => writeFileSync(join(folder, name), content);
  const list = (dir = folder) => readdirSync(dir).sort();

  it('takes complete matching files with a key and a pinned host key, stores them, then deletes them', async () => {
    const ctx = new RecordingContext();
    put('a.x12', interchange('1'));
    put('b.x12', interchange('2'));
    put('notes.txt', 'not for us');
    const s = await started(source(ctx, { pattern: '*.x12' }));
    expect(ctx.inputs).to.have.length(0); // seen once: not yet known to be complete
    await s.poll();
    expect(s.lastError).to.equal(undefined);
    expect(ctx.inputs.map((i) => [i.controlId, i.raw.toString('latin1')])).to.deep.equal([
      ['a.x12#' + ctx.inputs[0]!.controlId!.split('#')[1], interchange('1')],
      ['b.x12#' + ctx.inputs[1]!.controlId!.split('#')[1], interchange('2')],
    ]);
    expect(ctx.inputs[0]!.origin).to.equal(`sftp://${sshd.user}@127.0.0.1:${sshd.port}${folder}/a.x12`);
    expect(list()).to.deep.equal(['notes.txt']);
    expect(ctx.answers.map((a) => [a.kind, a.code, a.detail])).to.deep.equal([
      ['sftp-taken', 'ok', 'a.x12'],
      ['sftp-taken', 'ok', 'b.x12'],
    ]);
  });

  it('waits for a partial upload to stop growing, and with companions for the .done file', async () => {
    const ctx = new RecordingContext();
    mkdirSync(join(folder, 'archive'));
    put('po.x12', 'ISA*00*half');
    const s = await started(source(ctx, { complete: { stableFor: '300ms' }, archive: join(folder, 'archive') }));
    appendFileSync(join(folder, 'po.x12'), ' and the rest');
    await s.poll(); // changed since the last listing: not taken
    expect(ctx.inputs).to.have.length(0);
    await new Promise((r) => setTimeout(r, 400));
    await s.poll(); // unchanged, but only just seen unchanged for 0 ms since the change was noticed
    await new Promise((r) => setTimeout(r, 400));
    await s.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['ISA*00*half and the rest']);
    expect(list(join(folder, 'archive'))).to.deep.equal(['po.x12']);

    const ctx2 = new RecordingContext();
    const c = await started(source(ctx2, { complete: { companion: ['.done', '.ok'] }, pattern: '*.edi' }));
    put('inv.edi', 'invoice');
    await c.poll();
    expect(ctx2.inputs).to.have.length(0);
    put('inv.edi.ok', '');
    await c.poll();
    expect(ctx2.inputs.map((i) => i.raw.toString())).to.deep.equal(['invoice']);
    expect(list().filter((f) => f.startsWith('inv'))).to.deep.equal([]);
  });

  it("applies the drop folder's rules: in-progress names wait, a link is reported and left, the server's clock does not delay a file", async () => {
    const ctx = new RecordingContext();
    put('po.x12.part', 'still uploading');
    put('.hidden.x12', 'hidden');
    put('ahead.x12', 'written by a server whose clock is an hour ahead');
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(join(folder, 'ahead.x12'), future, future);
    symlinkSync(join(folder, 'ahead.x12'), join(folder, 'alias.x12'));
    const s = await started(source(ctx, { complete: { stableFor: '200ms' } }));
    await new Promise((r) => setTimeout(r, 300));
    await s.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['written by a server whose clock is an hour ahead']);
    expect(list()).to.deep.equal(['.hidden.x12', 'alias.x12', 'po.x12.part']);
  });

  it('refuses an unknown host key and a changed one, saying which fingerprint to pin; takes nothing', async () => {
    const ctx = new RecordingContext();
    put('a.x12', 'x');
    const unpinned = await started(source(ctx, { hostKey: undefined }));
    expect(unpinned.lastError?.code).to.equal('sftp-host-key-unknown');
    expect(unpinned.lastError?.message)
      .to.include(`presented host key ${sshd.hostFingerprint} and no hostKey is pinned`)
      .and.include(`set hostKey: ${sshd.hostFingerprint}`);
    await unpinned.stop();

    const old = sshd.hostFingerprint;
    const pinnedByKeyLine = await started(source(ctx, { hostKey: sshd.hostPublicKey }));
    expect(pinnedByKeyLine.lastError).to.equal(undefined); // the public key line pins as well as the fingerprint
    await pinnedByKeyLine.stop();
    await sshd.rotateHostKey();
    const pinned = await started(source(ctx, { hostKey: old }));
    expect(pinned.lastError?.code).to.equal('sftp-host-key-changed');
    expect(pinned.lastError?.message).to.include(`presented host key ${sshd.hostFingerprint}, not the pinned ${old}; refused`);
    expect(ctx.inputs).to.have.length(0);
    expect(list()).to.deep.equal(['a.x12']);
  });

  it('a connection dropped mid-transfer stores nothing and deletes nothing; the next cycle reconnects and takes the file once', async () => {
    const relay = await startRelay(sshd.port);
    try {
      const big = Buffer.alloc(3 * 1024 * 1024, 'x');
      put('big.dat', big);
      const ctx = new RecordingContext();
      const s = await started(source(ctx, { port: relay.port }));
      relay.cutAfter(512 * 1024);
      await s.poll();
      expect(s.lastError?.message ?? '').to.not.equal('');
      expect(ctx.inputs).to.have.length(0);
      expect(list()).to.deep.equal(['big.dat']);
      await s.poll();
      await s.poll();
      expect(ctx.inputs).to.have.length(1);
      expect(ctx.inputs[0]!.raw.equals(big)).to.equal(true);
      expect(list()).to.deep.equal([]);
    } finally {
      await relay.close();
    }
  });

  it('leaves the remote file when the store refuses, and never follows a symlink', async () => {
    const outside = join(sshd.root, `secret-${n}.x12`);
    writeFileSync(outside, 'outside the folder');
    symlinkSync(outside, join(folder, 'link.x12'));
    put('a.x12', 'payload');
    const ctx = new RecordingContext();
    ctx.hook = () => storeFailure();
    const s = await started(source(ctx));
    await s.poll();
    expect(list()).to.deep.equal(['a.x12', 'link.x12']);
    ctx.hook = undefined;
    await s.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['payload']);
    expect(list()).to.deep.equal(['link.x12']);
    expect(readFileSync(outside, 'utf8')).to.equal('outside the folder');
  });

  it('with an errorDirectory: a link and a FIFO are moved there unread, each with a reason file, as in the drop folder', async () => {
    mkdirSync(join(folder, 'error'));
    const outside = join(sshd.root, `secret-fifo-${n}.x12`);
    writeFileSync(outside, 'outside the folder');
    symlinkSync(outside, join(folder, 'link.x12'));
    execFileSync('mkfifo', [join(folder, 'pipe.x12')]);
    put('a.x12', 'payload');
    const ctx = new RecordingContext();
    const s = await started(source(ctx, { errorDirectory: join(folder, 'error') }));
    await s.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['payload']);
    expect(list()).to.deep.equal(['error']);
    expect(list(join(folder, 'error'))).to.deep.equal(['link.x12', 'link.x12.reason.txt', 'pipe.x12', 'pipe.x12.reason.txt']);
    expect(lstatSync(join(folder, 'error', 'link.x12')).isSymbolicLink(), 'the link itself was moved').to.equal(true);
    expect(lstatSync(join(folder, 'error', 'pipe.x12')).isFIFO()).to.equal(true);
    expect(readFileSync(join(folder, 'error', 'link.x12.reason.txt'), 'utf8')).to.match(/^code: file-symlink\n/);
    expect(readFileSync(join(folder, 'error', 'pipe.x12.reason.txt'), 'utf8')).to.match(/^code: file-not-regular\n/);
    expect(readFileSync(outside, 'utf8')).to.equal('outside the folder');
  });

  it('on an X12 channel: stores a file that is not X12 as rejected and moves it aside; answers the others into the acknowledgment folder', async () => {
    mkdirSync(join(folder, 'error'));
    mkdirSync(join(folder, 'acks'));
    const ctx = new RecordingContext();
    const interchanges: InterchangeService = {
      split: splitInterchanges,
      answer: async (raw, result) => ({ body: Buffer.from(`997 for ${result.messageId} (${raw.length} bytes)`), partner: 'acme' }),
      deliver: async () => undefined,
    };
    (ctx as unknown as { interchanges: InterchangeService }).interchanges = interchanges;
    put('good.x12', interchange('7', 'ACME'));
    put('junk.x12', 'this is not an interchange');
    const s = await started(
      source(ctx, { split: 'x12-interchange', errorDirectory: join(folder, 'error'), acknowledge: { directory: join(folder, 'acks') } }),
    );
    await s.poll();
    const byRaw = new Map(ctx.inputs.map((i) => [i.raw.toString(), i]));
    expect(byRaw.get(interchange('7', 'ACME'))).to.deep.include({ controlId: '000000007', sender: 'ACME' });
    expect(byRaw.get('this is not an interchange')!.rejected!.diagnostics[0]).to.deep.include({
      code: 'x12-not-an-interchange',
      message: 'junk.x12 does not start with a readable ISA segment; expected an X12 interchange',
    });
    expect(list(join(folder, 'error'))).to.deep.equal(['junk.x12']);
    expect(list(join(folder, 'acks'))).to.deep.equal(['good.x12.ack']);
    expect(readFileSync(join(folder, 'acks', 'good.x12.ack'), 'utf8')).to.match(/^997 for m\d \(\d+ bytes\)$/);
    expect(list().filter((f) => f.endsWith('.x12'))).to.deep.equal([]);
  });

  it("a malformed interchange is kept, stored, and answered negatively per the sender's partner profile (the engine's real 999) into the acknowledgment folder", async () => {
    mkdirSync(join(folder, 'acks'));
    const store = new SqliteStore({ path: join(sshd.root, `x12-${n}.db`) });
    try {
      const partner = partnerSchema.parse({
        id: 'acme',
        name: 'Acme',
        isa: { qualifier: 'ZZ', id: 'ACME' },
        gs: { id: 'SENDER' },
        version: '005010',
        acknowledgments: { send: '999' },
        transport: { type: 'file', inbound: join(sshd.root, 'acme-in'), outbound: join(sshd.root, 'acme-out') },
      });
      const x12 = createEngineX12(
        {
          partners: [{ file: 'acme.yaml', id: 'acme', config: partner }],
          engine: {
            x12: { interchangeId: 'RECEIVER', qualifier: 'ZZ', applicationCode: 'RECEIVER', defaultAck: '997' },
            store: { duplicateWindow: 3_600_000 },
          } as never,
        },
        store,
        silentLogger,
      );
      const ctx = new RecordingContext();
      (ctx as unknown as { interchanges: InterchangeService }).interchanges = x12.inbound.service(
        'sftp-in',
        unavailableServices().partners,
      );
      // SE01 says 9 segments; the set has 3: a syntax error the 999 must reject.
      put('bad.x12', interchange('41', 'ACME').replace('SE*3*0001~', 'SE*9*0001~'));
      const s = await started(source(ctx, { split: 'x12-interchange', acknowledge: { directory: join(folder, 'acks') } }));
      await s.poll();
      expect(ctx.inputs.map((i) => [i.controlId, i.sender, i.rejected])).to.deep.equal([['000000041', 'ACME', undefined]]);
      expect(list(join(folder, 'acks'))).to.deep.equal(['bad.x12.ack']);
      const answer = parseX12(readFileSync(join(folder, 'acks', 'bad.x12.ack'))).message!.interchanges[0]!;
      expect([answer.header.senderId.trim(), answer.header.receiverId.trim()]).to.deep.equal(['RECEIVER', 'ACME']);
      const set = answer.groups[0]!.sets[0]!;
      expect(set.id).to.equal('999');
      const seg = (id: string) => set.segments.find((x) => x.id === id)!;
      expect(seg('IK5').elements[1]).to.equal('R');
      expect(seg('AK9').elements[1]).to.equal('R');
      expect(
        list().filter((f) => f.endsWith('.x12')),
        'the remote file was removed after it was stored',
      ).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it('a server that is down: the cycles back off (doubling from reconnect.delay, ± jitter, capped at maxDelay) and the poller recovers by itself once it is back', async () => {
    const port = await freePort();
    put('late.x12', 'x');
    const ctx = new RecordingContext();
    const s = source(ctx, { port, pollInterval: '300ms', reconnect: { delay: '100ms', maxDelay: '400ms', jitter: 0.2 } });
    await s.start();
    const times: number[] = [];
    let seen = s.cycles;
    const end = Date.now() + 30_000;
    while (times.length < 6 && Date.now() < end) {
      if (s.cycles !== seen) {
        seen = s.cycles;
        times.push(Date.now());
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(s.lastError?.code).to.equal('sftp-connect-failed');
    expect(s.lastError?.message).to.include(`127.0.0.1:${port}`);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Waits after 1, 2, 3, 4, 5 failures: 100, 200, 400, 400, 400 ms, each ± 20 % and never over maxDelay
    // (uncapped, the fifth would be 1,600 ms); a refused connection and a loaded machine add a little.
    const bases = [100, 200, 400, 400, 400];
    gaps.forEach((gap, i) => {
      expect(gap, `wait after failure ${i + 1}`).to.be.at.least(bases[i]! * 0.8 - 5);
      expect(gap, `wait after failure ${i + 1}`).to.be.at.most(Math.min(400, bases[i]! * 1.2) + 700);
    });
    // The server comes back on that port: the next attempt connects and takes the file, without anyone polling.
    const forward = createServer((client) => {
      const upstream = connect(sshd.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    forward.listen(port, '127.0.0.1');
    try {
      await until('the file is taken once the server is back', () => ctx.inputs.length === 1, 10_000);
      await until('the poller says it recovered', () => s.lastError === undefined, 10_000);
    } finally {
      await s.stop();
      await new Promise<void>((r) => forward.close(() => r()));
    }
  });

  it('two engine processes on one folder: one holds the lease and polls, every file is stored once', async () => {
    const prefix = uniquePrefix();
    const leasesA = new RedisLeases(redis.url, prefix);
    const leasesB = new RedisLeases(redis.url, prefix);
    try {
      for (let i = 0; i < 30; i++) put(`f${String(i).padStart(3, '0')}.dat`, `file ${i}`);
      const seen = new Map<string, string>();
      const a = new RecordingContext(seen);
      const b = new RecordingContext(seen);
      (a as unknown as { services: unknown }).services = { ...unavailableServices(), leases: leasesA };
      (b as unknown as { services: unknown }).services = { ...unavailableServices(), leases: leasesB };
      const sa = await started(source(a));
      const sb = await started(source(b));
      for (let i = 0; i < 3; i++) await Promise.all([sa.poll(), sb.poll()]);
      expect(a.inputs.length + b.inputs.length).to.equal(30);
      expect(Math.min(a.inputs.length, b.inputs.length)).to.equal(0);
      expect(list()).to.deep.equal([]);
    } finally {
      await Promise.all(running.splice(0).map((s) => s.stop()));
      await leasesA.close();
      await leasesB.close();
    }
  });

  it('takes 5,000 files from one folder', async function () {
    this.timeout(600_000);
    for (let i = 0; i < 5000; i++) put(`m${String(i).padStart(5, '0')}.hl7`, `MSH|${i}`);
    const ctx = new RecordingContext();
    const s = await started(source(ctx, { parallel: 16 }));
    const t0 = Date.now();
    while (ctx.inputs.length < 5000 && Date.now() - t0 < 540_000) await s.poll();
    expect(s.lastError).to.equal(undefined);
    expect(ctx.inputs).to.have.length(5000);
    expect(new Set(ctx.inputs.map((i) => i.raw.toString())).size).to.equal(5000);
    expect(list()).to.deep.equal([]);
    expect(existsSync(folder)).to.equal(true);
    rmSync(folder, { recursive: true, force: true });
  });
});
