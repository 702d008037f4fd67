import type { MessageHeader } from '../types.js';
import { get } from './path.js';
import type { Hl7Message } from './types.js';

/** What MSH says about a message: ids and codes only, never PHI. Empty fields are absent. */
export type Hl7Header = MessageHeader & {
  /** MSH-9.1, e.g. `DFT`. */
  type?: string;
  /** MSH-9.2, e.g. `P03`. */
  event?: string;
  /** MSH-7 as sent (HL7 timestamp). */
  timestamp?: string;
  /** MSH-11.1: P, D or T. */
  processingId?: string;
  /** MSH-18 first repetition, e.g. `8859/1`. */
  charset?: string;
  /** MSH-15 accept acknowledgment type (AL, NE, ER, SU). */
  acceptAckType?: string;
  /** MSH-16 application acknowledgment type. */
  applicationAckType?: string;
};

function value(message: Hl7Message, path: string): string | undefined {
  const v = get(message, path);
  return v === null || v === '' ? undefined : v;
}

function joined(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined && b === undefined) return undefined;
  return `${a ?? ''}^${b ?? ''}`;
}

/** The MSH-10 control id. */
export function controlId(message: Hl7Message): string | undefined {
  return value(message, 'MSH-10');
}

/** `DFT^P03` (MSH-9.1^MSH-9.2), or just MSH-9.1 when there is no event. */
export function messageType(message: Hl7Message): string | undefined {
  const type = value(message, 'MSH-9.1');
  const event = value(message, 'MSH-9.2');
  if (type === undefined) return undefined;
  return event === undefined ? type : `${type}^${event}`;
}

/**
 * The header helpers in one object: control id MSH-10, sender `MSH-3^MSH-4` and receiver
 * `MSH-5^MSH-6` (first components: namespace ids), type MSH-9, version MSH-12, processing id MSH-11,
 * charset MSH-18, acknowledgment types MSH-15/16.
 */
export function messageHeader(message: Hl7Message): Hl7Header {
  const header: Hl7Header = {
    controlId: controlId(message),
    sender: joined(value(message, 'MSH-3.1'), value(message, 'MSH-4.1')),
    receiver: joined(value(message, 'MSH-5.1'), value(message, 'MSH-6.1')),
    messageType: messageType(message),
    version: value(message, 'MSH-12.1'),
    type: value(message, 'MSH-9.1'),
    event: value(message, 'MSH-9.2'),
    timestamp: value(message, 'MSH-7.1'),
    processingId: value(message, 'MSH-11.1'),
    charset: value(message, 'MSH-18.1'),
    acceptAckType: value(message, 'MSH-15'),
    applicationAckType: value(message, 'MSH-16'),
  };
  for (const key of Object.keys(header) as (keyof Hl7Header)[]) if (header[key] === undefined) delete header[key];
  return header;
}
