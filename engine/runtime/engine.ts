import { ChannelWatch } from './channel-watch.js';
import { ControlSync } from './channel-control.js';
import { OidcLogin } from '../admin/oidc.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConfigError } from '../../lib/errors.js';
import { compileDiagnostics, tablesOf } from './check.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { AdminServer } from '../admin/server.js';
import { replayRequest } from '../admin/replay-api.js';
import {
  EXPIRY_WARNING_DAYS,
  formatDiagnostic,
  loadConfig,
  type ChannelConfig,
  type EngineConfig,
  type Env,
  type LoadedConfig,
} from '../config/index.js';
import { openStore, type Store } from '../store/index.js';
import { createEngineX12, x12Admin, type EngineX12 } from '../x12/index.js';
import { ReconciliationService, reconciliationRoutes } from '../reconcile/index.js';
import { loadTable } from '../config/tables.js';
import { runningConfig } from './running-config.js';
import type { Tables } from '../../transforms/index.js';
import { DiskWatch, secureDataDir } from './data-dir.js';
import { ChannelIntake } from './intake.js';
import { FileActivity } from './files.js';
import { createEngineServices } from './services.js';
import { RedisLeases } from '../../lib/lease.js';
import type { EngineServices } from '../../lib/services.js';
import type { ProcessingInit } from './processing.js';
import { ProcessingThread } from './processing-client.js';
import { heapFigures } from './memory.js';
import { gauge, render, snapshot, watchEventLoop, type Family } from '../../lib/metrics.js';
import { AlertMonitor } from '../alerts/monitor.js';
import { startTracing, stopTracing } from '../../lib/tracing.js';
import { RetentionService } from './retention.js';
import type { AlertFacts } from '../alerts/rules.js';
import { statfs } from 'node:fs/promises';

const ENGINE_VERSION = (
  JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url).pathname.replace(/\/dist\/package\.json$/, '/package.json'), 'utf8'),
  ) as { version: string }
).version;
import { ensureRedis, leaseConnection, pingRedis, type RedisHandle } from './redis.js';

export type EngineOptions = {
  configDir: string;
  env?: Env;
  log?: Logger;
};

/**
 * The daemon: loads and validates the configuration, finds (or starts) Redis, opens the message
 * store, starts the processing thread (processing and route queues, recovery sweep), then every
 * valid channel's source on this thread, and the admin API. This thread only receives, stores and
 * answers; the processing thread does the rest on the other core. A channel that fails to load or
 * start is refused and logged; the others run.
 */
export class Engine {
  /** Running channels by name: their sources, on this thread. */
  readonly channels = new Map<string, ChannelIntake>();
  /** A running channel's further sources (`inputs:`), in the order of its file. */
  readonly inputs = new Map<string, ChannelIntake[]>();
  readonly refused: Array<{ channel: string; reason: string }> = [];
  /** Channels an operator stopped, with who and when (until started again, at any engine process sharing the store). */
  readonly stoppedChannels = new Map<string, { by: string; at: string }>();
  /** Serialises operators' starts and stops of one channel. */
  private control: Promise<unknown> = Promise.resolve();
  private controlSync: ControlSync | undefined;
  private channelWatch: ChannelWatch | undefined;
  private admin: AdminServer | undefined;
  private adminAddr: { host: string; port: number } | undefined;
  private processing: ProcessingThread | undefined;
  private loadTimer: NodeJS.Timeout | undefined;
  private certTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private disk: DiskWatch | undefined;
  /** True when this engine started the listener thread's tracing (engine.yaml `telemetry.traces`). */
  private tracing = false;
  /** Alert rules of engine.yaml (docs/alerts.md); absent when there are none. */
  alerts: AlertMonitor | undefined;
  private retention: RetentionService | undefined;
  /** Where the configuration was read from, to read a channel's file again (hot reload). */
  private origin: { configDir: string; env: Env } | undefined;
  /** Options every channel's intake gets; a reloaded channel gets the same. */
  private intakeOptions: Omit<ConstructorParameters<typeof ChannelIntake>[0], 'config'> | undefined;
  /** Messages a source could not store since the last alert check, and why (the last one). */
  private storeFailures = { count: 0, last: '' };
  /** X12 partners and services. */
  readonly x12: EngineX12;
  /** Flat files being read in records, and their summaries. */
  readonly files: FileActivity;
  /** The services sources get (leases, partner transports, X12). */
  private services: (EngineServices & { close(): Promise<void> }) | undefined;
  private leases: RedisLeases | undefined;
  /** Reconciliation on demand (run on the processing thread) and the lineage API (docs/reconciliation.md). */
  readonly reconciliation: ReconciliationService;

