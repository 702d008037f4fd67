import type { X12SentInterchange } from '../../lib/services.js';
import type { Diagnostic } from '../../lib/errors.js';
import type {
  ChannelCounts,
  ControlNumberRequest,
  StoredAck,
  StoredDelivery,
  StoredMessage,
  X12AckMatch,
  X12Expectation,
  X12ReceivedAck,
} from './types.js';

/** Row ↔ object mapping shared by both stores (times are Unix milliseconds in both). */
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
  content_purged_at?: number | string | null;
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
    ...(r.content_purged_at != null ? { contentPurgedAt: iso(Number(r.content_purged_at)) } : {}),
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

export type ExpectationRow = {
  id: number;
  partner: string;
  expected: string;
  message_id: string;
  delivery_id: string | null;
  isa13: string;
  gs06: string | null;
  st02: string | null;
  po_number: string | null;
  created_at: number;
  due_at: number;
  satisfied_at: number | null;
  satisfied_code: string | null;
};

export function toExpectation(r: ExpectationRow): X12Expectation {
  return {
    id: r.id,
    partner: r.partner,
    expected: r.expected,
    messageId: r.message_id,
    ...(r.delivery_id ? { deliveryId: r.delivery_id } : {}),
    isa13: r.isa13,
    ...(r.gs06 ? { gs06: r.gs06 } : {}),
    ...(r.st02 ? { st02: r.st02 } : {}),
    ...(r.po_number ? { poNumber: r.po_number } : {}),
    sentAt: new Date(r.created_at).toISOString(),
    dueAt: new Date(r.due_at).toISOString(),
    ...(r.satisfied_at ? { satisfiedAt: new Date(r.satisfied_at).toISOString() } : {}),
    ...(r.satisfied_code ? { satisfiedCode: r.satisfied_code } : {}),
  };
}

export type OutboundRow = {
  id: number;
  partner: string;
  isa13: string;
  gs06: string | null;
  st02: string | null;
  message_id: string;
  delivery_id: string | null;
};

export const EXPECTATION_SELECT = `SELECT e.id, e.partner, e.expected, e.message_id, e.delivery_id, o.isa13, o.gs06, o.st02, o.po_number,
  e.created_at, e.due_at, e.satisfied_at, e.satisfied_code FROM x12_expectations e JOIN x12_outbound o ON o.id = e.outbound_id`;

/** Largest ISA13, GS06 and ST02 we write; the next one after it is 1. */
export const MAX_CONTROL_NUMBER = 999_999_999;

export const CONTROL_KINDS = ['interchanges', 'groups', 'sets'] as const;

/** The counts asked for, per kind; throws a RangeError naming the kind when one is not 0–10000. */
export function checkControlNumberRequest(request: ControlNumberRequest): number[] {
  const counts = CONTROL_KINDS.map((k) => request[k] ?? 0);
  for (const [i, n] of counts.entries()) {
    if (!Number.isInteger(n) || n < 0 || n > 10_000)
      throw new RangeError(`control numbers: ${CONTROL_KINDS[i]} is ${n}; expected a whole number from 0 to 10000`);
  }
  return counts;
}

/** The error stored with a message rejected on arrival: its first error finding, and all of them. */
export function rejection(diagnostics: Diagnostic[]): { code: string; message: string; diagnostics: Diagnostic[] } {
  const first = diagnostics.find((d) => d.severity === 'error') ?? diagnostics[0];
  return { code: first?.code ?? 'rejected', message: first?.message ?? 'rejected by the source', diagnostics };
}

export function emptyCounts(): ChannelCounts {
  return { received: 0, rejected: 0, duplicate: 0, filtered: 0, error: 0, routed: 0, delivered: 0, failed: 0, queued: 0 };
}

/** What an acknowledgment matched, as `recordX12Ack` reports it. */
export function matchedSet(row: OutboundRow): X12AckMatch['matched'][number] {
  return {
    messageId: row.message_id,
    ...(row.delivery_id ? { deliveryId: row.delivery_id } : {}),
    isa13: row.isa13,
    ...(row.gs06 ? { gs06: row.gs06 } : {}),
    ...(row.st02 ? { st02: row.st02 } : {}),
  };
}

/** The ledger detail of a received X12 acknowledgment: its codes and the message that carried it. */
export function x12AckDetail(ack: X12ReceivedAck): string | null {
  return [ack.detail, ack.viaMessageId ? `via message ${ack.viaMessageId}` : undefined].filter(Boolean).join('; ') || null;
}

/** One row of `x12_outbound` as `x12SentFor` reads it (PostgreSQL returns int8 as text). */
export type SentRow = { isa13: string; file: string | null; gs06: string | null; st02: string | null; at: number | string };

/** The rows of one interchange sent for a delivery, as what is needed to write the same bytes again. */
export function sentInterchange(rows: readonly SentRow[]): X12SentInterchange | undefined {
  const first = rows[0];
  if (!first) return undefined;
  return {
    isa13: first.isa13,
    ...(first.file ? { file: first.file } : {}),
    ...(first.gs06 ? { gs06: first.gs06 } : {}),
    st02s: rows.map((r) => r.st02).filter((s): s is string => Boolean(s)),
    at: Number(first.at),
  };
}

/** The history line of a message found to be a business duplicate (`duplicates.key`); names the key, never its value. */
export function businessDuplicateDetail(key: { name: string }, originalId: string): string {
  return `duplicate of message ${originalId}: same ${key.name} (duplicates.key); not routed again`;
}
