import { readFileSync, statSync } from 'node:fs';
import { hl7v2, parseBatch } from '../../parsers/hl7v2/index.js';
import { parserFor, type Format } from '../../parsers/index.js';
import { summarizeX12File } from './x12-summary.js';

const FORMATS = ['auto', 'hl7v2', 'x12', 'fhir', 'json'];

/**
 * `interlace parse FILE`: the parsed message, its canonical documents and its findings as JSON.
 * Exit 0 when there is no error-level finding, 1 otherwise.
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
  if (opts.summary) return summarizeX12File(file);
  if (statSync(file).size > 512 * 1024 * 1024) {
    console.error(`interlace parse: ${file} is larger than 512 MiB; use --summary to check it in bounded memory`);
    return 1;
  }
  const raw = readFileSync(file);
  const parser = parserFor(opts.format as Format | 'auto', raw);
  if (!parser) {
    console.error(`interlace parse: ${file}: not a format this engine reads (expected HL7 v2 starting with MSH/FHS/BHS, X12 starting with ISA, FHIR JSON with a resourceType or FHIR XML, or canonical JSON)`);
    return 1;
  }
  const output = parser === hl7v2 && /^\s*(\ufeff)?(FHS|BHS)/.test(raw.subarray(0, 8).toString('latin1')) ? parseHl7Batch(raw, opts.encoding) : parseOne(parser, raw, opts.encoding);
  console.log(JSON.stringify({ file, ...output.json }, null, 2));
  for (const d of output.errors) console.error(`${file}: ${d}`);
  return output.errors.length === 0 ? 0 : 1;
}

type Output = { json: Record<string, unknown>; errors: string[] };

function parseOne(parser: NonNullable<ReturnType<typeof parserFor>>, raw: Buffer, encoding?: string): Output {
  const parsed = parser.parse(raw, { fallbackEncoding: encoding });
  const canonical = parsed.message ? parser.toCanonical(parsed.message) : { documents: [], diagnostics: [] };
  const diagnostics = [...parsed.diagnostics, ...canonical.diagnostics];
  return {
    json: {
      format: parser.format,
      header: parsed.message ? parser.header(parsed.message) : undefined,
      diagnostics,
      message: parsed.message ? parser.toTree(parsed.message) : undefined,
      canonical: canonical.documents,
    },
    errors: diagnostics.filter((d) => d.severity === 'error').map(describe),
  };
}

function parseHl7Batch(raw: Buffer, encoding?: string): Output {
  const batch = parseBatch(raw, { fallbackEncoding: encoding });
  const messages = batch.entries.map((e) => {
    const m = e.message;
    const canonical = m ? hl7v2.toCanonical(m) : { documents: [], diagnostics: [] };
    return { header: m ? hl7v2.header(m) : undefined, diagnostics: [...e.diagnostics, ...canonical.diagnostics], message: m ? hl7v2.toTree(m) : undefined, canonical: canonical.documents };
  });
  const all = [...batch.diagnostics, ...messages.flatMap((m) => m.diagnostics)];
  return { json: { format: 'hl7v2', batch: true, diagnostics: batch.diagnostics, messages }, errors: all.filter((d) => d.severity === 'error').map(describe) };
}

function describe(d: { code: string; message: string; location?: { segment?: string; segmentIndex?: number; field?: number } }): string {
  const where = d.location?.segment ? `${d.location.segment}${d.location.segmentIndex ? `#${d.location.segmentIndex}` : ''}${d.location.field ? `-${d.location.field}` : ''} ` : '';
  return `${where}${d.code}: ${d.message}`;
}
