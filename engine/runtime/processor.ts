import type { Pipeline, PipelineState } from '../../transforms/index.js';
import type { RoutePayload } from '../../routes/types.js';
import { parserFor, type Format, type ParseOptions } from '../../parsers/index.js';
import type { AcceptContext } from '../../parsers/types.js';
import { InterlaceError, type Diagnostic } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { BusinessKey, MessageError, MessageStore, NewDelivery, StoredDelivery } from '../store/index.js';
import { TransformMappingError } from '../../transforms/errors.js';
import { lineageOf, type RouteInfo } from '../reconcile/lineage.js';
import type { Lineage } from '../store/index.js';
import type { ErrorCode } from '../../lib/error-codes.js';
import { failSpan, tracing, type MessageTracing } from '../../lib/tracing.js';

/** One route as the processor sees it: a condition, its own steps, and how to build its payload. */
export type CompiledRoute = {
  name: string;
  when?: (state: PipelineState) => Promise<boolean>;
  pipeline?: Pipeline;
  body: (state: PipelineState) => Promise<RoutePayload>;
  /** Where it sends (destination type, X12 partner and set): lineage tells sent documents by it. */
  info?: RouteInfo;
};

export type ProcessorOptions = {
  channel: string;
  format: Format | 'auto';
  parseOptions: ParseOptions;
  /** What the engine knows beyond the message when deciding what was accepted (partner requirements). */
  accept?: AcceptContext;
  pipeline: Pipeline;
  /** The channel's business keys (`keys:`), stored before the outcome so an exception is found by them too. */
  keys?: (state: PipelineState) => Promise<Array<{ name: string; value: string }>>;
  /**
   * The business key (one of `keys`) whose value identifies the business case (`duplicates.key`): a
   * message whose value another routed message of the channel already has becomes its duplicate.
   */
  duplicateKey?: string;
  routes: CompiledRoute[];
  store: MessageStore;
  log: Logger;
};

export type ProcessOutcome =
  | { outcome: 'routed'; deliveries: StoredDelivery[] }
  | { outcome: 'filtered'; reason: string }
  | { outcome: 'error'; code: ErrorCode; message: string; rule?: string; field?: string; value?: string }
  | { outcome: 'duplicate'; duplicateOf: string }
  | { outcome: 'skipped' };

/**
 * Runs one stored message through the channel: parse → canonical → channel steps → per-route
 * condition, steps and body → deliveries. Every outcome is written to the store; a failure of
 * parsing or mapping puts the message in the exception queue (status `error`) with its reason.
 * Idempotent: a message that is no longer `received` is skipped, so a job that runs twice (after a
 * crash, or when a sweep re-enqueues it) changes nothing.
 */
export class Processor {
  constructor(private readonly o: ProcessorOptions) {}

  async process(messageId: string): Promise<ProcessOutcome> {
    const { store } = this.o;
    const stored = await store.getRaw(messageId);
    if (!stored || stored.status !== 'received') return { outcome: 'skipped' };
    const t = tracing();
    if (!t) return this.run(messageId, stored);
    // A span left unended (skipped: another run processed it) is never exported, so its id is not seen twice.
    const span = t.process(messageId, { 'interlace.channel': this.o.channel, 'interlace.message_id': messageId });
    const outcome = await this.run(messageId, stored, t);
    if (outcome.outcome === 'skipped') return outcome;
    span.setAttribute('interlace.outcome', outcome.outcome);
    if (outcome.outcome === 'routed') span.setAttribute('interlace.deliveries', outcome.deliveries.length);
    if (outcome.outcome === 'error') failSpan(span, outcome.code);
    else span.end();
    return outcome;
  }

  private async run(messageId: string, stored: { raw: Buffer; receivedAt: string }, t?: MessageTracing): Promise<ProcessOutcome> {
    const { store } = this.o;
    try {
      const state = t
        ? this.parseTraced(t, messageId, stored.raw, stored.receivedAt)
        : this.parse(messageId, stored.raw, stored.receivedAt);
      const keys = this.o.keys ? await this.o.keys(state) : [];
      if (this.o.keys) await store.recordKeys(messageId, this.o.channel, keys);
      const result = await this.o.pipeline.run(state);
      if (result.outcome === 'filtered') {
        await store.markFiltered(messageId, result.reason);
        return { outcome: 'filtered', reason: result.reason };
      }
      const routing = t?.child(messageId, 'process', 'route', { 'interlace.routes': this.o.routes.length });
      const deliveries = await this.buildDeliveries(result.state).catch((err: unknown) => {
        if (routing) failSpan(routing, (err as { code?: string }).code ?? 'internal-error');
        throw err;
      });
      routing?.setAttribute('interlace.routes.matched', deliveries.length);
      routing?.end();
      if (deliveries.length === 0) {
        const reason = 'no route matched';
        await store.markFiltered(messageId, reason);
        return { outcome: 'filtered', reason };
      }
      const routed = await store.markRouted(
        messageId,
        result.state.canonical,
        deliveries,
        this.lineage(messageId, result.state, deliveries),
        this.businessKey(keys),
      );
      if (!routed) return { outcome: 'skipped' };
      return Array.isArray(routed) ? { outcome: 'routed', deliveries: routed } : { outcome: 'duplicate', duplicateOf: routed.duplicateOf };
    } catch (error) {
      const e = describe(error);
      this.o.log.debug({ messageId, code: e.code }, 'message to the exception queue');
      await store.markError(messageId, e);
      return { outcome: 'error', code: e.code, message: e.message, ...exceptionOf(e) };
    }
  }

