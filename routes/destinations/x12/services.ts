/**
 * What the engine gives destinations that send X12 (`DestinationContext.x12`): the partner profiles,
 * the persistent control numbers and the registry of what was sent. Declared here so that routes
 * depend on nothing of the engine; `engine/x12/` implements it.
 */

/** A trading partner as an X12 destination needs it: both parties' ids, format and where files go. */
export type X12PartnerProfile = {
  id: string;
  /** Us: ISA05/ISA06 and GS02 of what we send. */
  us: { qualifier: string; id: string; applicationCode: string };
  /** The partner: ISA07/ISA08 and GS03 of what we send. */
  partner: { qualifier: string; id: string; applicationCode: string };
  version: '004010' | '005010';
  delimiters: { element: string; component: string; repetition: string; segment: string };
  /** Only `file` is supported by this engine; the others are refused when a destination is created. */
  transport: { type: 'file'; outbound: string; inbound: string } | { type: 'sftp' | 'as2' };
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

export type X12Services = {
  /** The profile of a partner id, or undefined when no partner file has that id. */
  partner(id: string): X12PartnerProfile | undefined;
  /** Takes the partner's next control numbers (persistent, never reused). */
  nextControlNumbers(partner: string, request: { interchanges?: number; groups?: number; sets?: number }): Promise<{ interchanges: number[]; groups: number[]; sets: number[] }>;
  /** Records an interchange written for the partner, with the acknowledgments expected for it. */
  recordSent(record: X12SentRecord): Promise<void>;
  /** What was already sent for a delivery (a retry after a crash must not send it again). */
  sentFor(deliveryId: string): Promise<{ isa13: string; file?: string } | undefined>;
};
