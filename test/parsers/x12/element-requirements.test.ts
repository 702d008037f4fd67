import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseX12, type X12ReadSet } from '../../../parsers/x12/index.js';
import { transactionSets } from '../../../parsers/x12/sets/index.js';
import { designation, designationsFor } from '../../../parsers/x12/sets/common/designations.js';
import { checkControlSegment, checkGs, checkIsa, checkSt } from '../../../parsers/x12/validate.js';
import type { X12Segment } from '../../../parsers/x12/types.js';
import { sample } from './helpers.js';

/**
 * The element requirements Interlace enforces, against the table that names the base-standard source
 * of each (docs/x12-element-requirements.md). Two ways: the designations the code holds must be the
 * table's, and every element the set mappers and the envelope checks actually report as missing when
 * it is blanked must be M in the table for that set and version (so nothing an implementation guide
 * asks for is enforced on everyone).
 */

type Band = '003xxx' | '004010' | '005010';
const BANDS: Record<Band, string> = { '003xxx': '003060', '004010': '004010', '005010': '005010' };
type Row = { element: string; sets: string; designations: Record<Band, string>; source: string };

function table(): Row[] {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/x12-element-requirements.md', import.meta.url)), 'utf8');
  return doc
    .split('\n')
    .filter((line) => /^\| [A-Z][A-Z0-9]{1,2}\d{2} \|/.test(line))
    .map((line) => {
      const [element, sets, a, b, c, source] = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      return { element: element!, sets: sets!, designations: { '003xxx': a!, '004010': b!, '005010': c! }, source: source! };
    });
}

const rows = table();

/** The table's designation of an element for a set (a set note wins over the segment dictionary). */
function tabled(setId: string, band: Band, element: string): string | undefined {
  const note = rows.find((r) => r.element === element && r.sets === setId);
  const all = rows.find((r) => r.element === element && r.sets === 'all');
  return (note ?? all)?.designations[band];
}

/** The sample sets of each mapper, in the three version bands (003xxx: the 004010 samples relabelled). */
function sampleSets(): Array<{ band: Band; set: X12ReadSet }> {
  const files = ['850/850-004010.x12', '850/850-005010.x12', '855/855-004010.x12', '855/855-005010.x12'];
  files.push('856/856-sopi-004010.x12', '856/856-soip-005010.x12', '810/810-004010.x12', '810/810-005010.x12');
  files.push('835/835-004010.x12', '835/835-005010.x12');
  const out: Array<{ band: Band; set: X12ReadSet }> = [];
  for (const file of files) {
    const text = sample(file).toString('latin1');
    const variants: Array<[Band, string]> = file.includes('004010')
      ? [
          ['004010', text],
          ['003xxx', text.replace('*00401*', '*00306*').replace(/\*X\*004010(~|\r?\n)/, '*X*003060$1')],
        ]
      : [['005010', text]];
    for (const [band, body] of variants) {
      const parsed = parseX12(Buffer.from(body, 'latin1'));
      for (const set of parsed.message!.interchanges[0]!.groups[0]!.sets) {
        expect(set.version.slice(0, 6), file).to.equal(BANDS[band]);
        out.push({ band, set });
      }
    }
  }
  return out;
}

function blanked(segment: X12Segment, n: number): X12Segment {
  const elements = [...segment.elements];
  elements[n] = '';
  return { ...segment, elements };
}