  private constructor(
    readonly config: LoadedConfig & { engine: EngineConfig },
    readonly store: Store,
    readonly redis: RedisHandle,
    readonly log: Logger,
  ) {
    this.x12 = createEngineX12(config, store, log);
    this.files = new FileActivity(store, log);
    this.watchCertificates();
    this.reconciliation = new ReconciliationService({
      store,
      config: config.engine.reconciliation,
      partners: config.partners.map((p) => p.config),
      tables: () => currentTables(config.tables),
      log: log.child({ component: 'reconciliation' }),
      // on the processing thread, which holds no listener; refused while that thread is not up
      runElsewhere: async (range) => {
        if (!this.processing?.running) throw new Error('the processing thread is not running; try again once the engine has started');
        return this.processing.reconcile(range);
      },
    });
  }

  static async start(options: EngineOptions): Promise<Engine> {
    const env = options.env ?? process.env;
    const { config, diagnostics } = await loadConfig(options.configDir, { env });
    const log = options.log ?? createLogger({ level: config.engine?.logging.level });
    for (const d of diagnostics) log[d.severity === 'error' ? 'error' : 'warn']({ code: d.code }, formatDiagnostic(d));
    if (!config.engine)
      throw new ConfigError(
        'engine-config-invalid',
        `${join(options.configDir, 'engine.yaml')} is missing or invalid; the engine cannot start (run interlace validate)`,
      );
    const engineConfig = config.engine;
    const dataDir = resolve(engineConfig.engine.dataDir);
    secureDataDir(dataDir, log);
    const redis = await ensureRedis({ url: engineConfig.redis.url, supervise: engineConfig.redis.supervise, dataDir, log });
    let store: Store;
    try {
      store = await openStore(engineConfig.store.url, { sync: engineConfig.store.sync, dataDir, writerThread: true });
    } catch (err) {
      await redis.stop();
      throw err;
    }
    log.info({ store: store.location }, 'message store open');
    const engine = new Engine({ ...config, engine: engineConfig }, store, redis, log);
    watchEventLoop();
    const traces = engineConfig.telemetry?.traces;
    if (traces) {
      startTracing(traces, 'listener', log);
      engine.tracing = true;
    }
    // The SQLite store's disk is watched here; a PostgreSQL server watches its own.
    if (store.location.startsWith('sqlite:')) {
      engine.disk = new DiskWatch(dirname(store.location.slice('sqlite:'.length)), engineConfig.store.minFreeSpace, log);
      engine.disk.start();
    }
    try {
      const logLevel = (options.log?.level as string | undefined) ?? engineConfig.logging.level;
      await engine.startChannels({
        configDir: options.configDir,
        env: { ...env },
        redisUrl: redis.url,
        store: engineConfig.store.url,
        dataDir,
        logLevel,
        nice: engineConfig.engine.processingNice,
      });
      await engine.startAdmin(dataDir, env);
      engine.controlSync?.start();
      if (engineConfig.engine.watchChannels) engine.watchChannels(options.configDir);
      engine.startAlerts(dataDir);
      engine.startRetention();
    } catch (err) {
      await engine.stop();
      throw err;
    }
    return engine;
  }

