import { Queue, UnrecoverableError, Worker, type Job, type RedisOptions } from 'bullmq';
import type { RetryConfig } from '../lib/config-fragments.js';
import { DeliveryError, InterlaceError, PermanentDeliveryError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/log.js';
import { excerpt } from './excerpt.js';
import { failSpan, tracing } from '../lib/tracing.js';
import { routeMetrics, uuid7Ms, type RouteCounters } from '../lib/metrics.js';
import { jobIdFor, routeQueueKey, toRedisOptions } from './queue-names.js';
import { nextDelay, RetryLaterError, type Random } from './retry.js';
import type { AttemptOutcome, Delivery, DeliveryLedger, DeliveryResult, Destination } from './types.js';

/** Options of one route's queue. */
export type RouteQueueOptions = {
  /** A `redis://` / `rediss://` URL or ioredis options. */
  connection: string | RedisOptions;
  /** First part of every Redis key of the route; default `interlace`. */
  prefix?: string;
  channel: string;
  route: string;
  /** The destination; the queue closes it in `close()`, after in-flight sends have finished. */
  destination: Destination;
  /** The destination's type (`http`, `fhir`…): an attribute of delivery spans. */
  destinationType?: string;
  retry: RetryConfig;
  ledger: DeliveryLedger;
  /** Sends in flight at once in this process; default 1 (keeps order while nothing fails). */
  concurrency?: number;
  log?: Logger;
  /** How many completed jobs Redis keeps for inspection; default 1000. Dead jobs are all kept. */
  keepCompleted?: number;
  /** Random source of the jitter; tests pass a seeded one. */
  random?: Random;
  /**
   * How long a worker's hold on a job lasts without renewal, and how often held jobs are checked:
   * a job whose process died is taken up again after about this long. Default 30 s each.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
};

/**
 * A delivery as it waits in Redis. `attemptBase` counts attempts made before this job (the first
 * attempt made in process, or attempts before an operator's retry). `dead` marks a delivery whose
 * first attempt, made in process, was final: its job only carries it into the dead-letter set.
 */
type QueuedDelivery = Omit<Delivery, 'attempt'> & { attemptBase?: number; dead?: string };

/** A delivery handed to `sendNow`: `attempts` already made (0 for a new one). */
export type NewAttempt = Omit<Delivery, 'attempt'> & { attempts: number };

/** How a failed attempt ends: dead-lettered, or retried after `delayMs`. */
type Failure = { dead: true; reason: string } | { dead: false; reason: string; delayMs: number };

/** A delivery waits in memory for its first attempt at most this long; then the route's queue takes it. */
const HOLD_IN_MEMORY_MS = 10_000;
/** How long one attempt may take at a destination that does not say (`Destination.attemptTimeoutMs`). */
const UNBOUNDED_ATTEMPT_MS = 5 * 60_000;
/** Clocks of engine processes and the store's differ a little; a hold is assumed this much longer. */
const HOLD_MARGIN_MS = 5_000;
/** How long a route's pause, set in Redis by any process, may go unnoticed by the in-process path. */
const PAUSE_CHECK_MS = 1_000;

/** Job counts of a route. `dead` is the dead-letter set (BullMQ's failed set). */
export type RouteCounts = { waiting: number; active: number; delayed: number; dead: number; completed: number; paused: boolean };

const BACKOFF_TYPE = 'interlace';

/** Carries the delay the route chose (and recorded in the ledger) to BullMQ's backoff strategy. */
class ScheduledRetry extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'ScheduledRetry';
  }
}

/**
 * One route of one channel: a BullMQ queue with its own worker and retry policy, so a slow or failing
 * destination never holds back another route.
 *
 * Each attempt: `ledger.beginAttempt` (false: already final, nothing sent) → `destination.send` →
 * `ledger.recordAttempt`. A TransientDeliveryError or any unexpected error is retried with exponential
 * backoff and jitter (see retry.ts) until `retry.attempts` attempts were made; a PermanentDeliveryError
 * dead-letters the delivery at once. Dead deliveries stay in BullMQ's failed set until `retryDead`.
 * Delivery is at least once: a crash between a send and its record repeats the send, with the same
 * idempotency key.
 */
