import type { CanonicalDocument } from '../model/index.js';

/** Ids that describe the message being mapped. Ids only: no PHI is ever placed here. */
export type PipelineMeta = {
  channel: string;
  messageId: string;
  controlId?: string;
  sender?: string;
  messageType?: string;
  /** ISO 8601 date-time at which the source stored the message. */
  receivedAt: string;
};

/**
 * What a pipeline runs over. Expressions see these four as fields of the input (`message.PID`,
 * `vars.total`) and as variables (`$message`, `$canonical`, `$meta`, `$vars`), which stay reachable
 * inside nested paths where the context has moved on.
 */
export type PipelineState = {
  /** The format's JSON tree of the parsed message (`ParserDefinition.toTree`). */
  message: unknown;
  /** The canonical documents of the message, in the order the parser produced them. */
  canonical: CanonicalDocument[];
  meta: PipelineMeta;
  /** Values produced by earlier steps (`map`, `lookup`). Always JSON values. */
  vars: Record<string, unknown>;
  /**
   * The original bytes, for routes whose body is `{ raw: true }`. Not visible to expressions.
   * A string is used as is; bytes are decoded with the body's `charset`.
   */
  raw?: Uint8Array | string;
};

/** A lookup table as loaded by the engine from a CSV file: its header and its rows. */
export type Table = { columns: string[]; rows: Record<string, string>[] };
/** Lookup tables by name (the CSV file name without extension). */
export type Tables = Record<string, Table>;

/** Guard rails applied to every expression evaluation. */
export type ExpressionLimits = {
  /** Wall-clock time one evaluation may take, in milliseconds. Default 1000. */
  timeoutMs: number;
  /** Maximum evaluation depth (nesting and recursion). Default 1000. */
  maxDepth: number;
  /** Maximum length of any sequence an expression builds, ranges included. Default 100000. */
  maxSequence: number;
  /** Maximum number of values (nodes) in one result. Default 1000000. */
  maxResultNodes: number;
};

export const DEFAULT_LIMITS: ExpressionLimits = {
  timeoutMs: 1000,
  maxDepth: 1000,
  maxSequence: 100_000,
  maxResultNodes: 1_000_000,
};

/** What compiling needs: the lookup tables, optional limits, and a clock for `$now()` (tests). */
export type TransformDeps = {
  tables: Tables;
  limits?: Partial<ExpressionLimits>;
  /** Milliseconds since the epoch; `$now()` and `$millis()` use it. Default `Date.now`. */
  clock?: () => number;
  /** HTTP for `enrich` steps; default the global fetch. */
  fetch?: typeof fetch;
};

/** The outcome of running a pipeline: passed with the new state, or stopped by a `filter` step. */
export type PipelineResult = { outcome: 'passed'; state: PipelineState } | { outcome: 'filtered'; reason: string; step: number };

/** A compiled list of steps; `run` may be called concurrently for different messages. */
export interface Pipeline {
  readonly steps: number;
  /** `route`: the route whose own steps these are (names their trace spans). */
  run(state: PipelineState, route?: string): Promise<PipelineResult>;
}
