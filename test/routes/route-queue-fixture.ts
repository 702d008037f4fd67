import type { RetryConfig } from '../../lib/config-fragments.js';
import { silentLogger } from '../../lib/log.js';
import { http, httpSchema } from '../../routes/destinations/http.js';
import { RouteQueue } from '../../routes/route-queue.js';
import { seededRandom } from '../../routes/retry.js';
import type { AttemptOutcome, Delivery, DeliveryLedger, Destination } from '../../routes/types.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../support/redis.js';
import { freePort } from '../../lib/net.js';

export { freePort };

/** Shared by the RouteQueue test files: an in-memory ledger, deliveries, and per-test Redis + sink. */

/** An in-memory ledger: the engine's real one lives in the message store. */
export class MemoryLedger implements DeliveryLedger {
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

export const fast: RetryConfig = { attempts: 4, delay: 10, maxDelay: 50, factor: 2, jitter: 0.2 };

export function deliveryFor(route: string, n: number, channel = 'or-usage'): Omit<Delivery, 'attempt'> {
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

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function stubDestination(): Destination {
  return { send: async () => ({ status: '200' }), health: async () => ({ ok: true }), close: async () => {} };
}

export type RouteOptions = {
  route?: string;
  url?: string;
  retry?: Partial<RetryConfig>;
  destination?: Destination;
  timeout?: string;
  concurrency?: number;
  prefix?: string;
};

/** Registers mocha hooks: one Redis for the suite, a fresh sink and ledger per test, routes closed after each. */
export function routeFixture() {
  const f = {
    redis: undefined as unknown as TestRedis,
    sink: undefined as unknown as HttpSink,
    ledger: undefined as unknown as MemoryLedger,
    open: [] as RouteQueue[],
    /** A route of channel `or-usage` to the sink (or `url`), with fast retries and a seeded jitter. */
    route(opts: RouteOptions = {}): RouteQueue {
      const name = opts.route ?? 'erp';
      const destination =
        opts.destination ??
        http.create(httpSchema.parse({ type: 'http', url: opts.url ?? `${f.sink.url}/in`, timeout: opts.timeout ?? '2s' }), {
          channel: 'or-usage',
          route: name,
          log: silentLogger,
        });
      const q = new RouteQueue({
        connection: f.redis.url,
        prefix: opts.prefix ?? uniquePrefix(),
        channel: 'or-usage',
        route: name,
        destination,
        retry: { ...fast, ...opts.retry },
        ledger: f.ledger,
        concurrency: opts.concurrency ?? 1,
        random: seededRandom(1),
      });
      f.open.push(q);
      return q;
    },
  };
  before(async () => {
    f.redis = await getRedis();
  });
  after(async () => {
    await f.redis.stop();
  });
  beforeEach(async () => {
    f.sink = await startHttpSink();
    f.ledger = new MemoryLedger();
  });
  afterEach(async () => {
    await Promise.all(f.open.splice(0).map((q) => q.close()));
    await f.sink.close();
  });
  return f;
}
