import { DeliveryError, PermanentDeliveryError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { uuid7Ms, type RouteCounters } from '../lib/metrics.js';
import type { RetryConfig } from '../lib/config-fragments.js';
import { excerpt } from './excerpt.js';
import { nextDelay, RetryLaterError, type Random } from './retry.js';
import type { AttemptOutcome, Delivery, DeliveryLedger, Destination } from './types.js';

/** What a first attempt hands to the route's BullMQ queue when it did not deliver. */
export type Handoff = {
  delivery: Omit<Delivery, 'attempt'>;
  /** Attempts already made (and recorded). */
  made: number;
  /** Wait this long before the next attempt. */
  delayMs: number;
  /** Set when the delivery is dead (recorded as such): the job only goes to the dead-letter set. */
  dead?: string;
};

export type FirstAttemptsOptions = {
  destination: Destination;
  ledger: DeliveryLedger;
  retry: RetryConfig;
  concurrency: number;
  log: Logger;
  /** The route's counters (`/metrics`), shared with its queue's worker. */
  metrics: RouteCounters;
  random?: Random;
  /** Puts a delivery on the route's BullMQ queue (retry, dead letter, or simply later). */
  handoff(items: Handoff[]): Promise<void>;
  errorCode(err: unknown): string;
};

/** A delivery waiting longer than this in memory goes to the route's queue instead (see below). */
const MAX_WAIT_MS = 5_000;
/** Deliveries held in memory per route at most; more go to the route's queue. */
const MAX_HELD = 2_000;

/**
 * The first attempt of each delivery, made in this process straight after processing, without a
 * BullMQ job: no Redis round trip when the destination answers. Sends in flight are bounded by the
 * route's `concurrency` (in order while nothing fails, as with the queue).
 *
 * The promises hold because the delivery is already in the store (`markRouted` committed) before it
 * gets here: a crash loses only this memory, and the recovery sweep (at start, and for deliveries
 * untouched for 30 s) puts every delivery that is not final on the route's queue; the send repeats
 * with the same idempotency key, as after any crash. A failed first attempt is recorded like any
 * attempt and the delivery goes to the route's queue, which retries it with the route's backoff
 * (attempt 2 onward) or, when the failure is final, keeps it in the dead-letter set, where an
 * operator's retry finds it. So that nothing waits in memory for as long as the sweep's 30 s, a
 * delivery waits here at most `MAX_WAIT_MS` and at most `MAX_HELD` are held; the rest go to the queue.
 */
export class FirstAttempts {
  private readonly waiting: Array<{ d: Omit<Delivery, 'attempt'>; since: number }> = [];
  private readonly held = new Set<string>();
  private inFlight = 0;
  private readonly idle: Array<() => void> = [];
  private closed = false;

  constructor(private readonly o: FirstAttemptsOptions) {}

  /** Sends waiting and in flight. */
  get counts(): { waiting: number; active: number } {
    return { waiting: this.waiting.length, active: this.inFlight };
  }

  /** True while this process holds the delivery (the sweep must not queue it a second time). */
  holds(deliveryId: string): boolean {
    return this.held.has(deliveryId);
  }

  /** Takes what there is room for; returns the rest (for the route's queue). */
  take(deliveries: ReadonlyArray<Omit<Delivery, 'attempt'>>): Array<Omit<Delivery, 'attempt'>> {
    const now = Date.now();
    const rest: Array<Omit<Delivery, 'attempt'>> = [];
    for (const d of deliveries) {
      if (this.held.has(d.deliveryId)) continue;
      const stale = this.waiting[0] !== undefined && now - this.waiting[0].since > MAX_WAIT_MS;
      if (this.closed || stale || this.held.size >= MAX_HELD) rest.push(d);
      else {
        this.held.add(d.deliveryId);
        this.waiting.push({ d, since: now });
      }
    }
    this.pump();
    return rest;
  }

  /** Stops taking deliveries, hands those not started to the queue, and waits for the sends in flight. */
  async close(): Promise<void> {
    this.closed = true;
    const left = this.waiting.splice(0).map((w) => w.d);
    if (left.length > 0) {
      await this.o
        .handoff(left.map((delivery) => ({ delivery, made: 0, delayMs: 0 })))
        .catch((err) => this.o.log.warn({ code: this.o.errorCode(err) }, 'deliveries not queued at close; the recovery sweep will'));
      for (const d of left) this.held.delete(d.deliveryId);
    }
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.o.concurrency && this.waiting.length > 0) {
      const { d } = this.waiting.shift()!;
      this.inFlight += 1;
      void this.attempt(d)
        .catch((err) => this.o.log.warn({ deliveryId: d.deliveryId, code: this.o.errorCode(err) }, 'first attempt not settled'))
        .finally(() => {
          this.held.delete(d.deliveryId);
          this.inFlight -= 1;
          if (this.inFlight === 0 && this.waiting.length === 0) for (const f of this.idle.splice(0)) f();
          this.pump();
        });
    }
  }

  /** One first attempt; whatever does not end delivered goes to the queue. */
  private async attempt(d: Omit<Delivery, 'attempt'>): Promise<void> {
    const { ledger, destination } = this.o;
    if (!(await ledger.beginAttempt(d.deliveryId, 1))) return;
    const startedAt = Date.now();
    let status: string;
    let body: string | undefined;
    try {
      const result = await destination.send({ ...d, attempt: 1 });
      status = result.status;
      body = result.body;
    } catch (err) {
      return this.failed(d, startedAt, err);
    }
    try {
      await ledger.recordAttempt(d.deliveryId, {
        attempt: 1,
        state: 'delivered',
        startedAt,
        finishedAt: Date.now(),
        status,
        ...(body !== undefined ? { body: excerpt(body) } : {}),
      });
      this.o.metrics.delivered++;
      this.o.metrics.latency.observe((Date.now() - uuid7Ms(d.messageId)) / 1000);
    } catch (err) {
      // not recorded: the queue sends it again, with the same idempotency key
      this.o.log.warn({ deliveryId: d.deliveryId, code: this.o.errorCode(err) }, 'delivered but not recorded; queued to send again');
      await this.o.handoff([{ delivery: d, made: 1, delayMs: 0 }]);
    }
  }

  private async failed(d: Omit<Delivery, 'attempt'>, startedAt: number, err: unknown): Promise<void> {
    const code = this.o.errorCode(err);
    const message = err instanceof Error ? err.message : String(err);
    const response = err instanceof DeliveryError ? err.response : undefined;
    const base: AttemptOutcome = {
      attempt: 1,
      state: 'dead',
      startedAt,
      finishedAt: Date.now(),
      ...(response?.status !== undefined ? { status: response.status } : {}),
      ...(response?.body !== undefined ? { body: excerpt(response.body) } : {}),
      error: { code, message },
    };
    if (err instanceof PermanentDeliveryError || this.o.retry.attempts <= 1) {
      await this.o.ledger.recordAttempt(d.deliveryId, base);
      this.o.metrics.dead++;
      this.o.log.warn({ deliveryId: d.deliveryId, attempt: 1, code, status: base.status }, 'delivery dead-lettered');
      return this.o.handoff([{ delivery: d, made: 1, delayMs: 0, dead: `${code}: ${message}` }]);
    }
    const hint = err instanceof RetryLaterError ? err.retryAfterMs : undefined;
    const delayMs = nextDelay(this.o.retry, 1, hint, this.o.random);
    await this.o.ledger.recordAttempt(d.deliveryId, { ...base, state: 'retrying', nextAttemptAt: Date.now() + delayMs });
    this.o.metrics.retried++;
    this.o.log.debug({ deliveryId: d.deliveryId, attempt: 1, code, delayMs }, 'delivery attempt failed; retrying');
    await this.o.handoff([{ delivery: d, made: 1, delayMs }]);
  }
}
