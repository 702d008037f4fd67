import { expect } from 'chai';
import type { Delivery, DeliveryResult, Destination } from '../../routes/types.js';
import { uniquePrefix } from '../support/redis.js';
import { deliveryFor, fast, routeFixture, until } from './route-queue-fixture.js';

/** `RouteQueue.deliver`: the first attempt in memory, the queue for everything after it. */
describe('routes/route-queue first attempts', function () {
  this.timeout(30_000);
  const f = routeFixture();

  it('delivers without a job: nothing in Redis, one attempt recorded with the idempotency key', async () => {
    const q = f.route();
    await q.start();
    await q.deliver([deliveryFor('erp', 1), deliveryFor('erp', 2)]);
    await until(
      'both delivered',
      () => f.ledger.last('dl-erp-1')?.state === 'delivered' && f.ledger.last('dl-erp-2')?.state === 'delivered',
    );
    expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-1:erp', 'msg-2:erp']);
    expect(f.ledger.attempts.get('dl-erp-1')!.map((r) => [r.attempt, r.state])).to.deep.equal([[1, 'delivered']]);
    const c = await q.counts();
    expect(c.completed + c.waiting + c.active + c.delayed + c.dead, 'jobs in Redis').to.equal(0);
  });

  it('a transient failure goes to the queue, which retries from attempt 2 with the same key', async () => {
    const q = f.route();
    f.sink.respond({ status: 503, body: 'busy' }, { status: 503 });
    await q.start();
    await q.deliver([deliveryFor('erp', 3)]);
    await until('delivered', () => f.ledger.last('dl-erp-3')?.state === 'delivered');
    expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-3:erp', 'msg-3:erp', 'msg-3:erp']);
    expect(f.ledger.attempts.get('dl-erp-3')!.map((r) => [r.attempt, r.state, r.status])).to.deep.equal([
      [1, 'retrying', '503'],
      [2, 'retrying', '503'],
      [3, 'delivered', '200'],
    ]);
    await until('job completed', async () => (await q.counts()).completed === 1);
  });

  it('counts the first attempt against the route attempts, then dead-letters', async () => {
    const q = f.route({ retry: { attempts: 3 } });
    f.sink.setDefault({ status: 500 });
    await q.start();
    await q.deliver([deliveryFor('erp', 4)]);
    await until('dead', () => f.ledger.last('dl-erp-4')?.state === 'dead');
    expect(f.sink.requests).to.have.length(3);
    expect(f.ledger.attempts.get('dl-erp-4')!.map((r) => [r.attempt, r.state])).to.deep.equal([
      [1, 'retrying'],
      [2, 'retrying'],
      [3, 'dead'],
    ]);
    await until('dead count', async () => (await q.counts()).dead === 1);
  });

  it('a permanent failure lands in the dead-letter set once, and an operator retry delivers it', async () => {
    const q = f.route();
    f.sink.respond({ status: 400, body: 'unknown item' });
    await q.start();
    await q.deliver([deliveryFor('erp', 5)]);
    await until('dead in Redis', async () => (await q.counts()).dead === 1);
    expect(f.sink.requests, 'sent once').to.have.length(1);
    expect(f.ledger.attempts.get('dl-erp-5')!.map((r) => [r.attempt, r.state, r.status])).to.deep.equal([[1, 'dead', '400']]);
    const dead = await q.dead();
    expect(dead[0]!.deliveryId).to.equal('dl-erp-5');
    expect(dead[0]!.reason).to.contain('http-rejected-status');
    await q.retryDead('dl-erp-5');
    await until('delivered after the retry', () => f.ledger.last('dl-erp-5')?.state === 'delivered');
    expect(f.ledger.last('dl-erp-5')!.attempt).to.equal(2);
    expect(f.sink.requests).to.have.length(2);
  });

  it('while paused, deliveries go to the queue and wait for resume', async () => {
    const q = f.route();
    await q.start();
    await q.pause();
    await q.deliver([deliveryFor('erp', 6)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(f.sink.requests, 'nothing sent while paused').to.have.length(0);
    expect((await q.counts()).waiting).to.equal(1);
    await q.resume();
    await until('delivered after resume', () => f.ledger.last('dl-erp-6')?.state === 'delivered');
  });

  it('close waits for the send in flight and queues those not started; the recovery enqueue does not double one held', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const sent: string[] = [];
    const slow: Destination = {
      send: async (d: Delivery): Promise<DeliveryResult> => {
        sent.push(d.deliveryId);
        await gate;
        return { status: '200' };
      },
      health: async () => ({ ok: true }),
      close: async () => {},
    };
    const prefix = uniquePrefix();
    const q = f.route({ destination: slow, retry: fast, prefix });
    await q.start();
    await q.deliver([deliveryFor('erp', 7), deliveryFor('erp', 8)]);
    await until('first send started', () => sent.length === 1);
    // the sweep finds both still open: the one held in memory is not queued again
    await q.enqueue([deliveryFor('erp', 7)]);
    expect((await q.counts()).waiting, 'held in memory, not in Redis').to.equal(1);
    const closed = q.close();
    release();
    await closed;
    expect(f.ledger.last('dl-erp-7')?.state).to.equal('delivered');
    expect(
      sent.filter((id) => id === 'dl-erp-7'),
      'the held one sent once',
    ).to.have.length(1);
    // the one not started went to Redis; this process's closing worker may have taken it, or the next one does
    if (f.ledger.last('dl-erp-8')?.state !== 'delivered') {
      const next = f.route({ prefix });
      await next.start();
      await until('delivered by the next worker', () => f.ledger.last('dl-erp-8')?.state === 'delivered');
    }
    expect(f.ledger.attempts.get('dl-erp-8')!.map((r) => r.state)).to.deep.equal(['delivered']);
  });
});
