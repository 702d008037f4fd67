import { Queue, UnrecoverableError, Worker, type Job, type RedisOptions } from 'bullmq';
import type { RetryConfig } from '../lib/config-fragments.js';
import { DeliveryError, InterlaceError, PermanentDeliveryError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/log.js';
import { excerpt } from './excerpt.js';
import { routeMetrics, uuid7Ms, type RouteCounters } from '../lib/metrics.js';
import { jobIdFor, routeQueueKey, toRedisOptions } from './queue-names.js';
import { FirstAttempts, type Handoff } from './first-attempts.js';
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
 * A delivery as it waits in Redis. `attemptBase` counts attempts made before (a first attempt made
 * in memory, or before an operator's retry); `delayBase` the attempts the backoff continues from;
 * `dead` marks a delivery whose first attempt failed for good (recorded): its job only goes to the
 * dead-letter set.
 */
type QueuedDelivery = Omit<Delivery, 'attempt'> & { attemptBase?: number; delayBase?: number; dead?: string };

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
  private readonly first: FirstAttempts;
  private paused = { value: false, checkedAt: 0 };

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
    this.first = new FirstAttempts({
      destination: opts.destination,
      ledger: opts.ledger,
      retry: opts.retry,
      concurrency: opts.concurrency ?? 1,
      log: this.log,
      metrics: this.metrics,
      ...(opts.random ? { random: opts.random } : {}),
      handoff: (items) => this.handoff(items),
      errorCode,
    });
  }

  /**
   * Delivers deliveries just routed (already in the store): their first attempt is made in this
   * process without a job (routes/first-attempts.ts); what fails, what does not fit and everything
   * while the route is paused goes to the queue. Resolves once each is taken or queued, not sent.
   */
  async deliver(deliveries: ReadonlyArray<Omit<Delivery, 'attempt'>>): Promise<void> {
    if (deliveries.length === 0) return;
    for (const d of deliveries) this.checkDelivery(d);
    if (this.closing || (await this.isPaused())) return this.enqueue(deliveries);
    const rest = this.first.take(deliveries);
    if (rest.length > 0) await this.enqueue(rest);
  }

  /** Whether the route is paused (on any process), asked of Redis at most once a second. */
  private async isPaused(): Promise<boolean> {
    if (Date.now() - this.paused.checkedAt > 1000) this.paused = { value: await this.queue.isPaused(), checkedAt: Date.now() };
    return this.paused.value;
  }

  /** Queues what a first attempt left: a retry after its delay, a dead letter, or a delivery not attempted. */
  private async handoff(items: Handoff[]): Promise<void> {
    await this.queue.addBulk(
      items.map(({ delivery: d, made, delayMs, dead }) => ({
        name: 'delivery',
        data: {
          ...this.queued(d),
          // a dead job's own failure counts as one attempt in BullMQ: it is the first attempt already made
          ...(made > 0 ? { attemptBase: dead !== undefined ? made - 1 : made, delayBase: made } : {}),
          ...(dead !== undefined ? { dead } : {}),
        },
        opts: {
          ...this.jobOptions(d.deliveryId),
          attempts: dead !== undefined ? 1 : Math.max(1, this.opts.retry.attempts - made),
          ...(delayMs > 0 ? { delay: delayMs } : {}),
        },
      })),
    );
  }

  private queued(d: Omit<Delivery, 'attempt'>): QueuedDelivery {
    return {
      deliveryId: d.deliveryId,
      messageId: d.messageId,
      channel: d.channel,
      route: d.route,
      idempotencyKey: d.idempotencyKey,
      correlationId: d.correlationId,
      payload: d.payload,
    };
  }

  private jobOptions(deliveryId: string) {
    return {
      jobId: jobIdFor(deliveryId),
      attempts: this.opts.retry.attempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { count: this.opts.keepCompleted ?? 1000 },
      removeOnFail: false,
    };
  }

  /**
   * Adds deliveries in one round trip. The job id is the delivery id, so adding a delivery that is
   * already queued, retrying or dead does nothing: a re-enqueue after a crash never makes two jobs.
   */
  async enqueue(deliveries: ReadonlyArray<Omit<Delivery, 'attempt'>>): Promise<void> {
    // one this process is sending in memory is not queued a second time (the recovery sweep)
    const jobs = deliveries
      .filter((d) => !this.first.holds(d.deliveryId))
      .map((d) => {
        this.checkDelivery(d);
        return { name: 'delivery', data: this.queued(d), opts: this.jobOptions(d.deliveryId) };
      });
    if (jobs.length === 0) return;
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
    await this.queue.pause();
    this.paused = { value: true, checkedAt: Date.now() };
    this.log.info('route paused');
  }

  async resume(): Promise<void> {
    await this.queue.resume();
    this.paused = { value: false, checkedAt: Date.now() };
    this.log.info('route resumed');
  }

  /** Graceful: takes no new jobs, lets in-flight sends finish and be recorded, then closes the destination. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // the worker stops fetching first, so the deliveries the first attempts hand over now wait for the next process
      const worker = this.worker?.close();
      await this.first.close();
      await worker;
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
    const mine = this.first.counts;
    return {
      waiting: (c.waiting ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0) + mine.waiting,
      active: (c.active ?? 0) + mine.active,
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
    const { dead: _dead, delayBase: _delayBase, ...data } = job.data;
    await job.updateData({ ...data, attemptBase: (job.data.attemptBase ?? 0) + job.attemptsMade });
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
    const { attemptBase, delayBase: _delayBase, dead, ...rest } = job.data;
    // a first attempt made in memory failed for good (and recorded it): only the dead-letter set is left
    if (dead !== undefined) throw new UnrecoverableError(dead);
    const attempt = (attemptBase ?? 0) + job.attemptsMade + 1;
    const deliveryId = rest.deliveryId;
    if (!(await this.opts.ledger.beginAttempt(deliveryId, attempt))) {
      this.log.debug({ deliveryId, attempt }, 'delivery already final; not sent');
      return { skipped: true };
    }
    const startedAt = Date.now();
    let result: DeliveryResult;
    try {
      result = await this.opts.destination.send({ ...rest, attempt });
    } catch (err) {
      return this.fail(job, attempt, startedAt, err);
    }
    // If this record fails, the job is retried and the send repeated with the same idempotency key.
    await this.opts.ledger.recordAttempt(deliveryId, {
      attempt,
      state: 'delivered',
      startedAt,
      finishedAt: Date.now(),
      status: result.status,
      ...(result.body !== undefined ? { body: excerpt(result.body) } : {}),
    });
    this.metrics.delivered++;
    this.metrics.latency.observe((Date.now() - uuid7Ms(rest.messageId)) / 1000);
    this.log.debug({ deliveryId, attempt, status: result.status }, 'delivered');
    return { status: result.status };
  }

  /** Records a failed attempt and throws what tells BullMQ to retry (with our delay) or to dead-letter. */
  private async fail(job: Job<QueuedDelivery>, attempt: number, startedAt: number, err: unknown): Promise<never> {
    const deliveryId = job.data.deliveryId;
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
    const exhausted = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (permanent || exhausted) {
      await this.opts.ledger.recordAttempt(deliveryId, base);
      this.metrics.dead++;
      this.log.warn({ deliveryId, attempt, code, status: base.status, exhausted: !permanent }, 'delivery dead-lettered');
      throw new UnrecoverableError(`${code}: ${message}`);
    }
    const hint = err instanceof RetryLaterError ? err.retryAfterMs : undefined;
    const delayMs = nextDelay(this.opts.retry, (job.data.delayBase ?? 0) + job.attemptsMade + 1, hint, this.opts.random);
    await this.opts.ledger.recordAttempt(deliveryId, { ...base, state: 'retrying', nextAttemptAt: Date.now() + delayMs });
    this.metrics.retried++;
    this.log.debug({ deliveryId, attempt, code, delayMs }, 'delivery attempt failed; retrying');
    throw new ScheduledRetry(`${code}: ${message}`, delayMs);
  }
}

/** The stable code of an error, or `route-unexpected-error` for errors outside the taxonomy. */
function errorCode(err: unknown): string {
  return err instanceof InterlaceError ? err.code : 'route-unexpected-error';
}
