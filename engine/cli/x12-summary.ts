import { createReadStream } from 'node:fs';
import type { Diagnostic } from '../../lib/errors.js';
import { X12Reader } from '../../parsers/x12/index.js';

/**
 * `interlace parse --summary FILE`: streams an X12 file (any size, bounded memory) and prints counts
 * and findings only. Exit 0 when there is no error-level finding.
 */
export async function summarizeX12File(file: string): Promise<number> {
  const counts = { interchanges: 0, groups: 0, sets: 0, segments: 0, bytes: 0 };
  const findings: Diagnostic[] = [];
  const keep = (d: Diagnostic, where: string) => {
    if (findings.length < 1000) findings.push({ ...d, message: `${where}: ${d.message}` });
  };
  const reader = new X12Reader(
    {
      interchange(ic) {
        counts.interchanges++;
        counts.segments += 2;
        for (const d of ic.diagnostics) keep(d, `ISA13 ${ic.header.controlNumber}`);
        for (const g of ic.groups) {
          counts.groups++;
          counts.segments += 2;
          for (const d of g.diagnostics) keep(d, `GS06 ${g.controlNumber}`);
          for (const s of g.sets) {
            counts.sets++;
            counts.segments += s.segmentCount;
            for (const d of s.diagnostics) keep(d, `ST02 ${s.controlNumber}`);
          }
        }
      },
      diagnostic: (d) => keep(d, 'outside any interchange'),
    },
    { retainSegments: false },
  );
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    counts.bytes += (chunk as Buffer).length;
    reader.push(chunk as Buffer);
  }
  reader.end();
  const errors = findings.filter((d) => d.severity === 'error').length;
  console.log(JSON.stringify({ file, format: 'x12', ...counts, errors, warnings: findings.length - errors, findings }, null, 2));
  return errors === 0 ? 0 : 1;
}
