import type { ParseOptions } from '../types.js';

/**
 * The delimiters of one message, as read from MSH-1 (field) and MSH-2 (component, repetition,
 * escape, subcomponent and, from v2.7, truncation). `escape` is empty when MSH-2 has fewer than three
 * characters: the message then cannot carry escape sequences. The segment separator written is
 * always CR.
 */
export type Hl7Delimiters = {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** The v2.7 truncation character (5th character of MSH-2), when present. */
  truncation?: string;
};

/** The delimiters of HL7 v2 when a message does not say otherwise: `|^~\&`. */
export const DEFAULT_DELIMITERS: Readonly<Hl7Delimiters> = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

/**
 * One segment. `fields` holds the still-encoded text of each field as it was received, so that
 * serializing reproduces the input exactly: `fields[0]` is the segment id and `fields[n]` is field n
 * as HL7 counts it. For MSH, FHS and BHS `fields[1]` is the field separator itself and `fields[2]` the
 * encoding characters, so MSH-3 is `fields[3]`, as in the standard.
 */
export type Hl7Segment = {
  id: string;
  fields: string[];
};

/**
 * A parsed HL7 v2 message. Values stay encoded (escaped) in `segments`; read them through `get` /
 * `getField` (unescaped) and change them through `set` (escaped on write), which keeps untouched bytes
 * as received.
 */
export type Hl7Message = {
  delimiters: Hl7Delimiters;
  segments: Hl7Segment[];
  /** The character set the bytes were decoded with (a Node / iconv-lite name: `latin1`, `utf8`…). */
  encoding: string;
  /** True when the input started with a UTF-8 byte order mark (written back on serialize). */
  bom: boolean;
  /** True when the last segment was followed by a segment separator (written back as CR). */
  terminated: boolean;
  /** The options the message was parsed with (strict mode also applies to `toCanonical`). */
  options: Hl7ParseOptions;
};

/** Parse options of the HL7 parser: the shared ones plus limits. */
export type Hl7ParseOptions = ParseOptions & {
  /** A segment longer than this (in characters) is reported (`segment-too-long`). Default 1 MiB. */
  maxSegmentLength?: number;
  /** At most this many diagnostics are reported; the rest are counted in one last finding. Default 100. */
  maxDiagnostics?: number;
};

/** A position inside a message, as HL7 counts (all 1-based). */
export type Hl7Path = {
  segment: string;
  /** Which occurrence of the segment id (1 = the first PID). */
  occurrence: number;
  field: number;
  repetition: number;
  component: number;
  subcomponent: number;
  /** Which levels the path text spelled out (the others defaulted to 1). */
  given: { repetition: boolean; component: boolean; subcomponent: boolean };
};
