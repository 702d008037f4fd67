import type { z } from 'zod';
import type { Logger } from '../lib/log.js';

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
};

/**
 * A destination. `send` resolves when the destination accepted the delivery. It throws a
 * TransientDeliveryError when trying again later may succeed (the route retries with backoff) and a
 * PermanentDeliveryError when it cannot (the delivery is dead-lettered at once). Either error carries
 * the destination's answer when there was one, so the ledger records it.
 */
export interface Destination {
  send(delivery: Delivery): Promise<DeliveryResult>;
  /** Whether the destination answers at all; for the admin API. Never throws. */
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

export type DestinationContext = { channel: string; route: string; log: Logger };

export interface DestinationDefinition<C = any> {
  readonly type: string;
  readonly schema: z.ZodType<C, any>;
  create(config: C, ctx: DestinationContext): Destination;
}