  private async startChannels(init: ProcessingInit): Promise<void> {
    const c = this.config.engine;
    this.processing = await ProcessingThread.start(init, this.store, this.log);
    this.refused.push(...this.processing.refused);
    for (const r of this.processing.refused) this.log.error({ channel: r.channel, reason: r.reason }, 'channel refused');
    const processing = this.processing;
    this.store.onIngested((batch) => processing.notifyIngested(batch));
    this.watchLoad(processing);
    this.leases = new RedisLeases(leaseConnection(init.redisUrl), c.redis.prefix, this.log);
    this.services = createEngineServices({
      partners: this.config.partners.map((p) => p.config),
      ...(this.x12 ? { x12: this.x12.services } : {}),
      leases: this.leases,
      mdns: this.store,
      log: this.log,
    });
    this.origin = { configDir: init.configDir, env: init.env };
    this.intakeOptions = {
      store: this.store,
      duplicateWindowMs: c.store.duplicateWindow,
      log: this.log,
      services: this.services,
      x12: this.x12,
      files: this.files,
      onStoreFailure: (reason) => {
        this.storeFailures.count++;
        this.storeFailures.last = reason;
      },
    };
    this.controlSync = new ControlSync({
      store: this.store,
      isStopped: (name) => this.stoppedChannels.has(name),
      runs: (name) => this.channels.has(name) && processing.started.includes(name),
      apply: (name, action, by, at) => this.serialized(() => this.applyControl(name, action, by, at)),
      log: this.log,
    });
    // a channel an operator stopped stays stopped across restarts: its sources are not opened
    const stoppedBefore = await this.controlSync.stoppedAtStart().catch((err: Error) => {
      this.log.warn({ err: err.message }, 'channel stop and start requests not read at start; applying them shortly');
      return new Map<string, { by: string; at: string }>();
    });
    for (const ch of this.config.channels) {
      if (!processing.started.includes(ch.name)) continue;
      const started: ChannelIntake[] = [];
      const stopped = stoppedBefore.get(ch.name);
      try {
        for (const intake of this.buildIntakes(ch.config)) {
          if (stopped) intake.startStopped();
          else await intake.start();
          started.push(intake);
        }
        if (stopped) {
          this.stoppedChannels.set(ch.name, stopped);
          await processing.halt(ch.name, true);
          this.log.info({ channel: ch.name, by: stopped.by, at: stopped.at }, 'channel kept stopped: an operator stopped it');
        }
        this.channels.set(ch.name, started[0]!);
        if (started.length > 1) this.inputs.set(ch.name, started.slice(1));
      } catch (err) {
        // an input that cannot start refuses the whole channel, as its source would
        await Promise.all(started.map((i) => i.stop().catch(() => undefined)));
        // its processing keeps running, so what it stored before still reaches its destinations
        const reason = err instanceof Error ? err.message : String(err);
        this.refused.push({ channel: ch.name, reason });
        this.log.error({ channel: ch.name, file: ch.file, reason }, 'channel refused');
      }
    }
  }

  /**
   * A channel's intakes, not started: its source, then one per entry of `inputs` (the same channel:
   * store, duplicates, processing; its own source and format).
   */
  private buildIntakes(config: ChannelConfig): ChannelIntake[] {
    const configs = [
      config,
      ...config.inputs.map((input) => ({
        ...config,
        source: input.source,
        parse: { ...config.parse, format: input.format ?? config.parse.format },
      })),
    ];
    return configs.map((cfg, n) => new ChannelIntake({ config: cfg, ...(n > 0 ? { input: n - 1 } : {}), ...this.intakeOptions! }));
  }

  private async startAdmin(dataDir: string, env: Env): Promise<void> {
    const a = this.config.engine.admin;
    if (!a) return;
    const token = a.token || adminToken(dataDir, this.log);
    this.admin = new AdminServer(
      {
        store: this.store,
        channels: () => this.channelReport(),
        reprocess: (id) => this.reprocess(id),
        retryDelivery: (id) => this.retryDelivery(id),
        controlChannel: (name, action, by) => this.controlChannel(name, action, by),
        reloadChannel: (name, by) => this.reloadChannel(name, by),
        runningConfig: () =>
          runningConfig(this.config, (name) =>
            this.stoppedChannels.has(name) ? 'stopped' : this.channels.has(name) ? 'running' : 'not running',
          ),
        files: (channel) => this.files.list(channel),
        health: () => this.health(),
        status: () => this.status(),
        metrics: () => this.metrics(),
        replay: (body) => replayRequest({ store: this.store, running: this.config, env }, body),
        x12: x12Admin(this.store, this.x12, this.config.certificates ?? []),
        routes: reconciliationRoutes(this.store, this.reconciliation),
        alerts: () => this.alerts?.firing() ?? [],
        ...(a.oidc ? { oidc: new OidcLogin(a.oidc) } : {}),
      },
      token,
      this.log.child({ component: 'admin' }),
      a.metricsFrom,
      a,
    );
    this.adminAddr = await this.admin.listen(a.port, a.host);
    this.log.info({ address: this.adminAddr }, 'admin API listening');
  }

  private startRetention(): void {
    const s = this.config.engine.store;
    this.retention = new RetentionService({
      store: this.store,
      channels: this.config.channels.map((ch) => ({
        name: ch.name,
        retentionMs: ch.config.retention ?? s.retention,
        maxBytes: ch.config.maxContentSize ?? s.maxContentSize,
      })),
      everyMs: s.retentionEvery,
      log: this.log.child({ component: 'retention' }),
    });
    this.retention.start();
  }

