import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { RetryConfig } from '../../lib/config-fragments.js';
import { InterlaceError, PermanentDeliveryError, TransientDeliveryError } from '../../lib/errors.js';
import { silentLogger as silent } from '../../lib/log.js';
import { http, httpSchema } from '../../routes/destinations/http.js';
import { RouteQueue } from '../../routes/route-queue.js';
import { seededRandom } from '../../routes/retry.js';
import type { AttemptOutcome, Delivery, DeliveryLedger, DeliveryResult, Destination } from '../../routes/types.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { getRedis, startRedisServer, uniquePrefix, type TestRedis } from '../support/redis.js';

const fixture = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));

/** An in-memory ledger: the engine's real one lives in the message store. */
class MemoryLedger implements DeliveryLedger {
  readonly attempts = new Map<string, AttemptOutcome[]>();
  readonly begun: Array<[string, number]> = [];
  readonly final = new Set<string>();
  beginAttempt(id: string, attempt: number): boolean {
    this.begun.push([id, attempt]);
    return !this.final.has(id);
  }
  recordAttempt(id: string, o: AttemptOutcome): void {
    this.attempts.set(id, [...(this.attempts.get(id) ?? []), o]);
    if (o.state !== 'retrying') this.final.add(id);
  }
  reopen(id: string): void {
    this.final.delete(id);
  }
  last(id: string): AttemptOutcome | undefined {
    return this.attempts.get(id)?.at(-1);
  }
}

const fast: RetryConfig = { attempts: 4, delay: 10, maxDelay: 50, factor: 2, jitter: 0.2 };

