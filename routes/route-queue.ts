import { Queue, UnrecoverableError, Worker, type Job, type RedisOptions } from 'bullmq';
import type { RetryConfig } from '../lib/config-fragments.js';
import { DeliveryError, InterlaceError, PermanentDeliveryError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/log.js';
import { excerpt } from './excerpt.js';
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

/** A delivery as it waits in Redis. `attemptBase` counts attempts made before an operator's retry. */
type QueuedDelivery = Omit<Delivery, 'attempt'> & { attemptBase?: number };

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
   */
  async enqueue(deliveries: ReadonlyArray<Omit<Delivery, 'attempt'>>): Promise<void> {
    if (deliveries.length === 0) return;
    const jobs = deliveries.map((d) => {
      this.checkDelivery(d);
      const data: QueuedDelivery = {
        deliveryId: d.deliveryId,
        messageId: d.messageId,
        channel: d.channel,
        route: d.route,
        idempotencyKey: d.idempotencyKey,
        correlationId: d.correlationId,
        payload: d.payload,
      };
      return {
        name: 'delivery',
        data,
        opts: {
          jobId: jobIdFor(d.deliveryId),
          attempts: this.opts.retry.attempts,
          backoff: { type: BACKOFF_TYPE },
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
    await this.queue.pause();
    this.log.info('route paused');
  }

  async resume(): Promise<void> {
    await this.queue.resume();
    this.log.info('route resumed');
  }

  /**
   * Holds this process's worker only (its channel was stopped by an operator): sends in flight finish
   * and are recorded, nothing new is taken; the jobs stay in Redis, waiting or delayed, for `hold(false)`.
   */
  async hold(hold: boolean): Promise<void> {
    const w = this.worker;
    if (!w || w.closing) return;
    if (hold) await w.pause();
    else w.resume();
  }

  /** Graceful: takes no new jobs, lets in-flight sends finish and be recorded, then closes the destination. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.worker) await this.worker.close();
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
    await job.updateData({ ...job.data, attemptBase: (job.data.attemptBase ?? 0) + job.attemptsMade });
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
    const { attemptBase, ...rest } = job.data;
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
    const delayMs = nextDelay(this.opts.retry, job.attemptsMade + 1, hint, this.opts.random);
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
