import { createHash } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type IdGenerator,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from './log.js';

/**
 * OpenTelemetry traces of messages (docs/tracing.md, ADR 0020). One trace per message: its trace id
 * is the message id (a UUID: the same 128 bits, without the dashes), and the ids of its `receive` and
 * `process` spans are derived from the message id too. So every thread and every hop (the listener
 * to the processing thread, a first attempt made in process, a BullMQ job retried an hour later, the
 * recovery sweep after a restart) finds its parent from the message id alone, with nothing carried.
 *
 * Off unless engine.yaml has `telemetry.traces`: then `tracing()` is undefined and callers create no
 * span object at all. Each thread starts its own provider (`startTracing`); spans are batched and
 * exported over OTLP/HTTP (JSON). An export that fails is dropped and logged once (not once per
 * batch) until exports succeed again; the queue of spans is bounded, so an unreachable collector
 * never blocks or fails message flow.
 *
 * Attributes carry ids, names from the configuration and codes, never message content (no PHI).
 */

export type TracingConfig = {
  otlp: { url: string; headers: Record<string, string> };
  /** Share of messages traced, 0–1, decided from the trace id (so every thread decides alike). */
  sampleRatio: number;
  /** Most milliseconds a finished span waits before its batch is exported. */
  exportEvery: number;
};

export type ThreadName = 'listener' | 'processing';

let active: MessageTracing | undefined;

/** This thread's tracing, or undefined when traces are off (the hot path checks this and nothing else). */
export function tracing(): MessageTracing | undefined {
  return active;
}

/** Starts this thread's provider and exporter. Once per thread; a second call replaces the first. */
export function startTracing(config: TracingConfig, thread: ThreadName, log: Logger, version = 'dev'): MessageTracing {
  void active?.shutdown();
  active = new MessageTracing(config, thread, log, version);
  return active;
}

/** Exports what is still buffered (bounded by the exporter's timeout) and turns tracing off in this thread. */
export async function stopTracing(): Promise<void> {
  const t = active;
  active = undefined;
  await t?.shutdown();
}

/** The 32-hex-digit trace id of a message: its UUID without dashes (a hash of the id when it is not a UUID). */
export function traceIdOf(messageId: string): string {
  const hex = messageId.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex)) return hex;
  return createHash('sha256').update(messageId).digest('hex').slice(0, 32);
}

/** The span id of a message's `receive` or `process` span. */
export function spanIdOf(messageId: string, span: 'receive' | 'process'): string {
  return createHash('sha256').update(`${span}:${messageId}`).digest('hex').slice(0, 16);
}

/** Hands the tracer the ids of the next span it starts (startSpan is synchronous); random otherwise. */
class FixedOnceIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: { traceId?: string; spanId?: string } = {};
  generateTraceId(): string {
    const id = this.next.traceId ?? this.random.generateTraceId();
    this.next.traceId = undefined;
    return id;
  }
  generateSpanId(): string {
    const id = this.next.spanId ?? this.random.generateSpanId();
    this.next.spanId = undefined;
    return id;
  }
}

/** Passes batches to the OTLP exporter; logs the first failure of a run of failures, and the recovery. */
class LoggedExporter implements SpanExporter {
  private failing = false;
  dropped = 0;
  constructor(
    private readonly inner: SpanExporter,
    private readonly log: Logger,
  ) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failing) this.log.info({ dropped: this.dropped }, 'trace export works again');
        this.failing = false;
      } else {
        this.dropped += spans.length;
        if (!this.failing)
          this.log.warn({ err: result.error?.message, spans: spans.length }, 'trace export failed; spans are dropped until it works again');
        this.failing = true;
      }
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The spans of messages in one thread. Span names: receive, ack, process, parse, step, route, deliver. */
export class MessageTracing {
  private readonly ids = new FixedOnceIds();
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly ratio: TraceIdRatioBasedSampler;

  constructor(config: TracingConfig, thread: ThreadName, log: Logger, version: string) {
    this.ratio = new TraceIdRatioBasedSampler(config.sampleRatio);
    const exporter = new LoggedExporter(
      new OTLPTraceExporter({ url: config.otlp.url, headers: config.otlp.headers, timeoutMillis: 5000 }),
      log.child({ component: 'tracing' }),
    );
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'interlace', 'service.version': version, 'interlace.thread': thread }),
      sampler: new ParentBasedSampler({ root: this.ratio }),
      idGenerator: this.ids,
      spanProcessors: [
        new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportEvery, maxQueueSize: 4096, maxExportBatchSize: 512 }),
      ],
    });
    this.tracer = this.provider.getTracer('interlace');
  }

  /** The root span of a message: from the start of its ingest to its commit. Ids derived from the message id. */
  receive(messageId: string, startTime: number, attributes: Attributes): Span {
    this.ids.next = { traceId: traceIdOf(messageId), spanId: spanIdOf(messageId, 'receive') };
    return this.tracer.startSpan('receive', { kind: SpanKind.SERVER, startTime, attributes, root: true }, ROOT_CONTEXT);
  }

  /** The `process` span of a message (parse → steps → routing), child of its `receive` span. */
  process(messageId: string, attributes: Attributes): Span {
    const parent = this.parentContext(messageId, 'receive');
    this.ids.next = { spanId: spanIdOf(messageId, 'process') };
    return this.tracer.startSpan('process', { attributes }, parent);
  }

  /** A span under the message's `receive` (ack) or `process` (parse, step, route, deliver) span. */
  child(messageId: string, under: 'receive' | 'process', name: string, attributes: Attributes, startTime?: number): Span {
    const kind = name === 'deliver' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    return this.tracer.startSpan(
      name,
      { kind, attributes, ...(startTime !== undefined ? { startTime } : {}) },
      this.parentContext(messageId, under),
    );
  }

  /** The W3C `traceparent` header naming `span` (sent downstream with a delivery attempt). */
  traceparent(span: Span): string {
    const c = span.spanContext();
    return `00-${c.traceId}-${c.spanId}-0${c.traceFlags & TraceFlags.SAMPLED}`;
  }

  private parentContext(messageId: string, span: 'receive' | 'process') {
    const traceId = traceIdOf(messageId);
    const sampled = this.ratio.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: spanIdOf(messageId, span),
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    });
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }
}

/** Ends a span as failed with an error code (never the error's message: it may quote content). */
export function failSpan(span: Span, code: string): void {
  span.setAttribute('interlace.error.code', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end();
}
