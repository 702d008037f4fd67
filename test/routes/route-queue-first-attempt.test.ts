import { expect } from 'chai';
import type { NewAttempt } from '../../routes/route-queue.js';
import type { Delivery, DeliveryResult, Destination } from '../../routes/types.js';
import { uniquePrefix } from '../support/redis.js';
import { deliveryFor, routeFixture, stubDestination, until } from './route-queue-fixture.js';

/** `RouteQueue.sendNow`: the first attempt of a delivery just routed, made in process without a job in Redis. */
describe('routes/route-queue: first attempts in process', function () {
  this.timeout(30_000);
  const f = routeFixture();
  const fresh = (route: string, n: number, attempts = 0): NewAttempt => ({ ...deliveryFor(route, n), attempts });

  it('delivers without a job in Redis, and records attempt 1', async () => {
    const q = f.route();
    await q.start();
    q.sendNow([fresh('erp', 1), fresh('erp', 2)]);
    await until('both delivered', () => ['dl-erp-1', 'dl-erp-2'].every((id) => f.ledger.last(id)?.state === 'delivered'));
    expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.have.members(['msg-1:erp', 'msg-2:erp']);
    expect(f.ledger.last('dl-erp-1')).to.include({ attempt: 1, status: '200' });
    expect(await q.jobState('dl-erp-1')).to.equal('missing');
    expect(await q.counts()).to.include({ waiting: 0, active: 0, delayed: 0, dead: 0, completed: 0 });
  });

  it('hands a failed first attempt to the queue, which retries it from attempt 2 with the same key', async () => {
    const q = f.route();
    f.sink.respond({ status: 503, body: 'busy' });
    await q.start();
    q.sendNow([fresh('erp', 3)]);
    await until('delivered', () => f.ledger.last('dl-erp-3')?.state === 'delivered');
    expect(f.ledger.attempts.get('dl-erp-3')!.map((r) => [r.attempt, r.state, r.status])).to.deep.equal([
      [1, 'retrying', '503'],
      [2, 'delivered', '200'],
    ]);
    expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-3:erp', 'msg-3:erp']);
    expect(await q.jobState('dl-erp-3')).to.equal('completed');
  });

  it('keeps counting attempts the store already made (a delivery reprocessed or recovered)', async () => {
    const q = f.route();
    f.sink.respond({ status: 503 });
    await q.start();
    q.sendNow([fresh('erp', 4, 2)]);
    await until('delivered', () => f.ledger.last('dl-erp-4')?.state === 'delivered');
    expect(f.ledger.attempts.get('dl-erp-4')!.map((r) => r.attempt)).to.deep.equal([3, 4]);
  });

  it('puts a permanent first failure in the dead-letter set, from which an operator retries it', async () => {
    const q = f.route();
    f.sink.respond({ status: 400, body: 'unknown item' });
    await q.start();
    q.sendNow([fresh('erp', 5)]);
    await until('dead in the ledger', () => f.ledger.last('dl-erp-5')?.state === 'dead');
    await until('dead in the queue', async () => (await q.counts()).dead === 1);
    expect(f.sink.requests).to.have.length(1); // the dead-letter job sends nothing
    const [dead] = await q.dead();
    expect(dead).to.deep.include({ deliveryId: 'dl-erp-5', attempts: 1 });
    expect(dead!.reason).to.match(/^http-rejected-status: /);
    await q.retryDead('dl-erp-5');
    await until('delivered after the retry', () => f.ledger.last('dl-erp-5')?.state === 'delivered');
    expect(f.ledger.attempts.get('dl-erp-5')!.map((r) => [r.attempt, r.state])).to.deep.equal([
      [1, 'dead'],
      [2, 'delivered'],
    ]);
    expect(f.sink.requests).to.have.length(2);
  });

  it('dead-letters at once when the route allows one attempt', async () => {
    const q = f.route({ retry: { attempts: 1 } });
    f.sink.respond({ status: 503 });
    await q.start();
    q.sendNow([fresh('erp', 6)]);
    await until('dead in the queue', async () => (await q.counts()).dead === 1);
    expect(f.ledger.attempts.get('dl-erp-6')!.map((r) => [r.attempt, r.state])).to.deep.equal([[1, 'dead']]);
    expect(f.sink.requests).to.have.length(1);
  });

  it('sends nothing the ledger says is final, and never holds one delivery twice', async () => {
    const q = f.route();
    await q.start();
    f.ledger.final.add('dl-erp-7');
    q.sendNow([fresh('erp', 7), fresh('erp', 8), fresh('erp', 8)]);
    await until('8 delivered', () => f.ledger.last('dl-erp-8')?.state === 'delivered');
    await new Promise((r) => setTimeout(r, 200));
    expect(f.sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-8:erp']);
  });

  it('runs at most `concurrency` first attempts at once, oldest first, and says what it holds', async () => {
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    const gate: Array<() => void> = [];
    const slow: Destination = {
      send: async (d: Delivery): Promise<DeliveryResult> => {
        order.push(d.deliveryId);
        peak = Math.max(peak, ++inFlight);
        await new Promise<void>((r) => gate.push(r));
        inFlight--;
        return { status: '200' };
      },
      health: async () => ({ ok: true }),
      close: async () => {},
    };
    const q = f.route({ destination: slow, concurrency: 2 });
    await q.start();
    q.sendNow([1, 2, 3, 4, 5].map((n) => fresh('erp', n)));
    await until('two in flight', () => inFlight === 2);
    expect(q.backlog).to.equal(3);
    expect(q.holds('dl-erp-5')).to.equal(true);
    while (order.length < 5 || inFlight > 0) {
      gate.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    await until('all delivered', () => [1, 2, 3, 4, 5].every((n) => f.ledger.last(`dl-erp-${n}`)?.state === 'delivered'));
    expect(peak).to.equal(2);
    expect(order).to.deep.equal(['dl-erp-1', 'dl-erp-2', 'dl-erp-3', 'dl-erp-4', 'dl-erp-5']);
    expect(q.holds('dl-erp-5')).to.equal(false);
  });

  it('sends through the queue while the route is paused, and holds them there until resume', async () => {
    const q = f.route();
    await q.start();
    await q.pause();
    q.sendNow([fresh('erp', 9)]);
    await until('queued', async () => (await q.counts()).waiting === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(f.sink.requests).to.have.length(0);
    await q.resume();
    await until('delivered', () => f.ledger.last('dl-erp-9')?.state === 'delivered');
    expect(f.sink.requests).to.have.length(1);
  });

  it('on close, finishes the sends in flight and hands those still waiting to the queue', async () => {
    const gate: Array<() => void> = [];
    const sent: string[] = [];
    const slow: Destination = {
      send: async (d: Delivery): Promise<DeliveryResult> => {
        sent.push(d.deliveryId);
        await new Promise<void>((r) => gate.push(r));
        return { status: '200' };
      },
      health: async () => ({ ok: true }),
      close: async () => {},
    };
    const prefix = uniquePrefix();
    const q = f.route({ destination: slow, concurrency: 1, prefix });
    await q.start();
    q.sendNow([fresh('erp', 10), fresh('erp', 11)]);
    await until('one in flight', () => gate.length === 1);
    const closed = q.close();
    await new Promise((r) => setTimeout(r, 100));
    gate.shift()!();
    await closed;
    expect(sent).to.deep.equal(['dl-erp-10']);
    expect(f.ledger.last('dl-erp-10')?.state).to.equal('delivered');
    // the waiting one is now a job for the next worker (this process's, or another's)
    const next = f.route({ prefix });
    expect(await next.jobState('dl-erp-11')).to.equal('waiting');
    await next.start();
    await until('11 delivered by the next worker', () => f.ledger.last('dl-erp-11')?.state === 'delivered');
  });

  it('says which open deliveries another process may still hold: never attempted, within the hold and the destination timeout', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    const at = (agoMs: number) => new Date(now - agoMs).toISOString();
    const q = f.route({ timeout: '2s' }); // held 10 s in memory at most, then 2 s sending, and 5 s of margin
    expect(q.mayBeHeldElsewhere({ state: 'pending', attempts: 0, updatedAt: at(1_000) }, now)).to.equal(true);
    expect(q.mayBeHeldElsewhere({ state: 'pending', attempts: 0, updatedAt: at(16_000) }, now)).to.equal(true);
    expect(q.mayBeHeldElsewhere({ state: 'pending', attempts: 0, updatedAt: at(18_000) }, now)).to.equal(false);
    // an attempt recorded, or a retry: the route's queue has it, not a process's memory
    expect(q.mayBeHeldElsewhere({ state: 'pending', attempts: 1, updatedAt: at(1_000) }, now)).to.equal(false);
    expect(q.mayBeHeldElsewhere({ state: 'retrying', attempts: 1, updatedAt: at(1_000) }, now)).to.equal(false);
    // a destination that does not bound its attempts: five minutes stand in
    const unbounded = f.route({ route: 'mllp-like', destination: stubDestination() });
    expect(unbounded.mayBeHeldElsewhere({ state: 'pending', attempts: 0, updatedAt: at(4 * 60_000) }, now)).to.equal(true);
    expect(unbounded.mayBeHeldElsewhere({ state: 'pending', attempts: 0, updatedAt: at(6 * 60_000) }, now)).to.equal(false);
  });
});