  private startAlerts(dataDir: string): void {
    const a = this.config.engine.alerts;
    if (!a || a.rules.length === 0) return;
    this.alerts = new AlertMonitor(a, {
      engine: this.config.engine.engine.id,
      dataDir,
      facts: () => this.alertFacts(dataDir),
      log: this.log.child({ component: 'alerts' }),
      state: this.store,
      outboxFile: join(dataDir, 'alert-outbox.json'),
    });
    this.alerts.start();
    this.log.info({ rules: a.rules.length, everyMs: a.every }, 'alert rules armed');
  }

  /** What the alert rules look at, gathered from the store, the processing thread, the X12 ledger and the file systems. */
  private async alertFacts(dataDir: string): Promise<AlertFacts> {
    const now = Date.now();
    const rules = this.config.engine.alerts?.rules ?? [];
    const wants = (when: string) => rules.some((r) => r.when === when);
    const [counts, families, overdue, storeOk, disk] = await Promise.all([
      this.store.channelCounts(),
      wants('queue-age') || wants('dead-letters')
        ? this.processing!.request<Family[]>('metrics').catch(() => [] as Family[])
        : ([] as Family[]),
      wants('ack-overdue') && this.x12 ? x12Admin(this.store, this.x12, []).overdue() : [],
      this.store.ping(),
      this.disk?.check(),
    ]);
    const ages = families.find((f) => f.name === 'interlace_route_queue_oldest_age_seconds')?.samples ?? [];
    const depths = families.find((f) => f.name === 'interlace_route_queue_deliveries')?.samples ?? [];
    const dead = (channel: string, route: string) => {
      const s = depths.find((d) => d.labels.channel === channel && d.labels.route === route && d.labels.state === 'dead');
      return s && 'value' in s ? s.value : 0;
    };
    const perPartner = new Map<string, number>();
    for (const o of overdue) perPartner.set(o.partner, (perPartner.get(o.partner) ?? 0) + 1);
    const failures = this.storeFailures;
    this.storeFailures = { count: 0, last: '' };
    const storeProblem = !storeOk
      ? 'it does not answer'
      : disk && !disk.ok && disk.detail.startsWith('not writable')
        ? `its directory is ${disk.detail}`
        : failures.count > 0
          ? `${failures.count} messages could not be stored since the last check (${failures.last})`
          : undefined;
    const diskFree: Record<string, number | undefined> = {};
    for (const r of rules)
      if (r.when === 'disk-free') {
        const dir = r.path ?? dataDir;
        diskFree[dir] = await statfs(dir).then(
          (s) => Number(s.bavail) * Number(s.bsize),
          () => undefined,
        );
      }
    return {
      now,
      // every configured channel, so one that never received anything can be silent too
      channels: this.config.channels.map(({ name }) => {
        const c = counts[name] ?? {};
        const received = Object.entries(c)
          .filter(([k]) => k !== 'queued')
          .reduce((n, [, v]) => n + (v ?? 0), 0);
        return { name, errored: (c.error ?? 0) + (c.failed ?? 0), received };
      }),
      routes: ages.map((a) => ({
        channel: a.labels.channel!,
        route: a.labels.route!,
        oldestMs: 'value' in a ? a.value * 1000 : 0,
        dead: dead(a.labels.channel!, a.labels.route!),
      })),
      overdue: [...perPartner].map(([partner, count]) => ({ partner, count })),
      certificates: (this.config.certificates ?? []).map((c) => ({
        subject: `${c.partner ?? c.config} ${c.field} (${c.file})`,
        notAfter: c.notAfter,
      })),
      ...(storeProblem ? { storeProblem } : {}),
      diskFree,
    };
  }

  /** Where the admin API listens (port 0 in tests). */
  adminAddress(): { host: string; port: number } | undefined {
    return this.adminAddr;
  }

