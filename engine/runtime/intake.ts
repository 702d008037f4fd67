import { sources } from '../../channels/index.js';
import type { FileProgress, IngestInput, IngestResult, Source, SourceContext, SourceDefinition } from '../../channels/types.js';
import type { Lease } from '../../lib/lease.js';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { EngineServices } from '../../lib/services.js';
import type { ChannelConfig } from '../config/index.js';
import type { MessageStore } from '../store/index.js';
import type { EngineX12 } from '../x12/index.js';
import type { FileActivity } from './files.js';
import { parserFor } from '../../parsers/index.js';
import { ackLatencyOf, channelMetrics } from '../../lib/metrics.js';
import { performance } from 'node:perf_hooks';
import { tracing, type MessageTracing } from '../../lib/tracing.js';

export type ChannelIntakeOptions = {
  config: ChannelConfig;
  store: MessageStore;
  duplicateWindowMs: number;
  log: Logger;
  /** X12 inbound handling (997/999/TA1, correlation), given to the source when the channel parses X12. */
  x12?: EngineX12;
  /** Progress and summaries of flat files read in records. */
  files?: FileActivity;
  /** The engine services every source may use (leases, partner transports). */
  services?: EngineServices;
  /** Told when a unit could not be stored (the alert rule store-unwritable counts them). */
  onStoreFailure?: (reason: string) => void;
  /** For a channel's further source (`inputs[n]`): n, so its lease is its own. */
  input?: number;
  /** The source registry; tests pass their own. */
  registry?: readonly SourceDefinition[];
};

/** A one-process source's lease lives this long without renewal: how long a dead holder blocks the others. */
const LEASE_TTL_MS = 10_000;
/** How often a standby process tries to take the lease. */
const LEASE_RETRY_MS = 2_000;

/** True when a channel receives X12: its parse format says so, or its source's config does (e.g. `split: x12-interchange`). */
export function parsesX12(c: ChannelConfig, def: Pick<SourceDefinition, 'carriesX12'> | undefined): boolean {
  return c.parse.format === 'x12' || def?.carriesX12?.(c.source) === true;
}

/**
 * The receiving half of a channel, on the listener thread: its source, which stores each unit (group
 * commit) and answers the sender. Nothing else runs on this thread, so acknowledgments never wait
 * behind mapping or delivery work.
 */
export class ChannelIntake {
  readonly name: string;
  private source: Source;
  private readonly def: SourceDefinition;
  private readonly log: Logger;
  /** One-process sources: the lease this process holds, and the loop that tries to take it. */
  private lease: Lease | undefined;
  private standbyTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running = false;
  /** Serialises starting and stopping the source (a lease lost while it was starting…). */
  private transition: Promise<void> = Promise.resolve();
  private readonly metrics;
  private readonly ackLatency;
  /** Units stored and not yet answered: when their ingest started. */
  private readonly awaitingAnswer = new Map<string, number>();

  constructor(private readonly o: ChannelIntakeOptions) {
    const c = o.config;
    this.name = c.name;
    this.log = o.log.child({ channel: c.name });
    const def = (o.registry ?? sources).find((s) => s.type === c.source.type);
    if (!def) throw new ConfigError('unknown-source', `channel ${c.name}: no source type ${String(c.source.type)}`);
    this.def = def;
    this.metrics = channelMetrics(c.name);
    this.ackLatency = ackLatencyOf(c.name);
    this.source = this.create();
  }

  private create(): Source {
    return this.def.create(this.o.config.source, this.context(parsesX12(this.o.config, this.def)));
  }

  /** `one-process` sources run only while this process holds their lease (when the engine has leases). */
  get singleton(): boolean {
    return this.def.runsOn === 'one-process' && this.o.services?.leases !== undefined;
  }

  /** `active`: the source runs here; `standby`: another process holds its lease, this one waits to take over. */
  get role(): 'active' | 'standby' {
    return !this.singleton || this.lease?.held() ? 'active' : 'standby';
  }

  private context(x12: boolean): SourceContext {
    const c = this.o.config;
    const window = c.duplicates?.enabled === false ? 0 : (c.duplicates?.window ?? this.o.duplicateWindowMs);
    const httpAnswer = c.parse.format === 'auto' ? undefined : parserFor(c.parse.format)?.httpAnswer;
    return {
      ...(httpAnswer ? { httpAnswer } : {}),
      channel: this.name,
      log: this.log.child({ source: c.source.type }),
      ingest: (input) => this.ingest(x12 ? this.addressed(input) : input, window),
      ...(this.o.files ? { fileProgress: (p: FileProgress) => this.o.files!.report(this.name, p) } : {}),
      recordAnswer: (messageId, answer) => {
        this.answered(messageId, answer.code);
        void this.o.store
          .recordAnswer(messageId, { kind: answer.kind, code: answer.code, detail: answer.detail })
          .catch((err) => this.log.warn({ messageId, err: (err as Error).message }, 'answer not recorded'));
      },
      ...(this.o.services ? { services: this.o.services } : {}),
      ...(this.o.files ? { fileProgress: (p: FileProgress) => this.o.files!.report(this.name, p) } : {}),
      ...((c.parse.format === 'csv' || c.parse.format === 'fixed') && c.parse.layout
        ? { flat: { format: c.parse.format, layout: c.parse.layout, encoding: c.parse.encoding ?? 'utf-8' } }
        : {}),
      ...(x12 && this.o.x12 && this.o.services ? { interchanges: this.o.x12.inbound.service(this.name, this.o.services.partners) } : {}),
    };
  }

