import { expect } from 'chai';
import { createServer } from 'node:http';
import { pino } from 'pino';
import { InterlaceError, PermanentDeliveryError, TransientDeliveryError } from '../../lib/errors.js';
import { silentLogger as silent } from '../../lib/log.js';
import { http, httpSchema } from '../../routes/destinations/http.js';
import { RouteQueue } from '../../routes/route-queue.js';
import type { Delivery, DeliveryResult, Destination } from '../../routes/types.js';
import { uniquePrefix } from '../support/redis.js';
import { deliveryFor, fast, freePort, routeFixture, stubDestination, until } from './route-queue-fixture.js';

describe('routes/route-queue', function () {
  this.timeout(30_000);
  const f = routeFixture();

  it('delivers on the first try with the idempotency key and correlation id, and records it', async () => {
    const q = f.route();
    f.sink.respond({ status: 202, body: 'accepted' });
    await q.start();
    await q.enqueue([deliveryFor('erp', 1)]);
    await until('delivered', () => f.ledger.last('dl-erp-1')?.state === 'delivered');
    expect(f.sink.requests).to.have.length(1);
    expect(f.sink.requests[0]!.headers['idempotency-key']).to.equal('msg-1:erp');
    expect(f.sink.requests[0]!.headers['x-correlation-id']).to.equal('corr-1');
    expect(f.sink.requests[0]!.body).to.equal('{"n":1}');
    const rec = f.ledger.last('dl-erp-1')!;
    expect(rec).to.include({ attempt: 1, state: 'delivered', status: '202', body: 'accepted' });
    expect(rec.finishedAt).to.be.at.least(rec.startedAt);
  });

  it('retries on 503 with the same idempotency key, then delivers', async () => {
    const q = f.route();
    f.sink.respond({ status: 503, body: 'busy' }, { status: 503 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 2)]);
    await until('delivered', () => f.ledger.last('dl-erp-2')?.state === 'delivered');
    const keys = f.sink.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).to.deep.equal(['msg-2:erp', 'msg-2:erp', 'msg-2:erp']);
    const recs = f.ledger.attempts.get('dl-erp-2')!;
    expect(recs.map((r) => [r.attempt, r.state, r.status])).to.deep.equal([
      [1, 'retrying', '503'],
      [2, 'retrying', '503'],
      [3, 'delivered', '200'],
    ]);
    expect(recs[0]!.body).to.equal('busy');
    expect(recs[0]!.error!.code).to.equal('http-retryable-status');
    expect(recs[0]!.nextAttemptAt! - recs[0]!.finishedAt).to.be.within(1, fast.maxDelay + 5);
  });

  it('dead-letters a 400 at once', async () => {
    const q = f.route();
    f.sink.setDefault({ status: 400, body: 'unknown item' });
    await q.start();
    await q.enqueue([deliveryFor('erp', 3)]);
    await until('dead', () => f.ledger.last('dl-erp-3')?.state === 'dead');
    await until('dead count', async () => (await q.counts()).dead === 1);
    expect(f.sink.requests).to.have.length(1);
    expect(f.ledger.last('dl-erp-3')!.error!.code).to.equal('http-rejected-status');
    const dead = await q.dead();
    expect(dead).to.have.length(1);
    expect(dead[0]!.deliveryId).to.equal('dl-erp-3');
    expect(dead[0]!.reason).to.contain('http-rejected-status');
  });

  it('dead-letters after the configured attempts', async () => {
    const q = f.route({ retry: { attempts: 3 } });
    f.sink.setDefault({ status: 500 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 4)]);
    await until('dead', () => f.ledger.last('dl-erp-4')?.state === 'dead');
    expect(f.sink.requests).to.have.length(3);
    expect(f.ledger.attempts.get('dl-erp-4')!.map((r) => r.state)).to.deep.equal(['retrying', 'retrying', 'dead']);
    await until('dead count', async () => (await q.counts()).dead === 1);
  });

  it('retries after a timeout', async () => {
    const q = f.route({ timeout: '100ms' });
    f.sink.respond({ hang: true });
    await q.start();
    await q.enqueue([deliveryFor('erp', 5)]);
    await until('delivered', () => f.ledger.last('dl-erp-5')?.state === 'delivered');
    expect(f.ledger.attempts.get('dl-erp-5')![0]!.error!.code).to.equal('http-timeout');
    expect(f.sink.requests).to.have.length(2);
  });

  it('retries a refused connection until the destination comes up', async () => {
    const port = await freePort();
    const q = f.route({ url: `http://127.0.0.1:${port}/`, retry: { attempts: 50, delay: 20, maxDelay: 40 } });
    await q.start();
    await q.enqueue([deliveryFor('erp', 6)]);
    await until('a refused attempt', () => (f.ledger.attempts.get('dl-erp-6')?.length ?? 0) >= 1);
    expect(f.ledger.last('dl-erp-6')!.error!.code).to.equal('http-network-error');
    const late = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
    try {
      await until('delivered', () => f.ledger.last('dl-erp-6')?.state === 'delivered');
    } finally {
      late.closeAllConnections();
      await new Promise<void>((r) => late.close(() => r()));
    }
    expect(f.ledger.last('dl-erp-6')!.body).to.equal('ok');
  });

  it('keeps delivering on one route while another route is down', async () => {
    const down = await freePort();
    const prefix = uniquePrefix();
    const bad = f.route({ route: 'billing', url: `http://127.0.0.1:${down}/`, prefix, retry: { attempts: 1000, delay: 30, maxDelay: 30 } });
    const good = f.route({ route: 'erp', prefix });
    await Promise.all([bad.start(), good.start()]);
    await bad.enqueue([1, 2, 3].map((n) => deliveryFor('billing', n)));
    await good.enqueue([1, 2, 3, 4, 5].map((n) => deliveryFor('erp', n)));
    await until('erp delivered', () => [1, 2, 3, 4, 5].every((n) => f.ledger.last(`dl-erp-${n}`)?.state === 'delivered'));
    expect([1, 2, 3].map((n) => f.ledger.last(`dl-billing-${n}`)?.state ?? 'waiting')).to.not.include('delivered');
    const counts = await bad.counts();
    expect(counts.completed + counts.dead).to.equal(0);
  });

  it('sends nothing when the ledger says the delivery is already final', async () => {
    const q = f.route();
    f.ledger.final.add('dl-erp-7');
    await q.start();
    await q.enqueue([deliveryFor('erp', 7), deliveryFor('erp', 8)]);
    await until('8 delivered', () => f.ledger.last('dl-erp-8')?.state === 'delivered');
    await until('7 completed', async () => (await q.counts()).completed === 2);
    expect(f.ledger.begun.map(([id]) => id)).to.include('dl-erp-7');
    expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-8:erp']);
    expect(f.ledger.attempts.has('dl-erp-7')).to.equal(false);
  });

  it('makes one job of a delivery enqueued twice', async () => {
    const q = f.route();
    await q.enqueue([deliveryFor('erp', 9), deliveryFor('erp', 9)]);
    await q.enqueue([deliveryFor('erp', 9)]);
    expect((await q.counts()).waiting).to.equal(1);
    await q.start();
    await until('delivered', () => f.ledger.last('dl-erp-9')?.state === 'delivered');
    await until('completed', async () => (await q.counts()).completed === 1);
    expect(f.sink.requests).to.have.length(1);
  });

  it('accepts delivery ids BullMQ would refuse (integers, colons) without mixing them up', async () => {
    const q = f.route();
    const a = { ...deliveryFor('erp', 10), deliveryId: '42' };
    const b = { ...deliveryFor('erp', 11), deliveryId: 'm-1:erp' };
    const c = { ...deliveryFor('erp', 12), deliveryId: '%42' };
    await q.enqueue([a, b, c]);
    expect((await q.counts()).waiting).to.equal(3);
    await q.start();
    await until('all delivered', () => ['42', 'm-1:erp', '%42'].every((id) => f.ledger.last(id)?.state === 'delivered'));
  });

  it('retryDead moves a dead delivery back with a fresh set of attempts, numbering on', async () => {
    const q = f.route({ retry: { attempts: 2 } });
    f.sink.respond({ status: 500 }, { status: 500 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 13)]);
    await until('dead', async () => (await q.counts()).dead === 1);
    expect(f.ledger.last('dl-erp-13')!.state).to.equal('dead');
    await q.retryDead('dl-erp-13');
    await until('delivered', () => f.ledger.last('dl-erp-13')?.state === 'delivered');
    expect(f.ledger.attempts.get('dl-erp-13')!.map((r) => r.attempt)).to.deep.equal([1, 2, 3]);
    const counts = await q.counts();
    expect(counts.dead).to.equal(0);
  });

  it('retryDead refuses unknown and live deliveries', async () => {
    const q = f.route();
    await q.enqueue([deliveryFor('erp', 14)]);
    const codes: string[] = [];
    for (const id of ['nope', 'dl-erp-14']) {
      try {
        await q.retryDead(id);
      } catch (err) {
        codes.push((err as InterlaceError).code);
      }
    }
    expect(codes).to.deep.equal(['route-delivery-not-found', 'route-delivery-not-dead']);
  });

  it('close waits for an in-flight send and records it', async () => {
    const q = f.route();
    f.sink.respond({ status: 200, body: 'late', delayMs: 300 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 15)]);
    await until('in flight', () => f.sink.inFlight() === 1);
    await q.close();
    expect(f.ledger.last('dl-erp-15')).to.include({ state: 'delivered', body: 'late' });
  });

  it('pause holds deliveries until resume', async () => {
    const q = f.route();
    await q.start();
    await q.pause();
    await q.enqueue([deliveryFor('erp', 16)]);
    await new Promise((r) => setTimeout(r, 200));
    expect(f.sink.requests).to.have.length(0);
    expect(await q.counts()).to.include({ waiting: 1, paused: true });
    await q.resume();
    await until('delivered', () => f.ledger.last('dl-erp-16')?.state === 'delivered');
  });

  it('treats unexpected destination errors as transient and permanent ones as final', async () => {
    let calls = 0;
    const flaky: Destination = {
      async send(d: Delivery): Promise<DeliveryResult> {
        calls += 1;
        if (d.deliveryId === 'dl-erp-17' && calls === 1) throw new TypeError('boom');
        if (d.deliveryId === 'dl-erp-18') throw new PermanentDeliveryError('http-rejected-status', 'rejected');
        if (d.deliveryId === 'dl-erp-19')
          throw new TransientDeliveryError('http-retryable-status', 'later', { response: { status: 'AE', body: 'x'.repeat(5000) } });
        return { status: 'AA' };
      },
      health: async () => ({ ok: true }),
      close: async () => {},
    };
    const q = f.route({ destination: flaky, retry: { attempts: 2 } });
    await q.start();
    await q.enqueue([17, 18, 19].map((n) => deliveryFor('erp', n)));
    await until('all final', () => ['dl-erp-17', 'dl-erp-18', 'dl-erp-19'].every((id) => f.ledger.final.has(id)));
    expect(f.ledger.attempts.get('dl-erp-17')!.map((r) => [r.state, r.error?.code])).to.deep.equal([
      ['retrying', 'route-unexpected-error'],
      ['delivered', undefined],
    ]);
    expect(f.ledger.attempts.get('dl-erp-18')!.map((r) => r.state)).to.deep.equal(['dead']);
    const last19 = f.ledger.last('dl-erp-19')!;
    expect(last19.state).to.equal('dead');
    expect(last19.status).to.equal('AE');
    expect(last19.body!.length).to.equal(2048);
  });

  it('runs up to `concurrency` sends at once', async () => {
    const q = f.route({ concurrency: 3 });
    f.sink.setDefault({ status: 200, delayMs: 300 });
    await q.start();
    await q.enqueue([21, 22, 23, 24, 25].map((n) => deliveryFor('erp', n)));
    await until('three in flight', () => f.sink.inFlight() === 3);
    expect((await q.counts()).active).to.equal(3);
    await until('all delivered', () => [21, 22, 23, 24, 25].every((n) => f.ledger.last(`dl-erp-${n}`)?.state === 'delivered'));
  });

  it('logs ids, never payloads or answers', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const q = new RouteQueue({
      connection: f.redis.url,
      prefix: uniquePrefix(),
      channel: 'or-usage',
      route: 'erp',
      destination: http.create(httpSchema.parse({ type: 'http', url: f.sink.url }), { channel: 'or-usage', route: 'erp', log: silent }),
      retry: { ...fast, attempts: 2 },
      ledger: f.ledger,
      log,
    });
    f.open.push(q);
    f.sink.respond({ status: 503, body: 'DOE^JANE busy' }, { status: 400, body: 'DOE^JANE rejected' });
    await q.start();
    await q.enqueue([{ ...deliveryFor('erp', 26), payload: { body: 'PID|||123||DOE^JANE', contentType: 'x-application/hl7-v2+er7' } }]);
    await until('dead', () => f.ledger.last('dl-erp-26')?.state === 'dead');
    const text = lines.join('');
    expect(text).to.contain('dl-erp-26').and.contain('delivery dead-lettered');
    expect(text).to.not.contain('DOE');
  });

  it('refuses garbage deliveries with a clear error', async () => {
    const q = f.route();
    const garbage = [
      { ...deliveryFor('erp', 27), deliveryId: '' },
      { ...deliveryFor('erp', 28), payload: undefined },
      { ...deliveryFor('erp', 29), payload: { body: 42, contentType: 'text/plain' } },
    ] as unknown as Array<Omit<Delivery, 'attempt'>>;
    for (const g of garbage) {
      let err: unknown;
      try {
        await q.enqueue([g]);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InterlaceError).with.property('code', 'route-invalid-delivery');
    }
    expect((await q.counts()).waiting).to.equal(0);
  });

  it('refuses deliveries for another route and bad names', async () => {
    const q = f.route();
    let err: unknown;
    try {
      await q.enqueue([deliveryFor('billing', 1)]);
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'route-invalid-delivery');
    expect(
      () =>
        new RouteQueue({
          connection: f.redis.url,
          channel: 'a:b',
          route: 'r',
          destination: stubDestination(),
          retry: fast,
          ledger: f.ledger,
        }),
    ).to.throw(/route-invalid-name|cannot name a queue/);
  });
});
