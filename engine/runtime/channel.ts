import type { RedisOptions } from 'bullmq';
import type { TableWriter } from '../../routes/destinations/table.js';
import { ConfigError, InterlaceError } from '../../lib/errors.js';
import type { AcceptContext } from '../../parsers/types.js';
import type { Logger } from '../../lib/log.js';
import type { EngineServices } from '../../lib/services.js';
import { destinations } from '../../routes/destinations/index.js';
import { toRedisOptions } from '../../routes/queue-names.js';
import { RouteQueue, type NewAttempt } from '../../routes/route-queue.js';
import { ProcessWindow } from './process-window.js';
import {
  compileBody,
  compileCondition,
  compileKeys,
  compileSteps,
  TransformConfigError,
  type Pipeline,
  type Tables,
} from '../../transforms/index.js';
import type { ChannelConfig } from '../config/index.js';
import type { MessageStore, StoredDelivery } from '../store/index.js';
import { Processor, type CompiledRoute, type ProcessOutcome } from './processor.js';
import type { RouteInfo } from '../reconcile/lineage.js';
import { channelMetrics, type ChannelCounters } from '../../lib/metrics.js';

export type ChannelRuntimeOptions = {
  config: ChannelConfig;
  tables: Tables;
  store: MessageStore;
  redis: string | RedisOptions;
  prefix: string;
  log: Logger;
  /** Groups of messages processed at once by this process. */
  processConcurrency?: number;
  /** The engine services destinations may use (X12 partners and control numbers, partner transports, leases). */
  services?: EngineServices;
  /** The live lookup tables, for `table` destinations. */
  tableWriter?: TableWriter;
  /** Partner requirements, so processing rejects what the acknowledgment rejected. */
  accept?: AcceptContext;
};

/**
 * Job locks: a job whose process died (kill -9, power loss) is taken up again once its lock expires and
 * the next stalled check runs, so recovery after a crash takes at most about 15 s. Running jobs renew
 * their lock every 5 s, however long a delivery takes.
 */
const LOCKS = { lockDurationMs: 10_000, stalledIntervalMs: 5_000 };

/** A route's first attempts waiting in memory beyond which processing waits for them. */
const ROUTE_BACKLOG_HIGH = 2_000;

/**
 * The processing half of a channel, run on the processing thread: its processing window (parse →
 * canonical → transforms → deliveries, see ProcessWindow) and one route queue per route. Its source runs on the
 * listener thread (`ChannelIntake`). Everything is compiled in the constructor, so a channel whose
 * rules do not compile is refused before anything starts.
 */
export class ChannelRuntime {
  readonly name: string;
  readonly routes = new Map<string, RouteQueue>();
  private readonly processor: Processor;
  private readonly window: ProcessWindow;
  private started = false;
  /** Stopped by an operator: no processing and no delivery here until started again. */
  private halted = false;
  private readonly log: Logger;
  private readonly redis: RedisOptions;
  private readonly metrics: ChannelCounters;

  constructor(o: ChannelRuntimeOptions) {
    const c = o.config;
    this.name = c.name;
    this.log = o.log.child({ channel: c.name });
    this.redis = toRedisOptions(o.redis);
    this.metrics = channelMetrics(c.name);
    this.processor = buildProcessor(c, o.tables, o.store, this.log, undefined, o.accept);
    for (const r of c.routes) {
      const def = destinations.find((d) => d.type === r.destination.type);
      if (!def)
        throw new ConfigError(
          'unknown-destination',
          `channel ${c.name} route ${r.name}: no destination type ${String(r.destination.type)}`,
        );
      const destination = def.create(r.destination, {
        channel: c.name,
        route: r.name,
        log: this.log.child({ route: r.name }),
        ...(o.services ? { services: o.services } : {}),
        ...(o.tableWriter ? { tables: o.tableWriter } : {}),
      });
      this.routes.set(
        r.name,
        new RouteQueue({
          connection: this.redis,
          prefix: o.prefix,
          channel: c.name,
          route: r.name,
          destination,
          destinationType: def.type,
          retry: r.retry,
          ledger: o.store,
          concurrency: r.concurrency,
          log: o.log,
          ...LOCKS,
        }),
      );
    }
    this.window = new ProcessWindow({
      run: (ids) => this.runGroup(ids),
      refill: async (limit) => (await o.store.pendingMessages(limit, 0, [c.name])).map((m) => m.id),
      concurrency: o.processConcurrency ?? 2,
      blocked: () => [...this.routes.values()].some((r) => r.backlog > ROUTE_BACKLOG_HIGH),
      log: this.log,
    });
    for (const r of this.routes.values()) r.onRoom(() => r.backlog <= ROUTE_BACKLOG_HIGH / 2 && this.window.pump());
  }