  private async channelReport(): Promise<Array<Record<string, unknown>>> {
    const counts = await this.store.channelCounts();
    const routeCounts = await this.processing!.request<Record<string, Record<string, unknown>>>('routeCounts').catch(
      () => ({}) as Record<string, Record<string, unknown>>,
    );
    const out: Array<Record<string, unknown>> = [];
    for (const ch of this.config.channels) {
      const rt = this.channels.get(ch.name);
      const c = counts[ch.name];
      const routes = routeCounts[ch.name] ?? {};
      out.push({
        name: ch.name,
        file: relative(this.config.dir, ch.file).split(sep).join('/'),
        state: this.stoppedChannels.has(ch.name) ? 'stopped' : rt ? 'running' : ch.config.enabled ? 'refused' : 'disabled',
        ...(rt ? {} : { reason: this.refused.find((r) => r.channel === ch.name)?.reason }),
        ...(this.stoppedChannels.has(ch.name) ? { stopped: this.stoppedChannels.get(ch.name) } : {}),
        source: { type: ch.config.source.type, address: rt?.address(), ...(rt?.singleton ? { role: rt.role } : {}) },
        ...(ch.config.inputs.length > 0
          ? {
              inputs: ch.config.inputs.map((input, i) => ({
                type: input.source.type,
                format: input.format ?? ch.config.parse.format,
                address: this.inputs.get(ch.name)?.[i]?.address(),
              })),
            }
          : {}),
        counts: {
          received: c
            ? Object.entries(c)
                .filter(([k]) => k !== 'queued')
                .reduce((n, [, v]) => n + v, 0)
            : 0,
          filtered: c?.filtered ?? 0,
          queued: c?.queued ?? 0,
          delivered: c?.delivered ?? 0,
          errored: (c?.error ?? 0) + (c?.failed ?? 0),
          rejected: c?.rejected ?? 0,
          duplicate: c?.duplicate ?? 0,
        },
        routes,
      });
    }
    return out;
  }

  /**
   * An operator stops or starts a channel (`POST /api/channels/:name/stop|start`). Stop: the source
   * (and each of its `inputs`) stops accepting (a listener closes its port; what it had received is stored and answered), then
   * processing and deliveries finish what is in flight and take nothing new. Messages and deliveries
   * still queued stay in the store and in Redis; start opens the source again and resumes them. The
   * stop lasts until start or until the engine restarts (`enabled: false` keeps a channel off for good).
   */
  controlChannel(name: string, action: 'start' | 'stop', by: string): Promise<{ status: number; state: string; detail: string }> {
    return this.serialized(async () => {
      const intake = this.channels.get(name);
      if (!intake || !this.processing?.started.includes(name)) {
        const known = this.config.channels.some((c) => c.name === name);
        return known
          ? {
              status: 409,
              state: 'refused',
              detail: `channel ${name} is not running (refused or disabled); fix its file and restart the engine`,
            }
          : { status: 404, state: 'unknown', detail: `no channel ${name}` };
      }
      const stopped = this.stoppedChannels.has(name);
      if (action === 'stop' && stopped) return { status: 200, state: 'stopped', detail: `channel ${name} was stopped already` };
      if (action === 'start' && !stopped) return { status: 200, state: 'running', detail: `channel ${name} was running already` };
      // every engine process sharing the store applies it (channel-control.ts), this one at once
      const at = new Date().toISOString();
      await this.store.setChannelControl({ channel: name, state: action === 'stop' ? 'stopped' : 'running', by, at });
      await this.applyControl(name, action, by, at);
      return action === 'stop'
        ? { status: 200, state: 'stopped', detail: `channel ${name} stopped; its queued messages wait for start` }
        : { status: 200, state: 'running', detail: `channel ${name} started` };
    });
  }

  private watchChannels(configDir: string): void {
    this.channelWatch = new ChannelWatch({
      configDir,
      channelOf: (file) => this.config.channels.find((c) => basename(c.file) === file && this.channels.has(c.name))?.name,
      reload: (name, by) => this.reloadChannel(name, by),
      store: this.store,
      log: this.log,
    });
    this.channelWatch.start();
  }

