/**
 * Prints the conformance corpus figures: files and messages per format, valid and bad, and how far
 * the independent readers agree. Run: node --import tsx test/conformance/figures.ts
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X12Parser } from 'node-x12';
import { forNodeX12, ourFields, ourMessages } from './summary.js';

const ROOT = fileURLToPath(new URL('../fixtures/conformance/', import.meta.url));
const rows = readFileSync(join(ROOT, 'SOURCES.tsv'), 'utf8')
  .trimEnd()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'));
const of = (format: string, verdict?: string) =>
  rows.filter((r) => r[0]!.startsWith(`${format}/`) && (verdict === undefined || r[1] === verdict));

for (const format of ['hl7', 'x12']) {
  console.log(`${format}: ${of(format).length} files, ${of(format, 'valid').length} valid, ${of(format, 'bad').length} bad`);
}
console.log(`hl7 messages: ${of('hl7').reduce((n, r) => n + ourMessages(readFileSync(join(ROOT, r[0]!))).length, 0)}`);
console.log(`x12 interchanges: ${of('x12').reduce((n, r) => n + r[2]!.split(' || ').length, 0)}`);

const valid = of('hl7', 'valid').map((r) => join(ROOT, r[0]!));
const run = spawnSync('/usr/bin/python3', [fileURLToPath(new URL('./python-hl7-fields.py', import.meta.url)), ...valid], {
  encoding: 'utf8',
  maxBuffer: 1 << 26,
});
const theirs = JSON.parse(run.stdout) as Record<string, string[][][]>;
let fields = 0;
let same = 0;
for (const file of valid) {
  ourMessages(readFileSync(file)).forEach((m, i) =>
    ourFields(m).forEach((segment, j) =>
      segment.forEach((value, k) => {
        fields++;
        if (theirs[file]?.[i]?.[j]?.[k] === value) same++;
      }),
    ),
  );
}
console.log(`python3-hl7: ${same} of ${fields} fields identical in ${valid.length} valid HL7 files`);

let agree = 0;
for (const r of of('x12')) {
  const text = forNodeX12(readFileSync(join(ROOT, r[0]!)));
  let bad = false;
  try {
    new X12Parser(true).parse(text);
  } catch {
    bad = true;
  }
  if (bad === (r[1] === 'bad')) agree++;
}
console.log(`node-x12 strict: same envelope verdict on ${agree} of ${of('x12').length} X12 files`);