  /** Stores a unit, counting it; the time until its answer is recorded is the ACK latency. */
  private async ingest(input: IngestInput, window: number): Promise<IngestResult> {
    const started = performance.now();
    let result: IngestResult;
    try {
      result = await this.o.store.ingest(this.name, input, window);
    } catch (err) {
      this.o.onStoreFailure?.((err as { code?: string }).code ?? 'store-write-failed');
      throw err;
    }
    const t = tracing();
    if (t) this.traceReceive(t, input, result, started);
    const m = this.metrics;
    m.received++;
    if (input.rejected) m.rejected++;
    if (result.duplicate) m.duplicate++;
    // bounded: a source that never answers (a poller) must not grow it
    if (this.awaitingAnswer.size >= 4096) this.awaitingAnswer.clear();
    this.awaitingAnswer.set(result.messageId, started);
    return result;
  }

  private answered(messageId: string, code?: string): void {
    const started = this.awaitingAnswer.get(messageId);
    if (started === undefined) return;
    this.awaitingAnswer.delete(messageId);
    this.ackLatency.since(started);
    const t = tracing();
    if (t) t.child(messageId, 'receive', 'ack', { 'interlace.ack.code': code ?? '' }, started).end();
  }

  /** The message's root span: the ingest, from its start to its commit (ids and codes only, no content). */
  private traceReceive(t: MessageTracing, input: IngestInput, result: IngestResult, started: number): void {
    const span = t.receive(result.messageId, input.arrivedAt ?? started, {
      'interlace.channel': this.name,
      'interlace.message_id': result.messageId,
      'interlace.source': String(this.o.config.source.type),
      ...(input.controlId !== undefined ? { 'interlace.control_id': input.controlId.slice(0, 64) } : {}),
      ...(input.messageType !== undefined ? { 'interlace.message_type': input.messageType.slice(0, 32) } : {}),
      ...(input.rejected ? { 'interlace.rejected': true } : {}),
      ...(result.duplicate ? { 'interlace.duplicate': true } : {}),
    });
    // the source's own work on the unit (MLLP: reading its header for the ACK), then the durable store
    if (input.arrivedAt !== undefined) t.child(result.messageId, 'receive', 'frame', {}, input.arrivedAt).end(started);
    t.child(result.messageId, 'receive', 'store', {}, started).end();
    span.end();
  }

  /**
   * An X12 unit addressed (ISA07/ISA08) to an identity that is not ours is stored as rejected, with
   * the finding its TA1 gives (009 or 007), and never processed.
   */
  private addressed(input: IngestInput): IngestInput {
    if (input.rejected || !this.o.x12) return input;
    const findings = this.o.x12.partners.identities.rawFindings(input.raw);
    return findings.length > 0 ? { ...input, rejected: { diagnostics: findings } } : input;
  }

  async start(): Promise<void> {
    // Load what the format's answer needs (FHIR: the R4 definitions) before the first request, not during it.
    const c = this.o.config;
    if (c.source.type === 'http' && c.parse.format !== 'auto') parserFor(c.parse.format)?.httpAnswer?.prepare?.();
    if (this.singleton) {
      await this.tryTakeOver();
      if (!this.lease) this.log.info({ source: this.o.config.source.type }, 'channel on standby: another engine process runs its source');
      return;
    }
    await this.source.start();
    this.log.info({ source: this.o.config.source.type, address: this.source.address?.() }, 'channel started');
  }

  /**
   * Takes the source's lease when nobody holds it and starts the source; otherwise (or after losing
   * it) tries again every `LEASE_RETRY_MS`, so a dead holder's source runs again here within
   * `LEASE_TTL_MS + LEASE_RETRY_MS`.
   */
  private async tryTakeOver(): Promise<void> {
    if (this.stopped) return;
    try {
      const lease = await this.o.services!.leases!.tryAcquire(
        `source:${this.name}${this.o.input === undefined ? '' : `#${this.o.input}`}`,
        {
          ttlMs: LEASE_TTL_MS,
          onLost: (reason) => this.lost(reason),
        },
      );
      if (lease) {
        this.lease = lease;
        await this.run(async () => {
          this.source = this.create();
          await this.source.start();
          this.running = true;
        });
        this.log.info({ source: this.o.config.source.type }, 'channel started: this process holds its source lease');
        return;
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'source lease not taken; trying again');
    }
    this.standbyTimer = setTimeout(() => void this.tryTakeOver(), LEASE_RETRY_MS);
    this.standbyTimer.unref();
  }

  /** The lease went to another process (or expired): stop polling here, and wait to take it back. */
  private lost(reason: string): void {
    this.log.warn({ reason }, 'source lease lost; stopping the source here');
    this.lease = undefined;
    void this.run(() => this.stopSource()).then(() => {
      if (!this.stopped) this.standbyTimer = setTimeout(() => void this.tryTakeOver(), LEASE_RETRY_MS);
    });
  }

  private async stopSource(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.source.stop();
  }

  private run(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step).catch((err: Error) => this.log.error({ err: err.message }, 'source start or stop failed'));
    return this.transition;
  }

  /** The address the source bound (port 0 in tests). */
  address(): { host: string; port: number } | undefined {
    return this.source.address?.();
  }

  /** Leaves the source closed, as after `stop`: the channel was stopped by an operator before this process started. */
  startStopped(): void {
    this.stopped = true;
  }

  /**
   * Starts again after `stop` (an operator started the channel): a new source, so a listener binds
   * its port afresh.
   */
  async restart(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = false;
    if (!this.singleton) this.source = this.create();
    try {
      await this.start();
    } catch (err) {
      this.stopped = true;
      throw err;
    }
  }

  /** Stops accepting; resolves once what was received is stored and answered. Stopping twice does nothing. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.standbyTimer);
    if (!this.singleton) return this.source.stop();
    await this.run(() => this.stopSource());
    await this.lease?.release();
    this.lease = undefined;
  }
}