  /** Runs an operator's request after those before it (stop, start, reload of a channel never overlap). */
  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const next = this.control.then(step);
    this.control = next.catch(() => undefined);
    return next;
  }

  /** Stops or starts a channel in this process (the caller has checked that it runs here). */
  private async applyControl(name: string, action: 'start' | 'stop', by: string, at: string): Promise<void> {
    const intakes = [this.channels.get(name)!, ...(this.inputs.get(name) ?? [])];
    if (action === 'stop') {
      if (this.stoppedChannels.has(name)) return;
      this.stoppedChannels.set(name, { by, at });
      await Promise.all(intakes.map((i) => i.stop()));
      await this.processing!.halt(name, true);
      this.log.info({ channel: name, by }, 'channel stopped by an operator');
      return;
    }
    if (!this.stoppedChannels.has(name)) return;
    await this.processing!.halt(name, false);
    for (const i of intakes) await i.restart();
    this.stoppedChannels.delete(name);
    this.log.info({ channel: name, by }, 'channel started by an operator');
  }

  /**
   * Hot reload of one channel (`POST /api/channels/:name/reload`): its file is read and validated
   * again as `interlace validate` does (schema, cross-file checks, every expression compiled); any
   * error in it refuses the reload and the running version stays. Otherwise the channel is drained
   * and swapped alone: its source stops (what it received is stored and answered), the processing
   * thread compiles the new version and lets the old one finish what it is doing, then the new
   * version starts on the same queues and a new source opens. Other channels are not touched. A
   * channel an operator stopped stays stopped. Adding or removing a channel needs a restart.
   */
  reloadChannel(name: string, by: string): Promise<{ status: number; detail: string; diagnostics?: string[] }> {
    const next = this.control.then(async () => {
      const old = this.channels.get(name);
      const entry = this.config.channels.find((c) => c.name === name);
      if (!entry) return { status: 404, detail: `no channel ${name}` };
      if (!old || !this.processing?.started.includes(name) || !this.origin || !this.intakeOptions)
        return { status: 409, detail: `channel ${name} is not running (refused or disabled); restart the engine to start it` };
      const { config, diagnostics } = await loadConfig(this.origin.configDir, { env: this.origin.env });
      const fresh = config.channels.find((c) => c.name === name && c.file === entry.file);
      const problems = diagnostics.filter((d) => d.severity !== 'warning' && d.file === entry.file);
      if (fresh) problems.push(...compileDiagnostics(fresh, tablesOf(config), this.origin.env));
      if (problems.length > 0)
        return {
          status: 400,
          detail: `${entry.file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}; the running version of channel ${name} stays`,
          diagnostics: problems.map((d) => formatDiagnostic(d)),
        };
      if (!fresh)
        return { status: 409, detail: `${entry.file} no longer declares channel ${name}; renaming or removing a channel needs a restart` };
      if (!fresh.config.enabled)
        return { status: 409, detail: `${entry.file} disables channel ${name}; disabling a channel needs a restart` };
      if (JSON.stringify(fresh.config) === JSON.stringify(entry.config)) return { status: 200, detail: `channel ${name} is unchanged` };
      const stopped = this.stoppedChannels.has(name);
      const olds = [old, ...(this.inputs.get(name) ?? [])];
      await Promise.all(olds.map((i) => i.stop()));
      try {
        await this.processing.reload(name);
      } catch (err) {
        if (!stopped) for (const i of olds) await i.restart();
        return { status: 409, detail: `channel ${name} was not reloaded (${(err as Error).message}); the running version stays` };
      }
      const intakes = this.buildIntakes(fresh.config);
      const started: ChannelIntake[] = [];
      try {
        for (const i of intakes) {
          if (stopped)
            await i.stop(); // stays stopped: start opens it
          else await i.start();
          started.push(i);
        }
      } catch (err) {
        // its processing runs the new version; its sources are off until the file is fixed and reloaded
        await Promise.all(started.map((i) => i.stop().catch(() => undefined)));
        this.channels.delete(name);
        this.inputs.delete(name);
        this.refused.push({ channel: name, reason: (err as Error).message });
        return { status: 409, detail: `the new source of channel ${name} did not start: ${(err as Error).message}` };
      }
      this.channels.set(name, intakes[0]!);
      if (intakes.length > 1) this.inputs.set(name, intakes.slice(1));
      else this.inputs.delete(name);
      entry.config = fresh.config;
      entry.source = fresh.source;
      this.log.info({ channel: name, by }, 'channel reloaded');
      return { status: 200, detail: `channel ${name} reloaded from ${entry.file}` };
    });
    this.control = next.catch(() => undefined);
    return next;
  }

  /**
   * Reprocessing: a message whose delivery was dead-lettered has that delivery retried; any other
   * processed message runs again through the current configuration (delivered routes are not resent).
   */
  async reprocess(id: string): Promise<{ ok: boolean; detail: string }> {
    const m = await this.store.getMessage(id);
    if (!m) return { ok: false, detail: `no message ${id}` };
    if (m.contentPurgedAt) return { ok: false, detail: `retention purged the content of message ${id} on ${m.contentPurgedAt}` };
    if (m.status === 'failed') {
      const dead = m.deliveries.filter((d) => d.state === 'dead');
      for (const d of dead) {
        // when Redis lost the dead job, reopening is enough: the recovery sweep enqueues it again
        await this.processing!.request('retryDead', d.channel, d.route, d.id).catch(() => this.store.reopen(d.id));
      }
      return { ok: true, detail: `retrying ${dead.length} dead-lettered deliveries` };
    }
    if (m.status === 'routed')
      return { ok: false, detail: 'deliveries are still in progress; wait for them to be delivered or dead-lettered' };
    if (!this.processing?.started.includes(m.channel)) return { ok: false, detail: `channel ${m.channel} is not running` };
    const ok = await this.store.resetForReprocess(id);
    return ok ? { ok, detail: 'queued for processing' } : { ok, detail: `a message in status ${m.status} cannot be reprocessed` };
  }

  /** An operator retries one dead-lettered delivery (the console's detail page). */
  async retryDelivery(id: string): Promise<{ ok: boolean; detail: string }> {
    const d = await this.store.getDelivery(id);
    if (d?.state !== 'dead') return { ok: false, detail: `delivery ${id} is not dead-lettered` };
    if (d.payload === null) return { ok: false, detail: `retention purged the payload of delivery ${id}` };
    // when Redis lost the dead job, reopening is enough: the recovery sweep enqueues it again
    await this.processing!.request('retryDead', d.channel, d.route, d.id).catch(() => this.store.reopen(d.id));
    return { ok: true, detail: `retrying delivery ${id} on route ${d.route}` };
  }

  /**
   * Acknowledgments first: when this thread's event loop is more than `LISTENER_BUSY` busy over a
   * quarter second, processing stops taking new jobs until it is not (processing.ts bounds each hold).
   */
  private watchLoad(processing: ProcessingThread): void {
    let last = performance.eventLoopUtilization();
    let busy = false;
    this.loadTimer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      const elu = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      if (elu > LISTENER_BUSY !== busy) {
        busy = !busy;
        processing.pressure(busy);
      }
    }, 250);
    this.loadTimer.unref();
  }

  /** Version, uptime and memory of both threads (no PHI): `GET /api/engine`. */
  private async status(): Promise<Record<string, unknown>> {
    const processing = await this.processing?.request('memory').catch(() => undefined);
    return {
      id: this.config.engine.engine.id,
      version: ENGINE_VERSION,
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime()),
      memory: { rssMb: Math.round(process.memoryUsage().rss / 1e5) / 10, listener: heapFigures(), processing },
      channels: {
        running: this.channels.size - this.stoppedChannels.size,
        stopped: this.stoppedChannels.size,
        refused: this.refused.length,
      },
      store: this.store.location,
      // one-process sources (pollers): `active` here, or `standby` while another process runs them
      singletons: Object.fromEntries([...this.channels.values()].filter((c) => c.singleton).map((c) => [c.name, c.role])),
    };
  }

  /** `GET /metrics`: both threads' figures, health and state gauges, and the X12 overdue acknowledgments (docs/metrics.md). */
  private async metrics(): Promise<string> {
    const [processing, writer, redisOk, storeOk, disk, overdue] = await Promise.all([
      this.processing?.request<Family[]>('metrics').catch(() => [] as Family[]) ?? [],
      this.store.threadMetrics?.() ?? [],
      pingRedis(this.redis.url, 1000),
      this.store.ping(),
      this.disk?.check(),
      this.x12 ? x12Admin(this.store, this.x12, this.config.certificates ?? []).metrics() : '',
    ]);
    const up = (v: boolean) => (v ? 1 : 0);
    const state: Family[] = [
      gauge('interlace_build_info', 'Version of the running engine (always 1).', [
        { labels: { version: ENGINE_VERSION, engine: this.config.engine.engine.id }, value: 1 },
      ]),
      gauge('interlace_redis_up', 'Whether Redis answered a PING within 1 s.', [{ labels: {}, value: up(redisOk) }]),
      gauge('interlace_store_up', 'Whether the message store answered.', [{ labels: {}, value: up(storeOk) }]),
      gauge('interlace_processing_up', 'Whether the processing thread is running.', [
        { labels: {}, value: up(this.processing?.running ?? false) },
      ]),
      gauge(
        'interlace_channel_up',
        'Whether a channel runs (1) or is stopped by an operator, refused or disabled (0).',
        this.config.channels.map((ch) => ({
          labels: { channel: ch.name },
          value: up(this.channels.has(ch.name) && !this.stoppedChannels.has(ch.name)),
        })),
      ),
      ...(disk?.freeBytes !== undefined
        ? [
            gauge('interlace_store_disk_free_bytes', 'Free space on the file system of the SQLite store.', [
              { labels: {}, value: disk.freeBytes },
            ]),
          ]
        : []),
    ];
    return render(state, snapshot(), processing, writer) + overdue;
  }

  private async health(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const [redisOk, storeOk] = await Promise.all([pingRedis(this.redis.url, 1000), this.store.ping()]);
    const processingOk = this.processing?.running ?? false;
    const disk = (await this.disk?.check()) ?? { ok: true, detail: 'ok' };
    const checks: Record<string, string> = {
      redis: redisOk ? 'ok' : 'unreachable',
      store: !storeOk ? 'unreachable' : disk.ok ? 'ok' : disk.detail,
      processing: processingOk ? 'ok' : 'restarting',
      channels: `${this.channels.size - this.stoppedChannels.size} running, ${this.stoppedChannels.size} stopped, ${this.refused.length} refused`,
      certificates: this.certificateCheck(),
    };
    return { ok: redisOk && storeOk && processingOk && disk.ok, checks };
  }

  /**
   * `ok`, or which referenced certificates expire within 30 days (or have expired since start): a
   * warning in /healthz that does not make the engine unhealthy; the log says it at start and daily.
   */
  private certificateCheck(now = Date.now()): string {
    const soon = (this.config.certificates ?? [])
      .map((c) => ({ c, days: Math.floor((Date.parse(c.notAfter) - now) / 86_400_000) }))
      .filter((x) => x.days < EXPIRY_WARNING_DAYS);
    if (soon.length === 0) return 'ok';
    return soon.map(({ c, days }) => `${c.partner ?? c.config} ${c.field} ${days < 0 ? 'expired' : `expires in ${days} days`}`).join('; ');
  }

  /** Logs, once a day, every referenced certificate that expires within 30 days (lifecycle: an operator must renew it). */
  private watchCertificates(): void {
    const warn = () => {
      const now = Date.now();
      for (const c of this.config.certificates ?? []) {
        const daysLeft = Math.floor((Date.parse(c.notAfter) - now) / 86_400_000);
        if (daysLeft < EXPIRY_WARNING_DAYS)
          this.log.warn(
            { partner: c.partner, config: c.config, field: c.field, file: c.file, notAfter: c.notAfter, daysLeft },
            'certificate expires soon',
          );
      }
    };
    this.certTimer = setInterval(warn, 86_400_000);
    this.certTimer.unref();
  }

  /** Graceful stop: sources first (no new input), then processing and deliveries in flight, then the store. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.loadTimer);
      clearInterval(this.certTimer);
      this.disk?.stop();
      await this.alerts?.stop();
      await this.retention?.stop();
      await this.controlSync?.stop();
      this.channelWatch?.stop();
      const intakes = [...this.channels.values(), ...[...this.inputs.values()].flat()];
      await Promise.all(
        intakes.map((r) => r.stop().catch((err) => this.log.error({ channel: r.name, err: (err as Error).message }, 'source stop failed'))),
      );
      await this.reconciliation.stop().catch(() => undefined);
      await this.processing?.stop(this.config.engine.engine.shutdownTimeout);
      await this.services?.close().catch(() => undefined);
      await this.leases?.close().catch(() => undefined);
      await this.admin?.close();
      await this.store.close();
      await this.redis.stop();
      if (this.tracing) await stopTracing();
      this.log.info('engine stopped');
    })();
    return this.stopping;
  }
}

/**
 * The listener's event-loop utilization above which processing holds (ADR 0004). When the listener
 * ran the SQLite commits, its loop counted as busy while each waited for its fsync: under a steady
 * load it ran at 75–85 % with CPU to spare, and a hold from 70 % starved processing while the backlog
 * grew (docs/benchmarks.md). With the writer thread (ADR 0028) the loop is the listener's own work,
 * and it seldom reaches this.
 */
const LISTENER_BUSY = 0.9;

/** The admin token when none is configured: generated once, kept in the data directory with mode 0600. */
function adminToken(dataDir: string, log: Logger): string {
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  log.info({ file }, 'no admin token configured; generated one (read it from this file)');
  return token;
}

/** The lookup tables as their files say now (a channel may have written them); the loaded copy when a file cannot be read. */
async function currentTables(loaded: LoadedConfig['tables']): Promise<Tables> {
  const out: Tables = {};
  for (const t of loaded) {
    const fresh = await loadTable(t.file).catch(() => undefined);
    const table = fresh?.table ?? t;
    out[t.name] = { columns: table.columns, rows: table.rows };
  }
  return out;
}
