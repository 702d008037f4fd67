import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../lib/errors.js';
import { diagnosticWithoutValues, errorWithoutValues, withoutValues } from '../../lib/phi.js';
import { parsers } from '../../parsers/index.js';

/** A seeded identifier no sample contains: wherever it lands, it must not survive into a list or a log. */
const SEED = 'MRN7731946';
const sample = (path: string) => readFileSync(new URL(`../../samples/${path}`, import.meta.url));

/** Every diagnostic a parser reports for `raw`, parse and canonical mapping both. */
function diagnosticsOf(format: string, raw: Buffer): Diagnostic[] {
  const parser = parsers.find((p) => p.format === format)!;
  const outcome = parser.parse(raw);
  const out = [...outcome.diagnostics];
  if (outcome.message !== undefined) {
    try {
      out.push(...parser.toCanonical(outcome.message).diagnostics);
    } catch {
      // toCanonical promises not to throw; if it does, another test says so
    }
  }
  return out;
}

/** The input with the seed put, in turn, in place of each field / element (and appended to it). */
function* seeded(text: string, segmentSep: string, fieldSep: string): Generator<string> {
  const segments = text.split(segmentSep);
  for (let s = 0; s < segments.length; s++) {
    const fields = segments[s]!.split(fieldSep);
    for (let f = 1; f < fields.length; f++) {
      for (const v of [SEED, `${fields[f]}${SEED}`, `"${SEED}`, `${SEED}'`]) {
        const copy = [...fields];
        copy[f] = v;
        yield [...segments.slice(0, s), copy.join(fieldSep), ...segments.slice(s + 1)].join(segmentSep);
      }
    }
  }
}

describe('PHI stays out of lists and logs (lib/phi.ts)', () => {
  it('withoutValues replaces quoted spans and keeps positions and expectations', () => {
    expect(withoutValues(`BSN03 is "${SEED}"; expected CCYYMMDD`)).to.equal('BSN03 is "…"; expected CCYYMMDD');
    expect(withoutValues(`MSH-12 '${SEED}' is not a supported version`)).to.equal("MSH-12 '…' is not a supported version");
    const e = errorWithoutValues({
      code: 'x',
      message: `"${SEED}"`,
      diagnostics: [{ severity: 'error', code: 'invalid-value', message: 'ok', value: SEED }],
    });
    expect(JSON.stringify(e)).to.not.include(SEED);
  });

  const cases: Array<[string, string, string, string]> = [
    ['hl7v2', 'hl7/dft-p03-hip-implant.hl7', '\r', '|'],
    ['hl7v2', 'hl7/adt-a01-admit.hl7', '\r', '|'],
    ['x12', 'x12/850/850-005010.x12', '~', '*'],
    ['x12', 'x12/856/856-sopi-004010.x12', '~', '*'],
    ['x12', 'x12/810/810-004010.x12', '~', '*'],
    ['x12', 'x12/855/855-005010.x12', '~', '*'],
    ['json', 'json/purchase-order.json', ',', ':'],
  ];
  for (const [format, path, seg, sep] of cases) {
    it(`${format}: a seeded identifier in any field of ${path} never reaches a list-safe diagnostic`, () => {
      const text = sample(path).toString('latin1');
      let inputs = 0;
      let findings = 0;
      const leaks: string[] = [];
      for (const input of seeded(text, seg, sep)) {
        inputs++;
        for (const d of diagnosticsOf(format, Buffer.from(input, 'latin1'))) {
          findings++;
          const shown = JSON.stringify(diagnosticWithoutValues(d));
          if (shown.includes(SEED.slice(3)) && leaks.length < 400) leaks.push(`${d.code}: ${d.message}`);
        }
      }
      expect(inputs).to.be.greaterThan(20);
      expect(findings, 'the seeded inputs should produce findings').to.be.greaterThan(0);
      expect(leaks, 'diagnostics that show a value outside quotes or `value`').to.deep.equal([]);
    });
  }

  it('json: a syntax error never quotes the body in its message; the text is kept in `value` for the detail view', () => {
    const [d] = diagnosticsOf('json', Buffer.from(`{"patient": ${SEED}}`));
    expect(d!.code).to.equal('json-syntax');
    expect(d!.message).to.not.include(SEED);
    expect(d!.value).to.include(SEED);
  });
});
