import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisLeases } from '../../lib/lease.js';
import { getRedis, uniquePrefix, type TestRedis } from '../support/redis.js';

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lib/lease: leases in Redis', () => {
  let redis: TestRedis;
  let prefix: string;
  const open: RedisLeases[] = [];
  const leases = () => {
    const l = new RedisLeases(redis.url, prefix);
    open.push(l);
    return l;
  };

  before(async () => {
    redis = await getRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });
  after(async () => {
    await redis.stop();
  });

  it('gives a name to one holder at a time across connections, and to the next once released', async () => {
    const a = leases();
    const b = leases();
    const first = await a.tryAcquire('sftp:acme:/out', { ttlMs: 5000 });
    expect(first?.held()).to.equal(true);
    expect(await b.tryAcquire('sftp:acme:/out', { ttlMs: 5000 })).to.equal(undefined);
    expect(await b.holder('sftp:acme:/out')).to.equal(first!.token);
    await first!.release();
    expect(first!.held()).to.equal(false);
    const second = await b.tryAcquire('sftp:acme:/out', { ttlMs: 5000 });
    expect(second?.token).to.be.a('string').and.not.equal(first!.token);
  });

  it('keeps a lease alive past its TTL by renewing it', async () => {
    const a = leases();
    const lease = (await a.tryAcquire('renewed', { ttlMs: 300 }))!;
    await new Promise((r) => setTimeout(r, 1000));
    expect(lease.held()).to.equal(true);
    expect(await leases().tryAcquire('renewed', { ttlMs: 300 })).to.equal(undefined);
  });

  it('tells the holder once when another process took the lease over, and never releases the new holder', async () => {
    const a = leases();
    const lost: string[] = [];
    const lease = (await a.tryAcquire('taken', { ttlMs: 600, onLost: (reason) => lost.push(reason) }))!;
    const raw = new Redis(redis.url);
    try {
      await raw.set(`${prefix}:lease:taken`, 'someone-else', 'PX', 60_000); // as if it had expired and been taken
      await until('the lost-lease callback', () => lost.length > 0);
      expect(lost).to.have.length(1);
      expect(lost[0]).to.include('taken over');
      expect(lease.held()).to.equal(false);
      await lease.release();
      expect(await raw.get(`${prefix}:lease:taken`)).to.equal('someone-else');
    } finally {
      raw.disconnect();
    }
  });

  it('lets another holder in after the TTL when the holder died without releasing', async () => {
    const dead = new RedisLeases(redis.url, prefix);
    await dead.tryAcquire('crash', { ttlMs: 300, renewEveryMs: 60_000 }); // never renewed: as a killed process
    expect(await leases().tryAcquire('crash', { ttlMs: 300 })).to.equal(undefined);
    await new Promise((r) => setTimeout(r, 450));
    expect(await leases().tryAcquire('crash', { ttlMs: 300 })).to.not.equal(undefined);
    await dead.close();
  });

  it('refuses a TTL too short to renew', async () => {
    const err = await leases()
      .tryAcquire('x', { ttlMs: 5 })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err?.message).to.include('ttlMs must be at least 100 ms');
  });
});
