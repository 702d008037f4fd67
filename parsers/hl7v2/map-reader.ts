import type { Encounter, Identifier, Source } from '../../model/index.js';
import { hl7DateToIso } from './datetime.js';
import type { DiagnosticSink } from './diagnostics.js';
import { unescape } from './escape.js';
import { messageHeader } from './header.js';
import { leafOf } from './path.js';
import type { Hl7Message, Hl7Segment } from './types.js';

/**
 * Reads logical values of one segment for the canonical mapping, reporting what is missing or
 * malformed with its position (`FT1-7.1 is empty; expected an item number`). Messages never quote
 * values: they may be PHI.
 */
export class SegmentReader {
  constructor(
    readonly message: Hl7Message,
    readonly segment: Hl7Segment,
    /** 1-based position of the segment in the message. */
    readonly index: number,
    private readonly sink: DiagnosticSink,
  ) {}

  /** The logical value at field.component.subcomponent of a repetition; undefined when empty or `""`. */
  text(field: number, component = 1, subcomponent = 1, repetition = 1): string | undefined {
    const raw = leafOf(this.segment.fields[field] ?? '', this.message.delimiters, repetition, component, subcomponent);
    if (raw === '' || raw === '""') return undefined;
    const value = unescape(raw, this.message.delimiters, this.message.encoding).trim();
    return value === '' ? undefined : value;
  }

  /** The first component of every repetition of a field. */
  repetitions(field: number, component = 1): string[] {
    const text = this.segment.fields[field] ?? '';
    const count = text === '' ? 0 : text.split(this.message.delimiters.repetition || '\u0000').length;
    const out: string[] = [];
    for (let r = 1; r <= count; r++) {
      const v = this.text(field, component, 1, r);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** A required value: an error naming the place when it is empty. */
  required(field: number, component: number | undefined, expected: string): string | undefined {
    const value = this.text(field, component ?? 1);
    if (value === undefined) {
      this.sink.error('required-field-missing', `${this.name(field, component)} is empty; expected ${expected}`, this.at(field, component));
    }
    return value;
  }

  /** An HL7 date/time as ISO 8601 with the precision given; an error when it is not one. */
  date(field: number, component?: number, subcomponent?: number): string | undefined {
    const value = this.text(field, component ?? 1, subcomponent ?? 1);
    if (value === undefined) return undefined;
    const iso = hl7DateToIso(value);
    if (iso === undefined) {
      this.sink.error(
        'invalid-date',
        `${this.name(field, component, subcomponent)} is not an HL7 date/time; expected YYYYMMDD[HHMM[SS[.S]]][+ZZZZ]`,
        this.at(field, component, subcomponent),
      );
    }
    return iso;
  }

  /** An HL7 number (NM) as a decimal string (`+1` → `1`, `.5` → `0.5`); an error when it is not one. */
  decimal(field: number, component?: number, subcomponent?: number): string | undefined {
    const value = this.text(field, component ?? 1, subcomponent ?? 1);
    if (value === undefined) return undefined;
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
      this.sink.error(
        'invalid-number',
        `${this.name(field, component, subcomponent)} is not a number; expected digits with an optional sign and decimal point`,
        this.at(field, component, subcomponent),
      );
      return undefined;
    }
    const whole = m[2] === '' ? '0' : m[2]!;
    const fraction = m[3] ? `.${m[3]}` : '';
    const sign = m[1] === '-' && /[1-9]/.test(whole + fraction) ? '-' : '';
    return `${sign}${whole}${fraction}`;
  }

  /** A person location (PL) as `pointOfCare^room^bed` without trailing empties. */
  location(field: number): string | undefined {
    const parts = [this.text(field, 1), this.text(field, 2), this.text(field, 3)].map((p) => p ?? '');
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts.length === 0 ? undefined : parts.join('^');
  }

  warn(code: 'required-field-missing' | 'missing-segment', message: string, field?: number, component?: number): void {
    this.sink.warn(code, message, this.at(field, component));
  }

  /** `FT1-7.1`: how a position is named in messages. */
  name(field: number, component?: number, subcomponent?: number): string {
    const c = component === undefined ? '' : `.${component}`;
    return `${this.segment.id}-${field}${c}${component !== undefined && subcomponent !== undefined ? `.${subcomponent}` : ''}`;
  }

  private at(field?: number, component?: number, subcomponent?: number) {
    return { segment: this.segment.id, segmentIndex: this.index, field, component, subcomponent };
  }
}

/** A reader for the first segment with this id, or undefined. */
export function readerFor(message: Hl7Message, id: string, sink: DiagnosticSink): SegmentReader | undefined {
  const index = message.segments.findIndex((s) => s.id === id);
  return index === -1 ? undefined : new SegmentReader(message, message.segments[index]!, index + 1, sink);
}

/** Where a canonical document came from: ids only. */
export function sourceOf(message: Hl7Message): Source {
  const h = messageHeader(message);
  const source: Source = { format: 'hl7v2' };
  if (h.messageType) source.messageType = h.messageType;
  if (h.controlId) source.controlId = h.controlId;
  if (h.sender) source.sender = h.sender;
  if (h.receiver) source.receiver = h.receiver;
  if (h.version) source.version = h.version;
  return source;
}

/** PID-3, first repetition: id (.1), assigning authority (.4.1) as system, identifier type (.5). */
export function patientIdOf(pid: SegmentReader | undefined): Identifier | undefined {
  const value = pid?.text(3, 1);
  if (!pid || value === undefined) return undefined;
  const id: Identifier = { value };
  const system = pid.text(3, 4);
  const type = pid.text(3, 5);
  if (system) id.system = system;
  if (type) id.type = type;
  return id;
}

/**
 * The encounter of a message from PID and PV1: account PID-18.1, visit PV1-19.1, patient PID-3
 * (first repetition), class PV1-2.1, location PV1-3 (`pointOfCare^room^bed`), facility PV1-3.4,
 * admit PV1-44, discharge PV1-45, attending provider PV1-7.1 (id only). No names.
 */
export function encounterOf(message: Hl7Message, event: string, sink: DiagnosticSink, source = sourceOf(message)): Encounter {
  const pid = readerFor(message, 'PID', sink);
  const pv1 = readerFor(message, 'PV1', sink);
  const fields: Partial<Encounter> = {
    event,
    accountNumber: pid?.text(18, 1),
    visitNumber: pv1?.text(19, 1),
    patientId: patientIdOf(pid),
    patientClass: pv1?.text(2, 1),
    location: pv1?.location(3),
    facility: pv1?.text(3, 4),
    admitAt: pv1?.date(44),
    dischargeAt: pv1?.date(45),
    attendingProvider: pv1?.text(7, 1),
  };
  return { kind: 'encounter', ...compact(fields), source };
}

/** Drops undefined properties (zod's optional fields accept absence, and output stays tidy). */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const v = source[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}
