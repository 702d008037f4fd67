import { hl7v2, isHl7Batch, parseBatch } from '../../parsers/hl7v2/index.js';
import type { Diagnostic } from '../../lib/errors.js';
import { parserFor, type Format } from '../../parsers/index.js';
import { summarizeX12File } from './x12-summary.js';
import { checkInputFile, readInputFile, readInputHead } from './input.js';

const FORMATS = ['auto', 'hl7v2', 'x12', 'fhir', 'json'];

/**
 * Findings that only say a message has no canonical mapping (an 837, an ORU…): the message is valid,
 * nothing canonical was produced. They are notes, not errors: `parse` exits 0 and says so.
 */
const UNMAPPED_CODES = new Set(['x12-set-unmapped', 'unsupported-message-type', 'unsupported-event', 'fhir-not-mapped']);

/**
 * `interlace parse FILE`: the parsed message, its canonical documents and its findings as JSON.
 * HL7 files of several messages one after the other (with or without FHS/BHS) are read message by
 * message. Exit 0 when there is no error-level finding (a valid message without a canonical mapping
 * gets a note on stderr), 1 otherwise.
 */
export async function parseCommand(files: string[], opts: { format: string; summary: boolean; encoding?: string }): Promise<number> {
  if (files.length !== 1) {
    console.error('usage: interlace parse FILE [--format auto|hl7v2|x12|fhir|json] [--summary]');
    return 2;
  }
  if (!FORMATS.includes(opts.format)) {
    console.error(`interlace parse: --format ${opts.format} is not one of ${FORMATS.join(', ')}`);
    return 2;
  }
  const file = files[0]!;
  if (opts.summary) {
    checkInputFile(file);
    if (opts.format !== 'auto' && opts.format !== 'x12') {
      console.error(`interlace parse: --summary reads X12 only; ${file} was given --format ${opts.format} (drop --summary to read it)`);
      return 2;
    }
    if (opts.format === 'auto' && parserFor('auto', readInputHead(file))?.format !== 'x12') {
      console.error(`interlace parse: --summary reads X12 only and ${file} does not start with ISA (drop --summary to read it)`);
      return 1;
    }
    return summarizeX12File(file);
  }
  if (checkInputFile(file) > 512 * 1024 * 1024) {
    console.error(`interlace parse: ${file} is larger than 512 MiB; use --summary to check it in bounded memory`);
    return 1;
  }
  const raw = readInputFile(file);
  const parser = parserFor(opts.format as Format | 'auto', raw);
  if (!parser) {
    console.error(
      `interlace parse: ${file}: not a format this engine reads (expected HL7 v2 starting with MSH/FHS/BHS, X12 starting with ISA, FHIR JSON with a resourceType or FHIR XML, or canonical JSON)`,
    );
    return 1;
  }
  const output = parser === hl7v2 && isHl7Batch(raw) ? parseHl7Batch(raw, opts.encoding) : parseOne(parser, raw, opts.encoding);
  console.log(JSON.stringify({ file, ...output.json }, null, 2));
  for (const d of output.errors) console.error(`${file}: ${d}`);
  for (const n of output.notes) console.error(`${file}: note: no canonical document was produced: ${n}`);
  return output.errors.length === 0 ? 0 : 1;
}

type Output = { json: Record<string, unknown>; errors: string[]; notes: string[] };

/** Splits findings into errors and notes (valid but unmapped), each described in one line. */
function triage(diagnostics: Diagnostic[]): { errors: string[]; notes: string[] } {
  const notes = diagnostics.filter((d) => UNMAPPED_CODES.has(d.code));
  const errors = diagnostics.filter((d) => d.severity === 'error' && !UNMAPPED_CODES.has(d.code));
  return { errors: errors.map(describe), notes: notes.map((d) => d.message) };
}

function parseOne(parser: NonNullable<ReturnType<typeof parserFor>>, raw: Buffer, encoding?: string): Output {
  const parsed = parser.parse(raw, { fallbackEncoding: encoding });
  const canonical = parsed.message ? parser.toCanonical(parsed.message) : { documents: [], diagnostics: [] };
  const diagnostics = [...parsed.diagnostics, ...canonical.diagnostics];
  const { errors, notes } = triage(diagnostics);
  return {
    json: {
      format: parser.format,
      header: parsed.message ? parser.header(parsed.message) : undefined,
      diagnostics: diagnostics.filter((d) => !UNMAPPED_CODES.has(d.code)),
      ...(notes.length > 0 ? { notes } : {}),
      message: parsed.message ? parser.toTree(parsed.message) : undefined,
      canonical: canonical.documents,
    },
    errors,
    notes,
  };
}

function parseHl7Batch(raw: Buffer, encoding?: string): Output {
  const batch = parseBatch(raw, { fallbackEncoding: encoding });
  const messages = batch.entries.map((e) => {
    const m = e.message;
    const canonical = m ? hl7v2.toCanonical(m) : { documents: [], diagnostics: [] };
    const diagnostics = [...e.diagnostics, ...canonical.diagnostics];
    const notes = diagnostics.filter((d) => UNMAPPED_CODES.has(d.code)).map((d) => d.message);
    return {
      header: m ? hl7v2.header(m) : undefined,
      diagnostics: diagnostics.filter((d) => !UNMAPPED_CODES.has(d.code)),
      ...(notes.length > 0 ? { notes } : {}),
      message: m ? hl7v2.toTree(m) : undefined,
      canonical: canonical.documents,
      all: diagnostics,
    };
  });
  const { errors, notes } = triage([...batch.diagnostics, ...messages.flatMap((m) => m.all)]);
  const shown = messages.map(({ all: _all, ...rest }) => rest);
  return { json: { format: 'hl7v2', batch: true, diagnostics: batch.diagnostics, messages: shown }, errors, notes };
}

function describe(d: { code: string; message: string; location?: { segment?: string; segmentIndex?: number; field?: number } }): string {
  const where = d.location?.segment
    ? `${d.location.segment}${d.location.segmentIndex ? `#${d.location.segmentIndex}` : ''}${d.location.field ? `-${d.location.field}` : ''} `
    : '';
  return `${where}${d.code}: ${d.message}`;
}
