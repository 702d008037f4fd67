import { ConfigError } from './errors.js';
import type { Leases } from './lease.js';

/**
 * The engine services a connector (source or destination) may use, declared here so that `channels/`
 * and `routes/` depend on nothing of `engine/`. The engine implements them (engine/runtime/services.ts)
 * and hands the same object to every connector through its context (docs/adr: transports as plug-ins).
 * Outside the engine (unit tests, offline commands) `unavailableServices()` stands in: each method
 * fails with one sentence saying which engine service is missing.
 */

/** One file (an interchange, an acknowledgment, a payload) to hand to a trading partner. */
export type PartnerFile = {
  /** File name at the partner (a transport without names, like AS2, uses it as the MIME filename). */
  name: string;
  body: Buffer;
  messageId?: string;
  deliveryId?: string;
};

/** The transport's receipt: the file reached the partner's side (written and confirmed, uploaded and stat'ed, MDN…). */
export type PartnerReceipt = {
  /** `written`, `uploaded`, `mdn-processed`…: the transport's own word. */
  status: string;
  /** The name the file finally got (a transport may add a counter rather than overwrite). */
  name?: string;
  detail?: string;
};

/** A running link to one partner over one transport (built from the partner file's `transport` block). */
export interface PartnerLink {
  /** Hands the file over; resolves with the receipt once the partner's side has it, throws a DeliveryError otherwise. */
  send(file: PartnerFile): Promise<PartnerReceipt>;
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

/** Trading partners as transports see them: send a file to a partner over the transport of its partner file. */
export interface PartnerLinks {
  /** The transport type of a partner (`file`, `sftp`, `as2`…), or undefined for an unknown partner. */
  transportOf(partner: string): string | undefined;
  /** Sends through the partner's transport; a ConfigError when no registered transport can carry it. */
  send(partner: string, file: PartnerFile): Promise<PartnerReceipt>;
}

/** A trading partner as an X12 sender needs it: both parties' ids and the format. */
export type X12PartnerProfile = {
  id: string;
  /** Us: ISA05/ISA06 and GS02 of what we send. */
  us: { qualifier: string; id: string; applicationCode: string };
  /** The partner: ISA07/ISA08 and GS03 of what we send. */
  partner: { qualifier: string; id: string; applicationCode: string };
  version: '004010' | '005010';
  delimiters: { element: string; component: string; repetition: string; segment: string };
  /** The partner's transport block (`type` plus that transport's settings). */
  transport: { type: string; [key: string]: unknown };
  /** Functional acknowledgment expected back (`none`: none). */
  expect: '997' | '999' | 'none';
  /** Milliseconds after sending when a missing acknowledgment becomes overdue. */
  deadlineMs: number;
  poAckDeadlineMs?: number;
  asnDeadlineMs?: number;
};

/** One interchange sent, as the registry keeps it: its envelope ids, what it belongs to and what we expect back. */
export type X12SentRecord = {
  partner: string;
  /** What we sent: `850`, `997`, `999`, `ta1`. */
  kind: string;
  /** ISA13 as written (9 digits). */
  isa13: string;
  messageId: string;
  deliveryId?: string;
  /** Name of the file written. */
  file?: string;
  /** One entry per transaction set (none for a TA1-only interchange). */
  sets: Array<{ gs06: string; st02: string; setId: string; poNumber?: string }>;
  /** Acknowledgments expected for each set: `997`/`999` (functional), `855`, `856`; `dueAt` epoch ms. */
  expect?: Array<{ expected: string; dueAt: number }>;
};

/** An interchange already recorded as sent for a delivery: enough to write the same bytes again. */
export type X12SentInterchange = {
  isa13: string;
  file?: string;
  gs06?: string;
  /** ST02 of each set, in order. */
  st02s: string[];
  /** When it was recorded (epoch ms): ISA09/ISA10 and GS04/GS05 of the interchange. */
  at: number;
};

/** Partner profiles, persistent control numbers and the registry of what was sent. */
export type X12Services = {
  /** The profile of a partner id, or undefined when no partner file has that id (or engine.yaml has no x12 identity). */
  partner(id: string): X12PartnerProfile | undefined;
  /** Takes the partner's next control numbers (persistent, never reused). */
  nextControlNumbers(
    partner: string,
    request: { interchanges?: number; groups?: number; sets?: number },
  ): Promise<{ interchanges: number[]; groups: number[]; sets: number[] }>;
  /** Records an interchange written for the partner, with the acknowledgments expected for it. */
  recordSent(record: X12SentRecord): Promise<void>;
  /** What was already sent for a delivery (a retry after a crash must not send it again). */
  sentFor(deliveryId: string): Promise<X12SentInterchange | undefined>;
};

/** An AS2 message we sent that asked for an MDN: what the MDN must show, and for whom it is a receipt. */
export type MdnOwed = {
  /** Partner file id, or the partner's AS2 name when the message went through a route's own `as2` destination. */
  partner: string;
  /** Our AS2 name (AS2-From of what we sent) and the partner's (AS2-To). */
  as2From: string;
  as2To: string;
  /** Message-ID of what we sent, with its angle brackets: the MDN's Original-Message-ID. */
  as2MessageId: string;
  /** The stored message the file belongs to (the message delivered, or the one an X12 answer answers). */
  messageId: string;
  deliveryId?: string;
  /** MIME filename of the payload. */
  file?: string;
  mode: 'sync' | 'async';
  /** Whether a signed MDN was asked for (an unsigned one is then refused). */
  signed: boolean;
  /** The MIC of what we sent in every digest the partner may answer with: digest → base64. */
  mics: Record<string, string>;
  /** Epoch ms after which the MDN is overdue (first send + the transport's `mdnDeadline`). */
  dueAt: number;
};

/** An MDN owed, as the ledger keeps it: how often it was sent, and what came back. */
export type MdnRecord = MdnOwed & {
  id: number;
  attempts: number;
  sentAt: number;
  lastSentAt: number;
  /** Set once a verified MDN came back (positive or not); never for an MDN whose signature failed. */
  settledAt?: number;
  /** `processed`, or the error code of what the MDN said (`as2-mdn-negative`, `as2-mic-mismatch`…). */
  outcome?: string;
  detail?: string;
};

/**
 * The MDNs our AS2 sender asked for, in the acknowledgment ledger: recorded before each send (a resend
 * of the same Message-ID counts an attempt and keeps the first deadline), settled when a verified MDN
 * comes back, synchronously in the response or asynchronously at our AS2 receiver. An MDN not settled
 * by its deadline is overdue (`GET /api/acks/overdue`, `interlace_acks_overdue`).
 */
export type MdnServices = {
  expect(owed: MdnOwed): Promise<void>;
  /** The MDN owed for a Message-ID we sent to `as2To`, if any. */
  find(as2To: string, as2MessageId: string): Promise<MdnRecord | undefined>;
  /**
   * Writes what came back in the ledger against the message and delivery (kind `mdn`). `settle` marks
   * the MDN as received (it stops being owed); false when another MDN had settled it already, and
   * nothing was written.
   */
  settle(result: { id: number; outcome: string; detail: string; settle: boolean }): Promise<boolean>;
};

/** Everything the engine offers connectors. Every member is always present; one the engine cannot offer fails when used. */
export type EngineServices = {
  x12: X12Services;
  partners: PartnerLinks;
  leases: Leases;
  mdns: MdnServices;
};

function missing(service: string, where: string): never {
  throw new ConfigError('engine-service-missing', `${where}: needs the engine's ${service} service; expected to run inside the engine`);
}

/** Services for code running outside the engine: any use fails with `engine-service-missing`. */
export function unavailableServices(where = 'this connector'): EngineServices {
  const fail = (service: string) => () => missing(service, where);
  return {
    x12: {
      partner: fail('x12'),
      nextControlNumbers: fail('x12'),
      recordSent: fail('x12'),
      sentFor: fail('x12'),
    },
    partners: { transportOf: () => undefined, send: fail('partner transport') },
    leases: { tryAcquire: fail('lease (Redis)') },
    mdns: { expect: fail('MDN ledger'), find: fail('MDN ledger'), settle: fail('MDN ledger') },
  };
}
