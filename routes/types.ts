import type { z } from 'zod';
import type { Logger } from '../lib/log.js';
import type { TableWriter } from './destinations/table.js';
import type { EngineServices, PartnerLink } from '../lib/services.js';

/** What a route hands to a destination: one message on one route, already mapped. */
export type Delivery = {
  deliveryId: string;
  messageId: string;
  channel: string;
  route: string;
  /** `${messageId}:${route}`: the same on every retry and replay, so the destination can deduplicate. */
  idempotencyKey: string;
  correlationId: string;
  /** 1 for the first attempt. */
  attempt: number;
  payload: RoutePayload;
  /** W3C trace context of this attempt's span, when traces are on: HTTP-like destinations send it as `traceparent`. */
  traceparent?: string;
};

/** The mapped content to send; built by the route's mapping rules. */
export type RoutePayload = {
  body: string;
  contentType: string;
  /** Extra headers from the mapping rules (HTTP-like destinations). */
  headers?: Record<string, string>;
  /** A path appended to the destination URL or a file name, when the mapping sets one. */
  path?: string;
};

/** The destination's answer to a successful send. */
export type DeliveryResult = {
  /** `200`, `AA`, `997-A`…: the destination's own code. */
  status: string;
  /** A bounded excerpt of what the destination answered (at most 2 KiB). */
  body?: string;
  /**
   * What the destination says it recorded, when it answers with it (a FHIR server's resources as it
   * stored them): lineage compares them with what was sent (a charge booked with another quantity).
   */
  answered?: unknown[];
};

/**
 * A destination. `send` resolves when the destination accepted the delivery. It throws a
 * TransientDeliveryError when trying again later may succeed (the route retries with backoff) and a
 * PermanentDeliveryError when it cannot (the delivery is dead-lettered at once). Either error carries
 * the destination's answer when there was one, so the ledger records it.
 */
export interface Destination {
  send(delivery: Delivery): Promise<DeliveryResult>;
  /**
   * The longest one `send` can take, when the destination bounds it (its own timeouts). Engine
   * processes that share a store use it to tell a first attempt still running elsewhere from one
   * whose process died (RouteQueue.mayBeHeldElsewhere); absent, a generous default stands in.
   */
  readonly attemptTimeoutMs?: number;
  /** Whether the destination answers at all; for the admin API. Never throws. */
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

/**
 * What the engine gives a destination: where it runs, a logger bound to its route, and the engine
 * services (lib/services.ts: X12 partners and control numbers, partner transports, leases). A
 * destination takes from `services` only what it needs; none is wired to a particular type.
 */
export type DestinationContext = {
  channel: string;
  route: string;
  log: Logger;
  /** The engine services; absent outside the engine (unit tests): `unavailableServices()` stands in. */
  services?: EngineServices;
  /** The live lookup tables; given by the engine (the `table` destination writes them). */
  tables?: TableWriter;
};

/** What a transport's partner link is built with: the partner and the engine services. */
export type PartnerLinkContext = { partner: string; log: Logger; services: EngineServices };

// A registry holds definitions of every config type, so the default parameter is any.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface DestinationDefinition<C = any> {
  readonly type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the input type is whatever YAML gave
  readonly schema: z.ZodType<C, any>;
  create(config: C, ctx: DestinationContext): Destination;
  /**
   * For a transport that can carry files to a trading partner: builds the link from the `transport`
   * block of a partner file whose `transport.type` is this `type`. The engine uses it to send what a
   * partner is owed over the partner's own transport (an X12 interchange, a 997/999/TA1 answer).
   */
  partnerLink?(transport: { type: string; [key: string]: unknown }, ctx: PartnerLinkContext): PartnerLink;
}

/** What became of one attempt to deliver, as the route records it in the ledger. */
export type AttemptOutcome = {
  /** 1 for the first attempt; keeps counting after an operator's retry of a dead delivery. */
  attempt: number;
  /**
   * `delivered`: the destination accepted it (final). `retrying`: it failed and will be tried again at
   * `nextAttemptAt`. `dead`: it failed for good (permanent error or attempts exhausted; final until an
   * operator retries it). An attempt the ledger refused (`beginAttempt` false) is not recorded.
   */
  state: 'delivered' | 'retrying' | 'dead';
  /** When the attempt started and ended (epoch milliseconds). */
  startedAt: number;
  finishedAt: number;
  /** The destination's own code (`200`, `503`, `AA`), when it answered. */
  status?: string;
  /** A bounded excerpt (at most 2 KiB) of the destination's answer. */
  body?: string;
  /** When delivered: what the destination says it recorded (DeliveryResult.answered). */
  answered?: unknown[];
  /** Why the attempt failed: an error code of docs/routes.md or of the destination, and its message (no PHI). */
  error?: { code: string; message: string };
  /** When `state` is `retrying`: when the next attempt is due (epoch milliseconds). */
  nextAttemptAt?: number;
};

/**
 * The route's window onto the engine's message store: the engine implements it, the route calls it
 * around every attempt. Calls for one delivery never overlap. A method that throws or rejects makes
 * the attempt count as a transient failure (it is retried), so an implementation must be idempotent
 * per (deliveryId, attempt).
 */
export interface DeliveryLedger {
  /**
   * Called before each attempt. Answers false when the delivery is already final (delivered, dead or
   * cancelled): the route then sends nothing and completes the job. This is what keeps a re-enqueued
   * or replayed job from reaching the destination twice.
   */
  beginAttempt(deliveryId: string, attempt: number): boolean | Promise<boolean>;
  /** Called after each attempt that was begun, with what became of it. */
  recordAttempt(deliveryId: string, outcome: AttemptOutcome): void | Promise<void>;
  /**
   * Called when an operator retries a dead delivery (`RouteQueue.retryDead`), before the job is moved
   * back: the delivery must stop being final so that the next `beginAttempt` answers true.
   */
  reopen(deliveryId: string): void | Promise<void>;
}
