import { fhir } from './fhir/index.js';
import { hl7v2 } from './hl7v2/index.js';
import { json } from './json/index.js';
import type { Format, ParserDefinition } from './types.js';
import { x12 } from './x12/index.js';

/** Every format, listed explicitly: adding one is one folder and one line here. */
export const parsers: readonly ParserDefinition[] = [hl7v2, x12, fhir as ParserDefinition, json];

/** The parser of a format; `auto` detects it from the first bytes. Undefined when nothing matches. */
export function parserFor(format: Format | 'auto', raw?: Uint8Array): ParserDefinition | undefined {
  if (format !== 'auto') return parsers.find((p) => p.format === format);
  return raw ? parsers.find((p) => p.detect(raw)) : undefined;
}

export type { Format, ParserDefinition, ParseOptions, ParseOutcome, MessageHeader, HttpAnswer, HttpAnswerHook } from './types.js';