function deliveryFor(route: string, n: number, channel = 'or-usage'): Omit<Delivery, 'attempt'> {
  return {
    deliveryId: `dl-${route}-${n}`,
    messageId: `msg-${n}`,
    channel,
    route,
    idempotencyKey: `msg-${n}:${route}`,
    correlationId: `corr-${n}`,
    payload: { body: `{"n":${n}}`, contentType: 'application/json' },
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('routes/route-queue', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let ledger: MemoryLedger;
  const open: RouteQueue[] = [];

  before(async () => {
    redis = await getRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    sink = await startHttpSink();
    ledger = new MemoryLedger();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
    await sink.close();
  });

  function route(opts: { route?: string; url?: string; retry?: Partial<RetryConfig>; destination?: Destination; timeout?: string; concurrency?: number; prefix?: string } = {}): RouteQueue {
    const name = opts.route ?? 'erp';
    const destination =
      opts.destination ??
      http.create(httpSchema.parse({ type: 'http', url: opts.url ?? `${sink.url}/in`, timeout: opts.timeout ?? '2s' }), {
        channel: 'or-usage',
        route: name,
        log: silent,
      });
    const q = new RouteQueue({
      connection: redis.url,
      prefix: opts.prefix ?? uniquePrefix(),
      channel: 'or-usage',
      route: name,
      destination,
      retry: { ...fast, ...opts.retry },
      ledger,
      concurrency: opts.concurrency ?? 1,
      random: seededRandom(1),
    });
    open.push(q);
    return q;
  }

  it('delivers on the first try with the idempotency key and correlation id, and records it', async () => {
    const q = route();
    sink.respond({ status: 202, body: 'accepted' });
    await q.start();
    await q.enqueue([deliveryFor('erp', 1)]);
    await until('delivered', () => ledger.last('dl-erp-1')?.state === 'delivered');
    expect(sink.requests).to.have.length(1);
    expect(sink.requests[0]!.headers['idempotency-key']).to.equal('msg-1:erp');
    expect(sink.requests[0]!.headers['x-correlation-id']).to.equal('corr-1');
    expect(sink.requests[0]!.body).to.equal('{"n":1}');
    const rec = ledger.last('dl-erp-1')!;
    expect(rec).to.include({ attempt: 1, state: 'delivered', status: '202', body: 'accepted' });
    expect(rec.finishedAt).to.be.at.least(rec.startedAt);
  });

  it('retries on 503 with the same idempotency key, then delivers', async () => {
    const q = route();
    sink.respond({ status: 503, body: 'busy' }, { status: 503 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 2)]);
    await until('delivered', () => ledger.last('dl-erp-2')?.state === 'delivered');
    const keys = sink.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).to.deep.equal(['msg-2:erp', 'msg-2:erp', 'msg-2:erp']);
    const recs = ledger.attempts.get('dl-erp-2')!;
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
    const q = route();
    sink.setDefault({ status: 400, body: 'unknown item' });
    await q.start();
    await q.enqueue([deliveryFor('erp', 3)]);
    await until('dead', () => ledger.last('dl-erp-3')?.state === 'dead');
    await until('dead count', async () => (await q.counts()).dead === 1);
    expect(sink.requests).to.have.length(1);
    expect(ledger.last('dl-erp-3')!.error!.code).to.equal('http-rejected-status');
    const dead = await q.dead();
    expect(dead).to.have.length(1);
    expect(dead[0]!.deliveryId).to.equal('dl-erp-3');
    expect(dead[0]!.reason).to.contain('http-rejected-status');
  });

  it('dead-letters after the configured attempts', async () => {
    const q = route({ retry: { attempts: 3 } });
    sink.setDefault({ status: 500 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 4)]);
    await until('dead', () => ledger.last('dl-erp-4')?.state === 'dead');
    expect(sink.requests).to.have.length(3);
    expect(ledger.attempts.get('dl-erp-4')!.map((r) => r.state)).to.deep.equal(['retrying', 'retrying', 'dead']);
    await until('dead count', async () => (await q.counts()).dead === 1);
  });

  it('retries after a timeout', async () => {
    const q = route({ timeout: '100ms' });
    sink.respond({ hang: true });
    await q.start();
    await q.enqueue([deliveryFor('erp', 5)]);
    await until('delivered', () => ledger.last('dl-erp-5')?.state === 'delivered');
    expect(ledger.attempts.get('dl-erp-5')![0]!.error!.code).to.equal('http-timeout');
    expect(sink.requests).to.have.length(2);
  });

  it('retries a refused connection until the destination comes up', async () => {
    const port = await freePort();
    const q = route({ url: `http://127.0.0.1:${port}/`, retry: { attempts: 50, delay: 20, maxDelay: 40 } });
    await q.start();
    await q.enqueue([deliveryFor('erp', 6)]);
    await until('a refused attempt', () => (ledger.attempts.get('dl-erp-6')?.length ?? 0) >= 1);
    expect(ledger.last('dl-erp-6')!.error!.code).to.equal('http-network-error');
    const late = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
    try {
      await until('delivered', () => ledger.last('dl-erp-6')?.state === 'delivered');
    } finally {
      late.closeAllConnections();
      await new Promise<void>((r) => late.close(() => r()));
    }
    expect(ledger.last('dl-erp-6')!.body).to.equal('ok');
  });

  it('keeps delivering on one route while another route is down', async () => {
    const down = await freePort();
    const prefix = uniquePrefix();
    const bad = route({ route: 'billing', url: `http://127.0.0.1:${down}/`, prefix, retry: { attempts: 1000, delay: 30, maxDelay: 30 } });
    const good = route({ route: 'erp', prefix });
    await Promise.all([bad.start(), good.start()]);
    await bad.enqueue([1, 2, 3].map((n) => deliveryFor('billing', n)));
    await good.enqueue([1, 2, 3, 4, 5].map((n) => deliveryFor('erp', n)));
    await until('erp delivered', () => [1, 2, 3, 4, 5].every((n) => ledger.last(`dl-erp-${n}`)?.state === 'delivered'));
    expect([1, 2, 3].map((n) => ledger.last(`dl-billing-${n}`)?.state ?? 'waiting')).to.not.include('delivered');
    const counts = await bad.counts();
    expect(counts.completed + counts.dead).to.equal(0);
  });

  it('sends nothing when the ledger says the delivery is already final', async () => {
    const q = route();
    ledger.final.add('dl-erp-7');
    await q.start();
    await q.enqueue([deliveryFor('erp', 7), deliveryFor('erp', 8)]);
    await until('8 delivered', () => ledger.last('dl-erp-8')?.state === 'delivered');
    await until('7 completed', async () => (await q.counts()).completed === 2);
    expect(ledger.begun.map(([id]) => id)).to.include('dl-erp-7');
    expect(sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-8:erp']);
    expect(ledger.attempts.has('dl-erp-7')).to.equal(false);
  });

  it('makes one job of a delivery enqueued twice', async () => {
    const q = route();
    await q.enqueue([deliveryFor('erp', 9), deliveryFor('erp', 9)]);
    await q.enqueue([deliveryFor('erp', 9)]);
    expect((await q.counts()).waiting).to.equal(1);
    await q.start();
    await until('delivered', () => ledger.last('dl-erp-9')?.state === 'delivered');
    await until('completed', async () => (await q.counts()).completed === 1);
    expect(sink.requests).to.have.length(1);
  });

  it('accepts delivery ids BullMQ would refuse (integers, colons) without mixing them up', async () => {
    const q = route();
    const a = { ...deliveryFor('erp', 10), deliveryId: '42' };
    const b = { ...deliveryFor('erp', 11), deliveryId: 'm-1:erp' };
    const c = { ...deliveryFor('erp', 12), deliveryId: '%42' };
    await q.enqueue([a, b, c]);
    expect((await q.counts()).waiting).to.equal(3);
    await q.start();
    await until('all delivered', () => ['42', 'm-1:erp', '%42'].every((id) => ledger.last(id)?.state === 'delivered'));
  });

  it('retryDead moves a dead delivery back with a fresh set of attempts, numbering on', async () => {
    const q = route({ retry: { attempts: 2 } });
    sink.respond({ status: 500 }, { status: 500 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 13)]);
    await until('dead', async () => (await q.counts()).dead === 1);
    expect(ledger.last('dl-erp-13')!.state).to.equal('dead');
    await q.retryDead('dl-erp-13');
    await until('delivered', () => ledger.last('dl-erp-13')?.state === 'delivered');
    expect(ledger.attempts.get('dl-erp-13')!.map((r) => r.attempt)).to.deep.equal([1, 2, 3]);
    const counts = await q.counts();
    expect(counts.dead).to.equal(0);
  });

  it('retryDead refuses unknown and live deliveries', async () => {
    const q = route();
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
    const q = route();
    sink.respond({ status: 200, body: 'late', delayMs: 300 });
    await q.start();
    await q.enqueue([deliveryFor('erp', 15)]);
    await until('in flight', () => sink.inFlight() === 1);
    await q.close();
    expect(ledger.last('dl-erp-15')).to.include({ state: 'delivered', body: 'late' });
  });

  it('pause holds deliveries until resume', async () => {
    const q = route();
    await q.start();
    await q.pause();
    await q.enqueue([deliveryFor('erp', 16)]);
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.requests).to.have.length(0);
    expect(await q.counts()).to.include({ waiting: 1, paused: true });
    await q.resume();
    await until('delivered', () => ledger.last('dl-erp-16')?.state === 'delivered');
  });

  it('treats unexpected destination errors as transient and permanent ones as final', async () => {
    let calls = 0;
    const flaky: Destination = {
      async send(d: Delivery): Promise<DeliveryResult> {
        calls += 1;
        if (d.deliveryId === 'dl-erp-17' && calls === 1) throw new TypeError('boom');
        if (d.deliveryId === 'dl-erp-18') throw new PermanentDeliveryError('test-rejected', 'rejected');
        if (d.deliveryId === 'dl-erp-19') throw new TransientDeliveryError('test-later', 'later', { response: { status: 'AE', body: 'x'.repeat(5000) } });
        return { status: 'AA' };
      },
      health: async () => ({ ok: true }),
      close: async () => {},
    };
    const q = route({ destination: flaky, retry: { attempts: 2 } });
    await q.start();
    await q.enqueue([17, 18, 19].map((n) => deliveryFor('erp', n)));
    await until('all final', () => ['dl-erp-17', 'dl-erp-18', 'dl-erp-19'].every((id) => ledger.final.has(id)));
    expect(ledger.attempts.get('dl-erp-17')!.map((r) => [r.state, r.error?.code])).to.deep.equal([
      ['retrying', 'route-unexpected-error'],
      ['delivered', undefined],
    ]);
    expect(ledger.attempts.get('dl-erp-18')!.map((r) => r.state)).to.deep.equal(['dead']);
    const last19 = ledger.last('dl-erp-19')!;
    expect(last19.state).to.equal('dead');
    expect(last19.status).to.equal('AE');
    expect(last19.body!.length).to.equal(2048);
  });

  it('sends again, with the same key, when recording a delivered attempt fails', async () => {
    const q = route();
    const record = ledger.recordAttempt.bind(ledger);
    let failures = 0;
    ledger.recordAttempt = (id, o) => {
      if (o.state === 'delivered' && failures === 0) {
        failures += 1;
        throw new Error('database is locked');
      }
      record(id, o);
    };
    await q.start();
    await q.enqueue([deliveryFor('erp', 20)]);
    await until('delivered', () => ledger.last('dl-erp-20')?.state === 'delivered');
    expect(sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-20:erp', 'msg-20:erp']);
    expect(ledger.last('dl-erp-20')!.attempt).to.equal(2);
  });

  it('runs up to `concurrency` sends at once', async () => {
    const q = route({ concurrency: 3 });
    sink.setDefault({ status: 200, delayMs: 300 });
    await q.start();
    await q.enqueue([21, 22, 23, 24, 25].map((n) => deliveryFor('erp', n)));
    await until('three in flight', () => sink.inFlight() === 3);
    expect((await q.counts()).active).to.equal(3);
    await until('all delivered', () => [21, 22, 23, 24, 25].every((n) => ledger.last(`dl-erp-${n}`)?.state === 'delivered'));
  });

  it('logs ids, never payloads or answers', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const q = new RouteQueue({
      connection: redis.url,
      prefix: uniquePrefix(),
      channel: 'or-usage',
      route: 'erp',
      destination: http.create(httpSchema.parse({ type: 'http', url: sink.url }), { channel: 'or-usage', route: 'erp', log: silent }),
      retry: { ...fast, attempts: 2 },
      ledger,
      log,
    });
    open.push(q);
    sink.respond({ status: 503, body: 'DOE^JANE busy' }, { status: 400, body: 'DOE^JANE rejected' });
    await q.start();
    await q.enqueue([{ ...deliveryFor('erp', 26), payload: { body: 'PID|||123||DOE^JANE', contentType: 'x-application/hl7-v2+er7' } }]);
    await until('dead', () => ledger.last('dl-erp-26')?.state === 'dead');
    const text = lines.join('');
    expect(text).to.contain('dl-erp-26').and.contain('delivery dead-lettered');
    expect(text).to.not.contain('DOE');
  });

  it('refuses garbage deliveries with a clear error', async () => {
    const q = route();
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

  it('takes up again, with the same key, a delivery whose process was killed mid-send', async () => {
    const prefix = uniquePrefix();
    sink.respond({ hang: true });
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, redis.url, prefix, sink.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (b: Buffer) => b.toString().includes('started') && resolve());
        child.once('exit', (code) => reject(new Error(`crash worker exited with ${code}`)));
      });
      const q = route({ prefix });
      await q.enqueue([deliveryFor('erp', 30)]);
      await until('the child sending', () => sink.inFlight() === 1);
      child.kill('SIGKILL');
      await exited;
      const survivor = new RouteQueue({
        connection: redis.url,
        prefix,
        channel: 'or-usage',
        route: 'erp',
        destination: http.create(httpSchema.parse({ type: 'http', url: sink.url }), { channel: 'or-usage', route: 'erp', log: silent }),
        retry: fast,
        ledger,
        lockDurationMs: 1000,
        stalledIntervalMs: 300,
      });
      open.push(survivor);
      await survivor.start();
      await until('delivered by the survivor', () => ledger.last('dl-erp-30')?.state === 'delivered', 15_000);
      expect(sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal(['msg-30:erp', 'msg-30:erp']);
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
        destination: http.create(httpSchema.parse({ type: 'http', url: sink.url }), { channel: 'or-usage', route: 'erp', log: silent }),
        retry: { ...fast, delay: 300, maxDelay: 300 },
        ledger,
      });
      open.push(q);
      sink.respond({ status: 503 });
      await q.start();
      await q.enqueue([deliveryFor('erp', 40), deliveryFor('erp', 41)]);
      await until('one retrying', () => ledger.last('dl-erp-40')?.state === 'retrying');
      let late: Promise<void> | undefined;
      await own.restart(async () => {
        late = q.enqueue([deliveryFor('erp', 42)]);
        await new Promise((r) => setTimeout(r, 100));
      });
      await late;
      await until('all delivered', () => [40, 41, 42].every((n) => ledger.last(`dl-erp-${n}`)?.state === 'delivered'), 25_000);
      await q.close();
    } finally {
      await own.stop();
    }
  });

  it('refuses deliveries for another route and bad names', async () => {
    const q = route();
    let err: unknown;
    try {
      await q.enqueue([deliveryFor('billing', 1)]);
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'route-invalid-delivery');
    expect(() => new RouteQueue({ connection: redis.url, channel: 'a:b', route: 'r', destination: stubDestination(), retry: fast, ledger })).to.throw(
      /route-invalid-name|cannot name a queue/,
    );
  });
});

function stubDestination(): Destination {
  return { send: async () => ({ status: '200' }), health: async () => ({ ok: true }), close: async () => {} };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
