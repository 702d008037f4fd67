import { createLogger, type Logger } from '../../lib/log.js';
import type { RouteCounts, RouteQueue } from '../../routes/route-queue.js';
import type { Tables } from '../../transforms/index.js';
import { loadConfig, type Env } from '../config/index.js';
import { openStore, type MessageStore, type Store, type StoredDelivery } from '../store/index.js';
import { createEngineX12, type EngineX12 } from '../x12/index.js';
import { ChannelRuntime } from './channel.js';
import type { ChannelConfig } from '../config/index.js';
import { LiveTables } from './tables.js';
import { createEngineServices } from './services.js';
import { RedisLeases } from '../../lib/lease.js';
import { leaseConnection } from './redis.js';
import { ReconciliationService } from '../reconcile/index.js';
import type { RunRange, RunReport } from '../reconcile/service.js';
import { startTracing, stopTracing } from '../../lib/tracing.js';
import { gauge, snapshot, watchEventLoop, type Family } from '../../lib/metrics.js';

/** What the processing thread needs to build the same channels as the listener thread. */
export type ProcessingInit = {
  configDir: string;
  env: Env;
  redisUrl: string;
  /** The store location (`sqlite:PATH` or `postgres://…`), opened by engine/store's factory. */
  store: string;
  /** Where `sqlite:` alone puts its file. */
  dataDir: string;
  logLevel: string;
  /** Niceness of the processing thread (0–19; Linux). 0 leaves it equal to the listener. */
  nice: number;
  /** Channels an operator stopped (a thread restarted after a crash keeps them stopped). */
  stopped?: string[];
};

export type Refusal = { channel: string; reason: string };

const SWEEP_EVERY_MS = 30_000;
/** A delivery untouched this long is checked against BullMQ's dead-letter set. */
const RECONCILE_AFTER_MS = 15 * 60_000;
/** Longest pause of processing while the listener is saturated. */
const MAX_HOLD_MS = 5_000;

/**
 * Everything behind the listener: processing queues, route queues and the recovery sweep. It runs on
 * its own thread (processing-thread.ts), so mapping and delivery use the second core and never delay
 * an acknowledgment. Its store comes from engine/store's `openThreadStore` (with SQLite, its writes
 * go to the listener thread's connection, the one writer).
 */
