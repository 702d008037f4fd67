import type { StoredAck, StoredDelivery, StoredMessage } from '../types.js';

/** Row ↔ object mapping of the SQLite store. */
export type MessageRow = {
  id: string;
  channel: string;
  received_at: number;
  status: string;
  control_id: string | null;
  sender: string | null;
  message_type: string | null;
  origin: string | null;
  duplicate_of: string | null;
  error: string | null;
  updated_at: number;
};

export type DeliveryRow = {
  id: string;
  message_id: string;
  channel: string;
  route: string;
  state: string;
  attempts: number;
  idempotency_key: string;
  correlation_id: string;
  payload: string;
  last_status: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
};

export type AckRow = {
  id: number;
  message_id: string;
  delivery_id: string | null;
  direction: string;
  kind: string;
  code: string;
  detail: string | null;
  attempt: number | null;
  at: number;
};

const iso = (ms: number) => new Date(ms).toISOString();
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function toMessage(r: MessageRow): StoredMessage {
  return {
    id: r.id,
    channel: r.channel,
    receivedAt: iso(r.received_at),
    status: r.status as StoredMessage['status'],
    controlId: opt(r.control_id),
    sender: opt(r.sender),
    messageType: opt(r.message_type),
    origin: opt(r.origin),
    duplicateOf: opt(r.duplicate_of),
    error: r.error ? (JSON.parse(r.error) as StoredMessage['error']) : undefined,
    updatedAt: iso(r.updated_at),
  };
}

export function toDelivery(r: DeliveryRow): StoredDelivery {
  return {
    id: r.id,
    messageId: r.message_id,
    channel: r.channel,
    route: r.route,
    state: r.state as StoredDelivery['state'],
    attempts: r.attempts,
    idempotencyKey: r.idempotency_key,
    correlationId: r.correlation_id,
    payload: JSON.parse(r.payload) as StoredDelivery['payload'],
    lastStatus: opt(r.last_status),
    lastError: opt(r.last_error),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toAck(r: AckRow): StoredAck {
  return {
    id: r.id,
    messageId: r.message_id,
    deliveryId: opt(r.delivery_id),
    direction: r.direction as StoredAck['direction'],
    kind: r.kind,
    code: r.code,
    detail: opt(r.detail),
    attempt: opt(r.attempt),
    at: iso(r.at),
  };
}
