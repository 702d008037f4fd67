import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseHl7 } from '../../../parsers/hl7v2/index.js';
import type { Hl7Message, Hl7ParseOptions } from '../../../parsers/hl7v2/index.js';

/** The folder of the HL7 samples. */
export const SAMPLES = fileURLToPath(new URL('../../../samples/hl7/', import.meta.url));

export function sample(name: string): Buffer {
  return readFileSync(SAMPLES + name);
}

/** Every good sample (single messages) and every malformed one, by name relative to samples/hl7. */
export function sampleNames(): { good: string[]; bad: string[] } {
  const good = readdirSync(SAMPLES).filter((f) => f.endsWith('.hl7'));
  const bad = readdirSync(SAMPLES + 'bad').map((f) => `bad/${f}`);
  return { good, bad };
}

/** Parses text written with `\r` separators (latin1) and insists on a message. */
export function parseText(text: string, options?: Hl7ParseOptions): Hl7Message {
  const { message, diagnostics } = parseHl7(Buffer.from(text, 'latin1'), options);
  if (!message) throw new Error(`no message: ${diagnostics.map((d) => d.code).join(', ')}`);
  return message;
}

/** Parses a sample and insists on a message without error diagnostics. */
export function parseSample(name: string): Hl7Message {
  const { message, diagnostics } = parseHl7(sample(name));
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!message || errors.length > 0) throw new Error(`${name}: ${errors.map((d) => d.message).join('; ')}`);
  return message;
}