  /** Starts the route workers, then the processing worker. On failure, stops what it started. */
  async start(): Promise<void> {
    try {
      await this.startWorkers();
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  private async startWorkers(): Promise<void> {
    for (const r of this.routes.values()) await r.start();
    this.started = true;
    this.log.debug('channel processing started');
  }

  /** Messages waiting in this channel's processing window (those it dropped to the store not counted). */
  get processingBacklog(): number {
    return this.window.size;
  }

  /** Holds processing (new groups wait; those running finish); deliveries go on. */
  holdProcessing(hold: boolean): void {
    this.window.hold(hold, 'pressure');
  }

  /**
   * An operator stops (`true`) or starts the channel: processing and every route stop taking jobs,
   * those in flight finish and are recorded; queued messages and deliveries stay in Redis and the
   * store until the channel is started again. Resolves once nothing of the channel runs here.
   */
  async halt(halt: boolean): Promise<void> {
    if (halt === this.halted) return;
    this.halted = halt;
    this.window.hold(halt, 'halt');
    if (halt) await this.window.settled();
    await Promise.all([...this.routes.values()].map((r) => r.hold(halt)));
    this.log.info(halt ? 'channel processing stopped by an operator' : 'channel processing started by an operator');
  }

  get stopped(): boolean {
    return this.halted;
  }

  /** Lets processing and deliveries in flight finish, then closes the queues. */
  async stop(): Promise<void> {
    await this.window.close();
    await Promise.all([...this.routes.values()].map((r) => r.close()));
    this.log.info('channel stopped');
  }

  /** Committed messages to process (from the listener, the recovery sweep, or a reprocess). */
  submit(ids: readonly string[]): void {
    if (this.started) this.window.submit(ids);
  }

  /**
   * Recovery: enqueues open deliveries, except those this process holds for a first attempt and,
   * when `othersMayHold` (a store shared by several engine processes), those another process may
   * hold (RouteQueue.mayBeHeldElsewhere).
   */
  async enqueueDeliveries(deliveries: StoredDelivery[], othersMayHold = false): Promise<void> {
    const now = Date.now();
    for (const [route, list] of openByRoute(deliveries)) {
      const queue = this.routes.get(route);
      if (!queue) continue; // a route removed from the configuration: its deliveries wait for an operator
      const free = list.filter((d) => !queue.holds(d.id) && !(othersMayHold && queue.mayBeHeldElsewhere(d, now)));
      await queue.enqueue(free.map(toAttempt));
    }
  }

  /**
   * One group: every message processed at once (their writes share commits). Each message's
   * deliveries start as soon as it and every message before it in the group are routed: not when
   * the slowest of the group is (a group grows to 64 with the backlog), and still in the group's
   * order, which a route with `concurrency: 1` keeps.
   */
  private async runGroup(ids: string[]): Promise<void> {
    const outcomes: Array<ProcessOutcome | undefined> = new Array<ProcessOutcome | undefined>(ids.length);
    let next = 0; // the first message whose deliveries are not handed over yet
    const handOver = () => {
      for (; next < ids.length && outcomes[next] !== undefined; next++) {
        const o = outcomes[next]!;
        if (o.outcome !== 'routed') continue;
        for (const [route, list] of openByRoute(o.deliveries)) this.routes.get(route)?.sendNow(list.map(toAttempt));
      }
    };
    await Promise.all(
      ids.map(async (id, i) => {
        outcomes[i] = await this.processor.process(id);
        handOver();
      }),
    );
    countOutcomes(this.metrics, outcomes as ProcessOutcome[]);
  }
}

/** A rule of a channel that does not compile: the error and the path of the YAML value it is about. */
export type CompileProblem = { path: Array<string | number>; error: InterlaceError };

type CompiledChannel = { pipeline: Pipeline; routes: CompiledRoute[]; keys?: ReturnType<typeof compileKeys> };

/**
 * Compiles everything of a channel that `start` compiles: the channel's steps and, per route, its
 * condition, steps and body, with every expression, template and lookup in them. Every problem is
 * collected with the path of the YAML value it concerns, so `interlace validate` reports all of them
 * where they are written, and `start` (through `buildProcessor`) refuses exactly those channels.
 */
export function compileChannel(
  c: ChannelConfig,
  tables: Tables,
  http?: typeof fetch,
): { compiled?: CompiledChannel; problems: CompileProblem[] } {
  const deps = { tables, ...(http ? { fetch: http } : {}) };
  const problems: CompileProblem[] = [];
  const attempt = <T>(path: Array<string | number>, compile: () => T): T | undefined => {
    try {
      return compile();
    } catch (err) {
      if (!(err instanceof InterlaceError)) throw err;
      problems.push({ path: err instanceof TransformConfigError ? [...path, ...err.path] : path, error: err });
      return undefined;
    }
  };
  const steps = (path: Array<string | number>, list: unknown[]): Pipeline | undefined => {
    const { pipeline, problems: found } = compileSteps(list as never, deps);
    for (const error of found) problems.push({ path: [...path, ...error.path], error });
    return pipeline;
  };
  const pipeline = steps(['transforms'], c.transforms);
  const routes = c.routes.map((r, i) => ({
    name: r.name,
    when: r.when ? attempt(['routes', i, 'when'], () => compileCondition(r.when as string, deps)) : undefined,
    pipeline: r.transforms.length > 0 ? steps(['routes', i, 'transforms'], r.transforms) : undefined,
    body: attempt(r.body ? ['routes', i, 'body'] : ['routes', i], () => compileBody((r.body ?? { raw: true }) as never, deps)),
    info: routeInfo(r.destination as { type: string; partner?: unknown; set?: unknown }, r.sends),
  }));
  const keys =
    c.keys && Object.keys(c.keys).length > 0 ? attempt(['keys'], () => compileKeys(c.keys as Record<string, string>, deps)) : undefined;
  if (problems.length > 0 || !pipeline) return { problems };
  return { compiled: { pipeline, routes: routes as CompiledRoute[], ...(keys ? { keys } : {}) }, problems };
}

/**
 * Compiles a channel's parse step, rules and route bodies into a Processor. Used by the daemon and by
 * `interlace test`, so both run exactly the same code (`compileChannel`, which `interlace validate`
 * runs too); throws the first problem when a rule does not compile.
 */
export function buildProcessor(
  c: ChannelConfig,
  tables: Tables,
  store: MessageStore,
  log: Logger,
  http?: typeof fetch,
  accept?: AcceptContext,
): Processor {
  const { compiled, problems } = compileChannel(c, tables, http);
  if (!compiled) throw problems[0]!.error;
  return new Processor({
    channel: c.name,
    format: c.parse.format,
    parseOptions: { fallbackEncoding: c.parse.encoding, strict: c.parse.strict, ...(c.parse.layout ? { layout: c.parse.layout } : {}) },
    pipeline: compiled.pipeline,
    ...(compiled.keys ? { keys: compiled.keys } : {}),
    ...(c.duplicates?.key ? { duplicateKey: c.duplicates.key } : {}),
    routes: compiled.routes,
    store,
    log,
    accept,
  });
}

/** What lineage needs of a route: its destination's type, the X12 partner and set when it has them, what it sends. */
function routeInfo(d: { type: string; partner?: unknown; set?: unknown }, sends: RouteInfo['sends']): RouteInfo {
  return {
    destination: d.type,
    ...(sends ? { sends } : {}),
    ...(typeof d.partner === 'string' ? { partner: d.partner } : {}),
    ...(typeof d.set === 'string' ? { set: d.set } : {}),
  };
}

/** Deliveries not final yet (neither delivered nor dead), by route. */
function openByRoute(deliveries: readonly StoredDelivery[]): Map<string, StoredDelivery[]> {
  const byRoute = new Map<string, StoredDelivery[]>();
  for (const d of deliveries) {
    if (d.state === 'delivered' || d.state === 'dead') continue;
    const list = byRoute.get(d.route);
    if (list) list.push(d);
    else byRoute.set(d.route, [d]);
  }
  return byRoute;
}

function toAttempt(d: StoredDelivery): NewAttempt {
  return {
    deliveryId: d.id,
    messageId: d.messageId,
    channel: d.channel,
    route: d.route,
    idempotencyKey: d.idempotencyKey,
    correlationId: d.correlationId,
    payload: d.payload,
    attempts: d.attempts,
  };
}

function countOutcomes(m: ChannelCounters, outcomes: ProcessOutcome[]): void {
  for (const o of outcomes) {
    if (o.outcome === 'filtered') m.filtered++;
    else if (o.outcome === 'error') m.errored++;
    else if (o.outcome === 'duplicate') m.duplicate++;
  }
}