  /** The value of the duplicate key, when the message has exactly one (none, or several, is no business case to compare). */
  private businessKey(keys: ReadonlyArray<{ name: string; value: string }>): BusinessKey | undefined {
    const name = this.o.duplicateKey;
    if (name === undefined) return undefined;
    const values = keys.filter((k) => k.name === name);
    return values.length === 1 ? values[0] : undefined;
  }

  /** The business documents of the message and of what its routes send (ADR 0012); never fails the message. */
  private lineage(messageId: string, state: PipelineState, deliveries: NewDelivery[]): Lineage | undefined {
    try {
      const lineage = lineageOf(state.canonical, deliveries, this.routeInfo);
      return lineage.documents.length > 0 || lineage.links.length > 0 ? lineage : undefined;
    } catch (err) {
      this.o.log.warn({ messageId, err: (err as Error).message }, 'business documents of a message could not be indexed');
      return undefined;
    }
  }

  private get routeInfo(): Map<string, RouteInfo> {
    return (this.routeInfoCache ??= new Map(this.o.routes.flatMap((r) => (r.info ? [[r.name, r.info] as const] : []))));
  }
  private routeInfoCache: Map<string, RouteInfo> | undefined;

  private parseTraced(t: MessageTracing, messageId: string, raw: Buffer, receivedAt: string): PipelineState {
    const span = t.child(messageId, 'process', 'parse', { 'interlace.format': this.o.format });
    try {
      const state = this.parse(messageId, raw, receivedAt);
      if (state.meta.messageType !== undefined) span.setAttribute('interlace.message_type', String(state.meta.messageType).slice(0, 32));
      span.end();
      return state;
    } catch (err) {
      failSpan(span, (err as { code?: string }).code ?? 'parse-failed');
      throw err;
    }
  }

  private parse(messageId: string, raw: Buffer, receivedAt: string): PipelineState {
    const parser = parserFor(this.o.format, raw);
    if (!parser)
      throw new ProcessingError(
        'format-unknown',
        'the message is in no format this engine reads (expected HL7 v2 starting with MSH, X12 starting with ISA, or JSON)',
      );
    const read = parser.parse(raw, this.o.parseOptions);
    // Process exactly what the acknowledgment accepted (X12: the sets a 997/999 did not reject).
    const parsed = read.message && parser.accepted ? parser.accepted(read.message, read.diagnostics, this.o.accept) : read;
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    if (!parsed.message || errors.length > 0) {
      throw new ProcessingError(
        errors[0]?.code ?? 'parse-failed',
        errors[0]?.message ?? `the message could not be parsed as ${parser.format}`,
        parsed.diagnostics,
      );
    }
    const canonical = parser.toCanonical(parsed.message);
    const mappingErrors = canonical.diagnostics.filter((d) => d.severity === 'error');
    if (mappingErrors.length > 0) throw new ProcessingError(mappingErrors[0]!.code, mappingErrors[0]!.message, canonical.diagnostics);
    const header = parser.header(parsed.message);
    return {
      message: parser.toTree(parsed.message),
      canonical: canonical.documents,
      meta: { channel: this.o.channel, messageId, ...header, receivedAt },
      vars: {},
      raw,
    };
  }

  private async buildDeliveries(state: PipelineState): Promise<NewDelivery[]> {
    const out: NewDelivery[] = [];
    for (const route of this.o.routes) {
      if (route.when && !(await route.when(state))) continue;
      let routeState = state;
      if (route.pipeline) {
        const r = await route.pipeline.run(state, route.name);
        if (r.outcome === 'filtered') continue;
        routeState = r.state;
      }
      out.push({ route: route.name, payload: await route.body(routeState) });
    }
    return out;
  }
}

class ProcessingError extends InterlaceError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly diagnostics?: Diagnostic[],
  ) {
    super(code, message);
  }
}

/** The rule, field and value of an exception, when a rule named them. */
function exceptionOf(e: MessageError): { rule?: string; field?: string; value?: string } {
  return {
    ...(e.rule !== undefined ? { rule: e.rule } : {}),
    ...(e.field !== undefined ? { field: e.field } : {}),
    ...(e.value !== undefined ? { value: e.value } : {}),
  };
}

function describe(error: unknown): MessageError & { code: ErrorCode } {
  if (error instanceof ProcessingError) return { code: error.code, message: error.message, diagnostics: error.diagnostics };
  if (error instanceof TransformMappingError && error.exception) return { code: error.code, message: error.message, ...error.exception };
  if (error instanceof InterlaceError) return { code: error.code, message: error.message };
  return { code: 'internal-error', message: error instanceof Error ? error.message : String(error) };
}