export class RouteQueue {
  readonly channel: string;
  readonly route: string;
  /** BullMQ prefix (`<prefix>:<channel>`) and queue name (`<route>`). */
  readonly queuePrefix: string;
  readonly queueName: string;
  private readonly opts: RouteQueueOptions;
  private readonly redis: RedisOptions;
  private readonly queue: Queue<QueuedDelivery>;
  private readonly log: Logger;
  private worker: Worker<QueuedDelivery> | undefined;
  private closing: Promise<void> | undefined;
  private readonly metrics: RouteCounters;
  /** First attempts waiting in this process, oldest first, and how many are being sent. */
  private readonly memory: Array<{ d: NewAttempt; at: number }> = [];
  private memoryHead = 0;
  private sendingNow = 0;
  /** First attempts begun whose outcome is not recorded yet. */
  private unsettled = 0;
  /** Delivery ids this process holds for a first attempt (waiting or being sent). */
  private readonly holding = new Set<string>();
  private paused = false;
  /** This process's part of the route is held (its channel stopped here). */
  private heldHere = false;
  private pauseCheckedAt = 0;
  private handoffTimer: NodeJS.Timeout | undefined;
  private readonly roomListeners: Array<() => void> = [];

  constructor(opts: RouteQueueOptions) {
    const key = routeQueueKey(opts.prefix ?? 'interlace', opts.channel, opts.route);
    this.opts = opts;
    this.channel = opts.channel;
    this.route = opts.route;
    this.queuePrefix = key.prefix;
    this.queueName = key.name;
    this.redis = toRedisOptions(opts.connection);
    this.metrics = routeMetrics(opts.channel, opts.route);
    this.log = (opts.log ?? silentLogger).child({ channel: opts.channel, route: opts.route });
    this.queue = new Queue<QueuedDelivery>(this.queueName, { connection: this.redis, prefix: this.queuePrefix });
    this.queue.on('error', (err) => this.log.error({ code: errorCode(err) }, 'route queue connection error'));
  }

  /**
   * Adds deliveries in one round trip. The job id is the delivery id, so adding a delivery that is
   * already queued, retrying or dead does nothing: a re-enqueue after a crash never makes two jobs.
   * `attempts` (attempts already made, as the store counts them) keeps attempt numbers counting.
   */
  async enqueue(deliveries: ReadonlyArray<Omit<Delivery, 'attempt'> & { attempts?: number }>): Promise<void> {
    await this.enqueueJobs(deliveries.map(({ attempts, ...d }) => ({ ...d, attemptBase: attempts ?? 0 })));
  }

  private async enqueueJobs(
    deliveries: ReadonlyArray<Omit<Delivery, 'attempt'> & { attemptBase?: number }>,
    o: { attemptBase?: number; delayMs?: number; dead?: string; attempts?: number } = {},
  ): Promise<void> {
    if (deliveries.length === 0) return;
    const jobs = deliveries.map((d) => {
      this.checkDelivery(d);
      const attemptBase = o.attemptBase ?? d.attemptBase ?? 0;
      const data: QueuedDelivery = {
        deliveryId: d.deliveryId,
        messageId: d.messageId,
        channel: d.channel,
        route: d.route,
        idempotencyKey: d.idempotencyKey,
        correlationId: d.correlationId,
        payload: d.payload,
        ...(attemptBase > 0 ? { attemptBase } : {}),
        ...(o.dead !== undefined ? { dead: o.dead } : {}),
      };
      return {
        name: 'delivery',
        data,
        opts: {
          jobId: jobIdFor(d.deliveryId),
          attempts: o.attempts ?? Math.max(1, this.opts.retry.attempts - attemptBase),
          backoff: { type: BACKOFF_TYPE },
          ...(o.delayMs ? { delay: o.delayMs } : {}),
          removeOnComplete: { count: this.opts.keepCompleted ?? 1000 },
          removeOnFail: false,
        },
      };
    });
    await this.queue.addBulk(jobs);
  }

