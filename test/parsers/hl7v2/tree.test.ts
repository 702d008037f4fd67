import { expect } from 'chai';
import { hl7DateToIso, parseHl7, set, toTree, unescape, type Hl7Message } from '../../../parsers/hl7v2/index.js';
import { parseText, sample, sampleNames } from './helpers.js';

const TEXT =
  'MSH|^~\\&|A|B|C|D|20261121||DFT^P03|C1|P|2.5.1\rPID|1||MRN1~MRN2^^^X||DOE^J\rFT1|1||||||100234^STEM\rFT1|2||||||100567^SHELL\r';

describe('hl7v2: the tree (built on first read)', () => {
  it('is a snapshot: values written to the message after toTree do not show, read before or after', () => {
    const m = parseText(TEXT);
    const tree = toTree(m) as any;
    expect(tree.PID.PID_3[0].PID_3_1).to.equal('MRN1');
    set(m, 'PID-3.1', 'CHANGED');
    set(m, 'FT1[2]-7.1', 'CHANGED');
    expect(tree.PID.PID_3[0].PID_3_1).to.equal('MRN1');
    expect(tree.FT1[1].FT1_7.FT1_7_1).to.equal('100567');
    expect((toTree(m) as any).FT1[1].FT1_7.FT1_7_1).to.equal('CHANGED');
  });

  it('enumerates, serialises and compares like a plain object, in message order', () => {
    const tree = toTree(parseText(TEXT)) as any;
    expect(Object.keys(tree)).to.deep.equal(['MSH', 'PID', 'FT1']);
    const json = JSON.parse(JSON.stringify(tree));
    expect(json.FT1).to.have.length(2);
    expect(json.PID.PID_5).to.deep.equal({ PID_5_1: 'DOE', PID_5_2: 'J' });
    expect(toTree(parseText(TEXT))).to.deep.equal(json);
    expect(structuredClone(toTree(parseText(TEXT)))).to.deep.equal(json);
  });

  it('reads the same value every time and accepts assignment and deletion', () => {
    const tree = toTree(parseText(TEXT)) as any;
    const first = tree.FT1;
    expect(tree.FT1).to.equal(first);
    tree.PID = { replaced: true };
    expect(tree.PID).to.deep.equal({ replaced: true });
    tree.FT1 = 'other';
    expect(tree.FT1).to.equal('other');
    delete tree.MSH;
    expect(Object.keys(tree)).to.deep.equal(['PID', 'FT1']);
  });

  it('gives, for every good sample, the tree of the earlier eager builder', () => {
    for (const name of sampleNames().good.filter((n) => !n.startsWith('batch'))) {
      const m = parseHl7(sample(name)).message!;
      expect(toTree(m), name).to.deep.equal(eagerTree(m));
    }
  });
});

/** The tree as it was built before it became lazy (one pass over every segment): the reference. */
function eagerTree(message: Hl7Message): Record<string, unknown> {
  const d = message.delimiters;
  const split = (text: string, delimiter: string) => (delimiter === '' ? [text] : text.split(delimiter));
  const leaf = (text: string) => (text === '""' ? null : unescape(text, d, message.encoding));
  const repetition = (rep: string, key: string) => {
    if (rep === '""') return null;
    const node: Record<string, unknown> = {};
    split(rep, d.component).forEach((comp, i) => {
      if (comp === '') return;
      const subs = split(comp, d.subcomponent);
      if (subs.length === 1) node[`${key}_${i + 1}`] = leaf(comp);
      else
        node[`${key}_${i + 1}`] = Object.fromEntries(
          subs.flatMap((sub, j) => (sub === '' ? [] : [[`${key}_${i + 1}_${j + 1}`, leaf(sub)]])),
        );
    });
    return node;
  };
  const tree: Record<string, unknown> = {};
  for (const segment of message.segments) {
    const node: Record<string, unknown> = {};
    segment.fields.forEach((text, f) => {
      if (f === 0 || text === '') return;
      const key = `${segment.id}_${f}`;
      if (['MSH', 'FHS', 'BHS'].includes(segment.id) && f <= 2) node[key] = { [`${key}_1`]: text };
      else {
        const reps = split(text, d.repetition).map((rep) => repetition(rep, key));
        node[key] = reps.length === 1 ? reps[0] : reps;
      }
    });
    const existing = tree[segment.id];
    if (existing === undefined) tree[segment.id] = node;
    else if (Array.isArray(existing)) existing.push(node);
    else tree[segment.id] = [existing, node];
  }
  return tree;
}

describe('hl7v2: days in a month for dates', () => {
  it('accepts 29 February exactly in the years Date.UTC counts as leap years', () => {
    for (const year of ['0000', '0004', '0024', '0100', '1900', '1996', '2000', '2023', '2024', '2100', '2400', '9996']) {
      const y = Number(year);
      const leap = new Date(Date.UTC(y, 2, 0)).getUTCDate() === 29;
      expect(hl7DateToIso(`${year}0229`), year).to.equal(leap ? `${year}-02-29` : undefined);
      expect(hl7DateToIso(`${year}0230`), year).to.equal(undefined);
    }
  });

  it('knows the length of every other month', () => {
    for (let month = 1; month <= 12; month++) {
      const mm = String(month).padStart(2, '0');
      const days = new Date(Date.UTC(2026, month, 0)).getUTCDate();
      expect(hl7DateToIso(`2026${mm}${days}`)).to.equal(`2026-${mm}-${days}`);
      expect(hl7DateToIso(`2026${mm}${days + 1}`)).to.equal(undefined);
    }
  });
});
