import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silentLogger as silent } from '../../lib/log.js';
import { http, httpSchema } from '../../routes/destinations/http.js';
import { RouteQueue } from '../../routes/route-queue.js';
import { startRedisServer, uniquePrefix } from '../support/redis.js';
import { deliveryFor, fast, routeFixture, until } from './route-queue-fixture.js';

const fixture = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));

describe('routes/route-queue: failures around the queue', function () {
  this.timeout(30_000);
  const f = routeFixture();

  it('sends again, with the same key, when recording a delivered attempt fails', async () => {
    const q = f.route();
    const record = f.ledger.recordAttempt.bind(f.ledger);
    let failures = 0;
    f.ledger.recordAttempt = (id, o) => {
      if (o.state === 'delivered' && failures === 0) {
        failures += 1;
        throw new Error('database is locked');
      }
      record(id, o);
    };
    await q.start();
    await q.enqueue([deliveryFor('erp', 20)]);
    await until('delivered', () => f.ledger.last('dl-erp-20')?.state === 'delivered');
    expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-20:erp', 'msg-20:erp']);
    expect(f.ledger.last('dl-erp-20')!.attempt).to.equal(2);
  });

  it('takes up again, with the same key, a delivery whose process was killed mid-send', async () => {
    const prefix = uniquePrefix();
    f.sink.respond({ hang: true });
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, f.redis.url, prefix, f.sink.url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (b: Buffer) => b.toString().includes('started') && resolve());
        child.once('exit', (code) => reject(new Error(`crash worker exited with ${code}`)));
      });
      const q = f.route({ prefix });
      await q.enqueue([deliveryFor('erp', 30)]);
      await until('the child sending', () => f.sink.inFlight() === 1);
      child.kill('SIGKILL');
      await exited;
      const survivor = new RouteQueue({
        connection: f.redis.url,
        prefix,
        channel: 'or-usage',
        route: 'erp',
        destination: http.create(httpSchema.parse({ type: 'http', url: f.sink.url }), { channel: 'or-usage', route: 'erp', log: silent }),
        retry: fast,
        ledger: f.ledger,
        lockDurationMs: 1000,
        stalledIntervalMs: 300,
      });
      f.open.push(survivor);
      await survivor.start();
      await until('delivered by the survivor', () => f.ledger.last('dl-erp-30')?.state === 'delivered', 15_000);
      expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-30:erp', 'msg-30:erp']);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('loses nothing when Redis is killed and restarted', async () => {
    const own = await startRedisServer();
    try {
      const q = new RouteQueue({
        connection: own.url,
        prefix: uniquePrefix(),
        channel: 'or-usage',
        route: 'erp',
        destination: http.create(httpSchema.parse({ type: 'http', url: f.sink.url }), { channel: 'or-usage', route: 'erp', log: silent }),
        retry: { ...fast, delay: 300, maxDelay: 300 },
        ledger: f.ledger,
      });
      f.open.push(q);
      f.sink.respond({ status: 503 });
      await q.start();
      await q.enqueue([deliveryFor('erp', 40), deliveryFor('erp', 41)]);
      await until('one retrying', () => f.ledger.last('dl-erp-40')?.state === 'retrying');
      let late: Promise<void> | undefined;
      await own.restart(async () => {
        late = q.enqueue([deliveryFor('erp', 42)]);
        await new Promise((r) => setTimeout(r, 100));
      });
      await late;
      await until('all delivered', () => [40, 41, 42].every((n) => f.ledger.last(`dl-erp-${n}`)?.state === 'delivered'), 25_000);
      await q.close();
    } finally {
      await own.stop();
    }
  });
});