  /** Starts this process's worker; resolves once it is connected. Calling it twice does nothing. */
  async start(): Promise<void> {
    if (this.closing) throw new InterlaceError('route-closed', `route ${this.channel}/${this.route} is closed; create a new RouteQueue`);
    if (this.worker) return;
    const worker = new Worker<QueuedDelivery>(this.queueName, (job) => this.process(job), {
      connection: this.redis,
      prefix: this.queuePrefix,
      concurrency: this.opts.concurrency ?? 1,
      autorun: false,
      // A job whose worker died is picked up again; only after many such deaths is it failed.
      maxStalledCount: 10,
      lockDuration: this.opts.lockDurationMs ?? 30_000,
      stalledInterval: this.opts.stalledIntervalMs ?? 30_000,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
          err instanceof ScheduledRetry ? err.delayMs : nextDelay(this.opts.retry, attemptsMade, undefined, this.opts.random),
      },
    });
    worker.on('error', (err) => this.log.error({ code: errorCode(err) }, 'route worker error'));
    this.worker = worker;
    void worker.run().catch((err) => this.log.error({ code: errorCode(err) }, 'route worker stopped'));
    await worker.waitUntilReady();
    this.log.info('route started');
  }

  /** Stops taking new deliveries on every process sharing this Redis (kept across restarts) until `resume`. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.queue.pause();
    this.log.info('route paused');
  }

  async resume(): Promise<void> {
    await this.queue.resume();
    this.paused = false;
    this.log.info('route resumed');
  }

  /**
   * Holds this process's worker only (its channel was stopped by an operator): sends in flight finish
   * and are recorded, nothing new is taken; first attempts waiting in memory, and any sent here while
   * held, go to the queue; the jobs stay in Redis, waiting or delayed, for `hold(false)`.
   */
  async hold(hold: boolean): Promise<void> {
    this.heldHere = hold;
    if (hold) {
      const waiting = this.takeWaiting();
      if (waiting.length > 0) this.handOff(waiting);
    }
    const w = this.worker;
    if (!w || w.closing) return;
    if (hold) await w.pause();
    else w.resume();
  }

  /**
   * Graceful: takes no new jobs, lets in-flight sends finish and be recorded, hands first attempts
   * still waiting in memory to the queue, then closes the destination.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // this process's worker first, so that it does not take back what is handed to the queue below
      if (this.worker) await this.worker.close();
      const waiting = this.takeWaiting();
      if (waiting.length > 0) await this.enqueue(waiting).catch(() => undefined); // else still pending in the store: the sweep
      for (const d of waiting) this.holding.delete(d.deliveryId);
      while (this.unsettled > 0) await new Promise<void>((resolve) => this.roomListeners.push(resolve));
      if (this.handoffTimer) clearInterval(this.handoffTimer);
      await this.queue.close();
      await this.opts.destination.close();
      this.log.info('route closed');
    })();
    return this.closing;
  }

  /** BullMQ's state of a delivery's job (`failed` is the dead-letter set), or `missing`. */
  async jobState(deliveryId: string): Promise<string> {
    const job = await this.queue.getJob(jobIdFor(deliveryId));
    return job ? await job.getState() : 'missing';
  }

  async counts(): Promise<RouteCounts> {
    const c = await this.queue.getJobCounts('waiting', 'paused', 'prioritized', 'active', 'delayed', 'failed', 'completed');
    return {
      waiting: (c.waiting ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      dead: c.failed ?? 0,
      completed: c.completed ?? 0,
      paused: await this.queue.isPaused(),
    };
  }

  /**
   * Age in ms of the oldest delivery waiting to be sent or to be retried, by when it was queued
   * (0 when none waits). For a retry, the one due first stands for the delayed set.
   */
  async oldestAgeMs(now = Date.now()): Promise<number> {
    const [waiting, delayed] = await Promise.all([
      this.queue.getJobs(['waiting', 'prioritized', 'paused'], 0, 0, true),
      this.queue.getJobs(['delayed'], 0, 0, true),
    ]);
    const times = [...waiting, ...delayed].filter((j) => j !== undefined).map((j) => j.timestamp);
    return times.length ? Math.max(0, now - Math.min(...times)) : 0;
  }

  /** Ids and reasons of dead deliveries, oldest first. */
  async dead(start = 0, end = 99): Promise<Array<{ deliveryId: string; reason: string; attempts: number }>> {
    const jobs = await this.queue.getFailed(start, end);
    return jobs
      .filter((j): j is Job<QueuedDelivery> => j !== undefined)
      .map((j) => ({ deliveryId: j.data.deliveryId, reason: j.failedReason, attempts: (j.data.attemptBase ?? 0) + j.attemptsMade }));
  }

  /**
   * Moves a dead delivery back to the queue with a fresh set of attempts (attempt numbers keep
   * counting). Calls `ledger.reopen` first. Throws `route-delivery-not-found` or `route-delivery-not-dead`.
   */
  async retryDead(deliveryId: string): Promise<void> {
    const job = await this.queue.getJob(jobIdFor(deliveryId));
    if (!job) {
      throw new InterlaceError('route-delivery-not-found', `delivery ${deliveryId} is not in route ${this.channel}/${this.route}`);
    }
    const state = await job.getState();
    if (state !== 'failed') {
      throw new InterlaceError('route-delivery-not-dead', `delivery ${deliveryId} is ${state}; expected a dead delivery`);
    }
    await this.opts.ledger.reopen(deliveryId);
    const { dead: _arrivedDead, ...data } = job.data;
    await job.updateData({ ...data, attemptBase: (data.attemptBase ?? 0) + job.attemptsMade });
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    this.log.info({ deliveryId }, 'dead delivery retried');
  }

  private checkDelivery(d: Omit<Delivery, 'attempt'>): void {
    if (typeof d.deliveryId !== 'string' || d.deliveryId === '') {
      throw new InterlaceError(
        'route-invalid-delivery',
        `a delivery for route ${this.channel}/${this.route} has no deliveryId; expected a non-empty string`,
      );
    }
    if (d.channel !== this.channel || d.route !== this.route) {
      throw new InterlaceError(
        'route-invalid-delivery',
        `delivery ${d.deliveryId} is for ${d.channel}/${d.route}; expected ${this.channel}/${this.route}`,
      );
    }
    if (!d.payload || typeof d.payload.body !== 'string' || typeof d.payload.contentType !== 'string') {
      throw new InterlaceError('route-invalid-delivery', `delivery ${d.deliveryId} has no payload body or content type`);
    }
  }

  /** One attempt of one delivery (the BullMQ processor). */
  private async process(job: Job<QueuedDelivery>): Promise<{ status?: string; skipped?: true }> {
    const { attemptBase, dead, ...rest } = job.data;
    // Its first attempt, made in process, was final and recorded: the job only carries it to the dead-letter set.
    if (dead !== undefined) throw new UnrecoverableError(dead);
    const attempt = (attemptBase ?? 0) + job.attemptsMade + 1;
    const outcome = await this.attempt(rest, attempt, job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
    if (outcome.failure === undefined) return outcome.result;
    if (outcome.failure.dead) throw new UnrecoverableError(outcome.failure.reason);
    throw new ScheduledRetry(outcome.failure.reason, outcome.failure.delayMs);
  }

  /**
   * One attempt, wherever it runs (a BullMQ job or the in-process first attempt): `beginAttempt`,
   * the send, and the record of what became of it. A failure is recorded as dead (permanent, or
   * `last`) or as retrying with the delay chosen here; the caller makes the queue follow.
   */
  private async attempt(
    d: Omit<Delivery, 'attempt'>,
    attempt: number,
    last: boolean,
    /** Called once the destination has answered (or failed), before the outcome is recorded. */
    answered?: () => void,
  ): Promise<{ result: { status?: string; skipped?: true }; failure?: undefined } | { failure: Failure }> {
    const deliveryId = d.deliveryId;
    if (!(await this.opts.ledger.beginAttempt(deliveryId, attempt))) {
      this.log.debug({ deliveryId, attempt }, 'delivery already final; not sent');
      return { result: { skipped: true } };
    }
    // traced: a `deliver` span under the message's `process` span (route, destination type, attempt,
    // outcome, status; no payload), and the destination gets its `traceparent`; untraced, no span is made
    const t = tracing();
    const span = t?.child(d.messageId, 'process', 'deliver', {
      'interlace.channel': this.opts.channel,
      'interlace.route': this.opts.route,
      'interlace.message_id': d.messageId,
      'interlace.delivery_id': deliveryId,
      'interlace.destination': this.opts.destinationType ?? 'unknown',
      'interlace.attempt': attempt,
    });
    const startedAt = Date.now();
    let result: DeliveryResult;
    try {
      result = await this.opts.destination.send(span ? { ...d, attempt, traceparent: t!.traceparent(span) } : { ...d, attempt });
    } catch (err) {
      answered?.();
      const status = span && err instanceof DeliveryError ? err.response?.status : undefined;
      if (status !== undefined) span?.setAttribute('interlace.status', String(status));
      try {
        const failure = await this.recordFailure(deliveryId, attempt, startedAt, err, last);
        span?.setAttribute('interlace.outcome', failure.dead ? 'dead' : 'retrying');
        if (!failure.dead) span?.setAttribute('interlace.retry_in_ms', failure.delayMs);
        return { failure };
      } finally {
        if (span) failSpan(span, errorCode(err));
      }
    }
    answered?.();
    span?.setAttribute('interlace.status', result.status);
    try {
      const outcome = await this.delivered(d, attempt, startedAt, result);
      span?.setAttribute('interlace.outcome', 'delivered');
      span?.end();
      return outcome;
    } catch (err) {
      if (span) failSpan(span, errorCode(err));
      throw err;
    }
  }

  /** Records a delivered attempt. */
  private async delivered(
    d: Omit<Delivery, 'attempt'>,
    attempt: number,
    startedAt: number,
    result: DeliveryResult,
  ): Promise<{ result: { status?: string } }> {
    const deliveryId = d.deliveryId;
    // If this record fails, the attempt is retried and the send repeated with the same idempotency key.
    await this.opts.ledger.recordAttempt(deliveryId, {
      attempt,
      state: 'delivered',
      startedAt,
      finishedAt: Date.now(),
      status: result.status,
      ...(result.body !== undefined ? { body: excerpt(result.body) } : {}),
      ...(result.answered?.length ? { answered: result.answered } : {}),
    });
    this.metrics.delivered++;
    this.metrics.latency.observe((Date.now() - uuid7Ms(d.messageId)) / 1000);
    this.log.debug({ deliveryId, attempt, status: result.status }, 'delivered');
    return { result: { status: result.status } };
  }

  /** Records a failed attempt: dead (permanent, or the last one allowed), or retrying after a delay. */
  private async recordFailure(deliveryId: string, attempt: number, startedAt: number, err: unknown, last: boolean): Promise<Failure> {
    const code = errorCode(err);
    const message = err instanceof Error ? err.message : String(err);
    const response = err instanceof DeliveryError ? err.response : undefined;
    const base: AttemptOutcome = {
      attempt,
      state: 'dead',
      startedAt,
      finishedAt: Date.now(),
      ...(response?.status !== undefined ? { status: response.status } : {}),
      ...(response?.body !== undefined ? { body: excerpt(response.body) } : {}),
      error: { code, message },
    };
    const permanent = err instanceof PermanentDeliveryError;
    if (permanent || last) {
      await this.opts.ledger.recordAttempt(deliveryId, base);
      this.metrics.dead++;
      this.log.warn({ deliveryId, attempt, code, status: base.status, exhausted: !permanent }, 'delivery dead-lettered');
      return { dead: true, reason: `${code}: ${message}` };
    }
    const hint = err instanceof RetryLaterError ? err.retryAfterMs : undefined;
    const delayMs = nextDelay(this.opts.retry, attempt, hint, this.opts.random);
    await this.opts.ledger.recordAttempt(deliveryId, { ...base, state: 'retrying', nextAttemptAt: Date.now() + delayMs });
    this.metrics.retried++;
    this.log.debug({ deliveryId, attempt, code, delayMs }, 'delivery attempt failed; retrying');
    return { dead: false, reason: `${code}: ${message}`, delayMs };
  }

  /**
   * Sends deliveries just routed from this process, without a job in Redis: the delivery is already
   * in the store (pending), so the store, not Redis, is what survives a crash (the recovery sweep
   * enqueues whatever is still pending). Up to `concurrency` sends run at once, oldest first. A
   * failed first attempt is recorded and handed to the route's queue, which makes the retries with
   * the route's backoff (or holds the dead delivery for an operator). A paused or closing route,
   * and a delivery that waited here longer than 10 s, go to the queue instead.
   */
  sendNow(deliveries: readonly NewAttempt[]): void {
    const now = Date.now();
    const toQueue: NewAttempt[] = [];
    for (const d of deliveries) {
      if (this.holding.has(d.deliveryId)) continue;
      if (this.closing || this.paused || this.heldHere) toQueue.push(d);
      else {
        this.checkDelivery(d);
        this.holding.add(d.deliveryId);
        this.memory.push({ d, at: now });
      }
    }
    if (toQueue.length > 0) this.handOff(toQueue);
    this.checkPause(now);
    this.handoffTimer ??= setInterval(() => this.handOffStale(), 1_000);
    this.handoffTimer.unref();
    this.pumpMemory();
  }

  /** True while this process holds the delivery for its first attempt (the recovery sweep leaves it alone). */
  holds(deliveryId: string): boolean {
    return this.holding.has(deliveryId);
  }

  /**
   * Whether some engine process may still hold this delivery for its first attempt: one never
   * attempted (`pending`, no attempt recorded) and routed less than the longest hold ago — 10 s
   * waiting in memory, then the destination's longest attempt, and a margin. Only a store shared by
   * several processes needs the question: the recovery sweep then leaves such a delivery to whichever
   * process routed it, since enqueueing it would send it a second time while the first attempt runs.
   * If that process died, a later sweep finds the delivery past the bound and enqueues it.
   */
  mayBeHeldElsewhere(d: { state: string; attempts: number; updatedAt: string }, now = Date.now()): boolean {
    if (d.state !== 'pending' || d.attempts > 0) return false;
    const hold = HOLD_IN_MEMORY_MS + (this.opts.destination.attemptTimeoutMs ?? UNBOUNDED_ATTEMPT_MS) + HOLD_MARGIN_MS;
    return Date.parse(d.updatedAt) > now - hold;
  }

  /** First attempts waiting in this process (not counting those being sent). */
  get backlog(): number {
    return this.memory.length - this.memoryHead;
  }

  /** Called whenever the in-process backlog shrinks (processing waits on it when it is long). */
  onRoom(listener: () => void): void {
    this.roomListeners.push(listener);
  }

  /**
   * Starts first attempts while fewer than `concurrency` sends are in flight. A send's slot is free
   * once the destination has answered: recording the outcome (and, after a failure, enqueueing the
   * retry) goes on without holding it, so the store's commit time never limits the sending rate.
   * Order is kept as the queue keeps it: sends start oldest first.
   */
  private pumpMemory(): void {
    const limit = this.opts.concurrency ?? 1;
    while (this.sendingNow < limit && this.backlog > 0) {
      const { d } = this.memory[this.memoryHead]!;
      this.memory[this.memoryHead++] = undefined as never;
      if (this.memoryHead > 1024 && this.memoryHead * 2 > this.memory.length) {
        this.memory.splice(0, this.memoryHead);
        this.memoryHead = 0;
      }
      this.sendingNow++;
      this.unsettled++;
      let slot = true;
      const freeSlot = () => {
        if (!slot) return;
        slot = false;
        this.sendingNow--;
        this.pumpMemory();
      };
      void this.firstAttempt(d, freeSlot).finally(() => {
        freeSlot();
        this.unsettled--;
        this.holding.delete(d.deliveryId);
        for (const l of this.roomListeners) l();
      });
    }
  }

  private async firstAttempt(d: NewAttempt, answered: () => void): Promise<void> {
    const { attempts, ...delivery } = d;
    const attempt = attempts + 1;
    try {
      const outcome = await this.attempt(delivery, attempt, attempt >= this.opts.retry.attempts, answered);
      if (outcome.failure === undefined) return;
      const f = outcome.failure;
      await this.enqueueJobs(
        [delivery],
        f.dead
          ? { attemptBase: attempt - 1, dead: f.reason, attempts: this.opts.retry.attempts }
          : { attemptBase: attempt, delayMs: f.delayMs },
      );
    } catch (err) {
      // The ledger or Redis failed: the delivery is still open in the store; the recovery sweep enqueues it.
      this.log.warn({ deliveryId: d.deliveryId, code: errorCode(err) }, 'first attempt not completed; the recovery sweep will retry');
    }
  }

  /** Deliveries that waited here too long go to the route's queue, so no process holds one for long. */
  private handOffStale(): void {
    const cutoff = Date.now() - HOLD_IN_MEMORY_MS;
    const stale: NewAttempt[] = [];
    while (this.backlog > 0 && this.memory[this.memoryHead]!.at < cutoff) {
      stale.push(this.memory[this.memoryHead]!.d);
      this.memory[this.memoryHead++] = undefined as never;
    }
    if (this.backlog === 0 && this.unsettled === 0 && this.handoffTimer) {
      clearInterval(this.handoffTimer);
      this.handoffTimer = undefined;
    }
    if (stale.length === 0) return;
    this.handOff(stale);
    for (const l of this.roomListeners) l();
  }

  private handOff(list: NewAttempt[]): void {
    void this.enqueueJobs(list.map(({ attempts, ...d }) => ({ ...d, attemptBase: attempts })))
      .catch((err) =>
        this.log.warn({ code: errorCode(err), deliveries: list.length }, 'route queue unavailable; the recovery sweep will retry'),
      )
      .finally(() => {
        for (const d of list) this.holding.delete(d.deliveryId);
      });
  }

  /** Empties the in-memory backlog (first attempts not started), oldest first. */
  private takeWaiting(): NewAttempt[] {
    const waiting = this.memory.slice(this.memoryHead).map((m) => m.d);
    this.memory.length = 0;
    this.memoryHead = 0;
    return waiting;
  }

  /** Whether any process paused the route, checked at most once a second. */
  private checkPause(now: number): void {
    if (now - this.pauseCheckedAt < PAUSE_CHECK_MS) return;
    this.pauseCheckedAt = now;
    this.queue.isPaused().then(
      (paused) => (this.paused = paused),
      () => undefined,
    );
  }
}

/** The stable code of an error, or `route-unexpected-error` for errors outside the taxonomy. */
function errorCode(err: unknown): string {
  return err instanceof InterlaceError ? err.code : 'route-unexpected-error';
}