export class ProcessingHost {
  readonly channels = new Map<string, ChannelRuntime>();
  readonly refused: Refusal[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private live: LiveTables | undefined;
  private closeServices: (() => Promise<void>) | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private reconciliation: ReconciliationService | undefined;
  /** Builds a channel's runtime with this thread's tables, services and store (start, and reload). */
  private build: ((config: ChannelConfig) => ChannelRuntime) | undefined;
  private init: ProcessingInit | undefined;
  /** True when this host started its thread's tracing (engine.yaml `telemetry.traces`). */
  private tracing = false;

  private constructor(
    readonly store: Store,
    readonly log: Logger,
  ) {}

  /** @param open opens this thread's store (engine/store `openThreadStore`; `openStore` when alone). */
  static async start(
    init: ProcessingInit,
    open: (location: string) => Promise<Store> = (l) => openStore(l, { dataDir: init.dataDir }),
  ): Promise<ProcessingHost> {
    const { config } = await loadConfig(init.configDir, { env: init.env });
    const log = createLogger({ level: init.logLevel }).child({ thread: 'processing' });
    const store = await open(init.store);
    const host = new ProcessingHost(store, log);
    watchEventLoop();
    const engine = config.engine!;
    if (engine.telemetry?.traces) {
      startTracing(engine.telemetry.traces, 'processing', log);
      host.tracing = true;
    }
    const x12: EngineX12 = createEngineX12(config, store, log);
    const leases = new RedisLeases(leaseConnection(init.redisUrl), engine.redis.prefix, log);
    const services = createEngineServices({ partners: config.partners.map((p) => p.config), x12: x12.services, leases, mdns: store, log });
    host.closeServices = async () => {
      await services.close();
      await leases.close();
    };
    const live = new LiveTables(config.tables, log);
    host.live = live;
    const tables: Tables = live.tables;
    host.init = init;
    host.build = (c) =>
      new ChannelRuntime({
        config: c,
        tables,
        store,
        redis: init.redisUrl,
        prefix: engine.redis.prefix,
        log,
        services,
        tableWriter: live,
        accept: x12.partners.acceptContext(),
      });
    for (const ch of config.channels) {
      if (!ch.config.enabled) continue;
      try {
        const rt = host.build(ch.config);
        await rt.start();
        if (init.stopped?.includes(ch.name)) await rt.halt(true);
        host.channels.set(ch.name, rt);
      } catch (err) {
        host.refused.push({ channel: ch.name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    live.watch();
    // Continuous reconciliation runs here, at this thread's lower priority, never on the thread that answers senders.
    host.reconciliation = new ReconciliationService({
      store,
      config: engine.reconciliation,
      partners: config.partners.map((p) => p.config),
      tables: async () => live.tables,
      log: log.child({ component: 'reconciliation' }),
      busy: () => [...host.channels.values()].some((rt) => rt.processingBacklog > 0),
      leases,
    });
    host.reconciliation.start();
    await host.sweep(0);
    host.sweepTimer = setInterval(() => void host.sweep(SWEEP_EVERY_MS), SWEEP_EVERY_MS);
    return host;
  }

  /**
   * The listener thread is saturated (acknowledgments first): stop taking new processing jobs. A
   * hold never lasts more than `MAX_HOLD_MS` in a row, so a sustained flood still gets processed.
   */
  pressure(busy: boolean): void {
    clearTimeout(this.holdTimer);
    if (busy) {
      this.holdTimer = setTimeout(() => this.pressure(false), MAX_HOLD_MS);
      this.holdTimer.unref();
    }
    for (const rt of this.channels.values()) rt.holdProcessing(busy);
  }

  /** Committed ingests go to their channel's processing window. */
  dispatch(batch: Array<{ id: string; channel: string }>): void {
    const byChannel = new Map<string, string[]>();
    for (const m of batch) {
      const ids = byChannel.get(m.channel);
      if (ids) ids.push(m.id);
      else byChannel.set(m.channel, [m.id]);
    }
    for (const [channel, ids] of byChannel) this.channels.get(channel)?.submit(ids);
  }

  /**
   * Recovery: hands messages still `received` to their channel's processing window and enqueues
   * deliveries not final (except those this process holds for a first attempt, and on a store shared
   * by several processes those another may hold: ChannelRuntime.enqueueDeliveries). Processing is
   * idempotent and job ids are delivery ids, so it runs at start, periodically and after Redis comes
   * back (possibly empty).
   */
  async sweep(olderThanMs: number): Promise<void> {
    try {
      const running = [...this.channels.keys()];
      const messages = await this.store.pendingMessages(5000, olderThanMs, running);
      this.dispatch(messages);
      const deliveries = await this.store.pendingDeliveries(5000, olderThanMs, running);
      for (const rt of this.channels.values())
        await rt.enqueueDeliveries(
          deliveries.filter((d) => d.channel === rt.name),
          this.store.shared,
        );
      const stale = deliveries.filter((d) => Date.parse(d.updatedAt) < Date.now() - RECONCILE_AFTER_MS);
      await reconcileDead(stale, (d) => this.channels.get(d.channel)?.routes.get(d.route), this.store, this.log);
      if (messages.length || deliveries.length)
        this.log.info({ messages: messages.length, deliveries: deliveries.length }, 'recovery sweep re-enqueued pending work');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'recovery sweep failed; will try again');
    }
  }

  /** An on-demand reconciliation run, asked for by the admin API on the listener thread. */
  async reconcile(range: RunRange): Promise<RunReport> {
    if (!this.reconciliation) throw new Error('reconciliation is not running on the processing thread yet');
    return this.reconciliation.run(range);
  }

  async routeCounts(): Promise<Record<string, Record<string, RouteCounts | { error: string }>>> {
    const out: Record<string, Record<string, RouteCounts | { error: string }>> = {};
    for (const [name, rt] of this.channels) {
      out[name] = {};
      for (const [route, q] of rt.routes) out[name]![route] = await q.counts().catch(() => ({ error: 'redis unavailable' }));
    }
    return out;
  }

  /** This thread's metrics and, per route, the queue depth by state and the oldest waiting delivery's age. */
  async metrics(): Promise<Family[]> {
    const depth: Array<{ labels: Record<string, string>; value: number }> = [];
    const age: Array<{ labels: Record<string, string>; value: number }> = [];
    for (const [channel, rt] of this.channels)
      for (const [route, q] of rt.routes) {
        const [c, oldest] = await Promise.all([q.counts(), q.oldestAgeMs()]).catch(() => [undefined, undefined] as const);
        if (!c) continue;
        for (const state of ['waiting', 'active', 'delayed', 'dead'] as const)
          depth.push({ labels: { channel, route, state }, value: c[state] });
        age.push({ labels: { channel, route }, value: (oldest ?? 0) / 1000 });
      }
    return [
      ...snapshot(),
      gauge(
        'interlace_route_queue_deliveries',
        'Deliveries in a route queue by state (waiting, active, delayed = awaiting a retry, dead).',
        depth,
      ),
      gauge(
        'interlace_route_queue_oldest_age_seconds',
        'Age of the oldest delivery waiting to be sent or retried on a route (0 when none waits).',
        age,
      ),
    ];
  }

  /**
   * Hot reload of one channel (the listener validated its file): reads the configuration again,
   * compiles the channel's new version, and only then lets the old one finish what it is doing
   * (processing and deliveries in flight) and starts the new one on the same queues. A version that
   * does not compile is refused and the old one keeps running. Other channels are not touched.
   */
  async reload(channel: string): Promise<void> {
    const old = this.channels.get(channel);
    if (!old || !this.build || !this.init) throw new Error(`channel ${channel} is not running`);
    const { config } = await loadConfig(this.init.configDir, { env: this.init.env });
    const ch = config.channels.find((c) => c.name === channel);
    if (!ch) throw new Error(`channel ${channel} is no longer in the configuration`);
    const next = this.build(ch.config); // throws when it does not compile: the old version stays
    const halted = old.stopped;
    await old.stop();
    this.channels.delete(channel);
    await next.start();
    if (halted) await next.halt(true);
    this.channels.set(channel, next);
    this.log.info({ channel }, 'channel reloaded');
  }

  /** An operator stopped or started a channel (engine/runtime/channel.ts `halt`). */
  async halt(channel: string, halt: boolean): Promise<void> {
    const rt = this.channels.get(channel);
    if (!rt) throw new Error(`channel ${channel} is not running`);
    await rt.halt(halt);
  }

  async retryDead(channel: string, route: string, deliveryId: string): Promise<void> {
    const q = this.channels.get(channel)?.routes.get(route);
    if (!q) throw new Error(`route ${channel}/${route} is not running`);
    await q.retryDead(deliveryId);
  }

  /** Lets processing and deliveries in flight finish, then closes the queues and the store connection. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.reconciliation?.stop().catch(() => undefined);
    this.live?.stop();
    clearTimeout(this.holdTimer);
    await Promise.all(
      [...this.channels.values()].map((rt) =>
        rt.stop().catch((err) => this.log.error({ channel: rt.name, err: (err as Error).message }, 'channel stop failed')),
      ),
    );
    await this.closeServices?.().catch((err) => this.log.warn({ err: (err as Error).message }, 'engine services did not close cleanly'));
    await this.store.close();
    if (this.tracing) await stopTracing();
  }
}

/**
 * A delivery the store still counts as open but whose job BullMQ dead-lettered without the ledger
 * hearing of it (a job that stalled too often, a final record that failed) would stay open for
 * ever: record it dead, so its message reaches a visible terminal state (`failed`, reprocessable).
 */
export async function reconcileDead(
  deliveries: StoredDelivery[],
  queueOf: (d: StoredDelivery) => Pick<RouteQueue, 'jobState'> | undefined,
  store: Pick<MessageStore, 'recordAttempt'>,
  log: Logger,
): Promise<number> {
  let reconciled = 0;
  for (const d of deliveries) {
    const queue = queueOf(d);
    if (!queue || (await queue.jobState(d.id)) !== 'failed') continue;
    const now = Date.now();
    await store.recordAttempt(d.id, {
      attempt: Math.max(d.attempts, 1),
      state: 'dead',
      startedAt: now,
      finishedAt: now,
      error: {
        code: 'route-dead-reconciled',
        message: 'the route dead-lettered this delivery without recording it; reconciled by the recovery sweep',
      },
    });
    log.warn({ channel: d.channel, route: d.route, deliveryId: d.id }, 'dead-lettered delivery reconciled');
    reconciled++;
  }
  return reconciled;
}