describe('x12 element requirements follow the base standard (docs/x12-element-requirements.md)', () => {
  it('names a base-standard source for every row, and never an implementation guide', () => {
    expect(rows.length).to.be.greaterThan(90);
    for (const r of rows) {
      expect(r.source, r.element).to.match(/dictionar|X12\.[56]|transaction set/);
      expect(r.source, r.element).to.not.match(/implementation guide|HIPAA|X\d{3}A?\d?\b/i);
      for (const d of Object.values(r.designations)) expect(d, r.element).to.be.oneOf(['M', 'X', 'O']);
    }
  });

  it('holds the same designations as the code, for every set and version band', () => {
    const differ: string[] = [];
    for (const setId of transactionSets.map((m) => m.id)) {
      for (const band of Object.keys(BANDS) as Band[]) {
        const code = designationsFor(setId, BANDS[band]);
        for (const [element, d] of Object.entries(code)) {
          if (tabled(setId, band, element) !== d)
            differ.push(`${setId} ${band} ${element}: code ${d}, table ${tabled(setId, band, element)}`);
        }
        for (const r of rows.filter((row) => row.sets === 'all' || row.sets === setId)) {
          if (r.sets === 'envelope') continue;
          const d = designation(setId, BANDS[band], r.element.slice(0, -2), Number(r.element.slice(-2)));
          if (d !== tabled(setId, band, r.element)) differ.push(`${setId} ${band} ${r.element}: table ${r.designations[band]}, code ${d}`);
        }
      }
    }
    expect(differ).to.deep.equal([]);
  });

  it('reports an empty element as missing only when the table makes it M for that set and version (every element of every sample blanked in turn)', () => {
    const enforced = new Set<string>();
    const overreach: string[] = [];
    for (const { band, set } of sampleSets()) {
      const mapper = transactionSets.find((m) => m.id === set.id)!;
      set.segments.forEach((segment, i) => {
        if (segment.id === 'ST' || segment.id === 'SE') return;
        for (let n = 1; n < segment.elements.length; n++) {
          if (segment.elements[n] === '') continue;
          const segments = set.segments.map((s, j) => (j === i ? blanked(s, n) : s));
          const { diagnostics } = mapper.toCanonical({ ...set, segments });
          const ref = `${segment.id}${String(n).padStart(2, '0')}`;
          const missing = diagnostics.filter(
            (d) => d.code === 'x12-element-missing' && d.location?.segmentIndex === segment.position && d.location.field === n,
          );
          if (missing.length === 0) continue;
          enforced.add(`${set.id} ${band} ${ref}`);
          if (tabled(set.id, band, ref) !== 'M')
            overreach.push(`${set.id} ${band} ${ref} (table: ${tabled(set.id, band, ref) ?? 'not listed'})`);
        }
      });
    }
    expect(overreach, 'reported missing but not mandatory in the base standard').to.deep.equal([]);
    // The enumeration must have found the usual suspects, so that it can fail.
    for (const expected of [
      '850 004010 BEG03',
      '850 005010 PO102',
      '810 003xxx IT102',
      '856 004010 HL03',
      '855 005010 BAK04',
      '835 005010 CLP04',
    ])
      expect([...enforced], expected).to.include(expected);
    expect([...enforced].filter((e) => / (PO101|IT101|PO103) /.test(` ${e.split(' ')[2]} `))).to.deep.equal([]);
  });

  it('reports an empty envelope element exactly where the table makes it M (ISA, GS, ST, ISB, ISE)', () => {
    const text = sample('850/850-004010.x12').toString('latin1');
    const ic = parseX12(Buffer.from(text, 'latin1')).message!.interchanges[0]!;
    const group = ic.groups[0]!;
    const st = group.sets[0]!.segments[0]!;
    const isb: X12Segment = { id: 'ISB', elements: ['ISB', '1'], position: 2 };
    const ise: X12Segment = { id: 'ISE', elements: ['ISE', '261231', '1200', 'UT'], position: 3 };
    const cases: Array<[X12Segment, (s: X12Segment) => string[]]> = [
      [ic.isa, (s) => checkIsa(s).map((d) => `${d.code} ${d.location?.field}`)],
      [group.gs, (s) => checkGs(s).map((d) => `${d.code} ${d.location?.field}`)],
      [st, (s) => checkSt(s, new Set()).map((d) => `${d.code} ${d.location?.field}`)],
      [isb, (s) => checkControlSegment(s, []).map((d) => `${d.code} ${d.location?.field}`)],
      [ise, (s) => checkControlSegment(s, []).map((d) => `${d.code} ${d.location?.field}`)],
    ];
    const wrong: string[] = [];
    for (const [segment, check] of cases) {
      expect(check(segment), segment.id).to.deep.equal([]);
      for (let n = 1; n < segment.elements.length; n++) {
        const ref = `${segment.id}${String(n).padStart(2, '0')}`;
        const row = rows.find((r) => r.element === ref && r.sets === 'envelope');
        if (!row) {
          wrong.push(`${ref} is not in the table`);
          continue;
        }
        // ISA elements are fixed width: an empty one is spaces (ISA16, one character, is really empty).
        const empty = segment.id === 'ISA' && n < 16 ? ' '.repeat(segment.elements[n]!.length) : '';
        const reported = check({ ...segment, elements: segment.elements.map((v, i) => (i === n ? empty : v)) }).some((f) =>
          f.endsWith(` ${n}`),
        );
        const qualifierNone = segment.id === 'ISA' && (n === 2 || n === 4); // ISA01/ISA03 00: no information, spaces
        const mandatory = row.designations['004010'] === 'M' && !qualifierNone;
        if (reported !== mandatory)
          wrong.push(`${ref}: ${reported ? 'reported' : 'not reported'} when empty, table ${row.designations['004010']}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });
});
