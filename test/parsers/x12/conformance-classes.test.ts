import { expect } from 'chai';
import { buildAck, parseX12, readAcks, withPartnerRequirements, withSetFindings, type X12Interchange } from '../../../parsers/x12/index.js';
import { designation } from '../../../parsers/x12/sets/common/designations.js';
import { sample } from './helpers.js';

/**
 * One test per class of real-world deviation (issue: conformance with real-world files). Each builds
 * the deviation from a sample that is answered positively in its plain form, and checks both the
 * reading and the acknowledgment.
 */

function only(raw: Buffer): X12Interchange {
  const parsed = parseX12(raw);
  expect(parsed.message?.interchanges, 'one interchange').to.have.length(1);
  return withSetFindings(parsed.message!).interchanges[0]!;
}

function ack(ic: X12Interchange, kind: '997' | '999' = '997') {
  let n = 0;
  return buildAck(ic, { kind, next: () => ++n, ta1: 'always', date: new Date(Date.UTC(2026, 11, 4, 12, 0)) })!;
}

/** Statuses of an acknowledgment as a compact list: TA104, then per group AK901 and its AK501s. */
function statuses(a: ReturnType<typeof ack>): string[] {
  const read = readAcks(parseX12(a.bytes).message!).acks;
  return read.flatMap((r) =>
    r.kind === 'TA1' ? [`TA1 ${r.status} ${r.noteCode}`] : [`AK9 ${r.accepted}`, ...r.sets.map((s) => `AK5 ${s.status}`)],
  );
}

/** Re-lays an interchange one segment per line with the given indentation and line break. */
function relayout(raw: Buffer, indent: (depth: number) => string, lineBreak: string): Buffer {
  const text = raw.toString('latin1').replace(/[\r\n]/g, '');
  const term = text[105]!;
  const segments = text.split(term).filter((s) => s.length > 0);
  const depth = (id: string) => (id === 'ISA' || id === 'IEA' ? 0 : id === 'GS' || id === 'GE' ? 1 : id === 'ST' || id === 'SE' ? 2 : 3);
  return Buffer.from(segments.map((s) => `${indent(depth(s.slice(0, s.indexOf(text[3]!))))}${s}${term}${lineBreak}`).join(''), 'latin1');
}

describe('x12 conformance classes', () => {
  const plain = sample('850/850-004010.x12');

  describe('whitespace between a segment terminator and the next segment id', () => {
    const layouts: Array<[string, (depth: number) => string, string]> = [
      ['spaces and CRLF', (d) => '  '.repeat(d), '\r\n'],
      ['tabs and LF', (d) => '\t'.repeat(d), '\n'],
      ['one space and CR', (d) => (d > 0 ? ' ' : ''), '\r'],
    ];
    for (const [name, indent, lineBreak] of layouts) {
      it(`reads an interchange laid out with ${name} like the packed one, and accepts it`, () => {
        const packed = parseX12(plain).message!;
        const laid = relayout(plain, indent, lineBreak);
        const parsed = parseX12(laid);
        expect(parsed.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
        const segmentsOf = (doc: typeof packed) => doc.interchanges[0]!.groups[0]!.sets[0]!.segments.map((s) => s.elements);
        expect(segmentsOf(parsed.message!)).to.deep.equal(segmentsOf(packed));
        expect(statuses(ack(only(laid)))).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
      });
    }

    it('keeps a tab that is the element separator as a separator', () => {
      const tabbed = Buffer.from(plain.toString('latin1').replace(/\*/g, '\t').replace(/~\s*/g, '~\n'), 'latin1');
      const parsed = parseX12(tabbed);
      expect(parsed.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      const beg = parsed.message!.interchanges[0]!.groups[0]!.sets[0]!.segments[1]!;
      expect(beg.elements.slice(0, 4)).to.deep.equal(['BEG', '00', 'SA', '4500012345']);
    });
  });

  describe('an answer never contradicts itself', () => {
    it('rejects (R) an interchange with findings and no group, instead of accepting it with errors', () => {
      const isa = plain.toString('latin1').slice(0, 106);
      const raw = Buffer.from(`${isa}XX*JUNK~IEA*0*${isa.slice(90, 99)}~`, 'latin1');
      const a = ack(only(raw));
      expect(a.ta1?.status).to.equal('R');
      expect(a.groups).to.deep.equal([]);
    });

    it('accepts with errors (E) only when the groups are acknowledged', () => {
      const text = plain.toString('latin1').replace(/IEA\*1\*/, 'IEA*2*');
      const a = ack(only(Buffer.from(text, 'latin1')));
      expect(a.ta1).to.deep.equal({ status: 'E', noteCode: '021' });
      expect(a.groups.map((g) => g.status)).to.deep.equal(['A']);
    });

    it('reports the IEA mismatches the TA1 accepts as warnings, so processing goes on as answered', () => {
      const text = plain.toString('latin1').replace(/IEA\*1\*\d{9}/, 'IEA*2*999999999');
      const findings = parseX12(Buffer.from(text, 'latin1')).diagnostics;
      expect(findings.map((d) => [d.severity, d.code])).to.deep.equal([
        ['warning', 'x12-iea-count-mismatch'],
        ['warning', 'x12-iea-control-mismatch'],
      ]);
    });
  });

  describe('acknowledgments are bytes in the partner delimiters', () => {
    it('writes a delimiter above 0x7F (0xE2) back as one byte, with a 106-byte ISA', () => {
      const text = plain.toString('latin1').replace(/\r?\n/g, '').replace(/~/g, '\xe2');
      const raw = Buffer.from(text, 'latin1');
      expect(raw[105]).to.equal(0xe2);
      const a = ack(only(raw));
      expect(a.bytes.indexOf(0xe2)).to.equal(105);
      expect(a.bytes.includes(Buffer.from([0xc3, 0xa2])), 'no UTF-8 encoding of 0xE2').to.equal(false);
      expect(a.bytes.subarray(0, 105).every((b) => b < 0x80)).to.equal(true);
      const back = parseX12(a.bytes);
      expect(back.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      expect(back.message!.interchanges[0]!.delimiters.segment).to.equal('\xe2');
      expect(statuses(a)).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
    });
  });

  describe('versions', () => {
    for (const [isa12, gs08, isa11] of [
      ['00400', '004000', 'U'],
      ['00401', '004010', 'U'],
      ['00402', '004020', '^'],
      ['00403', '004030', '^'],
      ['00406', '004060', '^'],
    ] as const) {
      it(`answers an ISA12 ${isa12} interchange in ${isa12} (ISA11 ${isa11}, GS08 ${gs08})`, () => {
        const text = plain.toString('latin1').replace('*U*00401*', `*${isa11}*${isa12}*`).replace('*X*004010~', `*X*${gs08}~`);
        const a = ack(only(Buffer.from(text, 'latin1')));
        expect(a.text.slice(82, 89)).to.equal(`${isa11}*${isa12}`);
        expect(a.text.length > 106 && a.text[105]).to.equal('~');
        expect(a.text).to.include(`*X*${gs08}~`);
        expect(statuses(a)).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
      });
    }

    it('reads 003060 dates as YYMMDD and answers in 00306 with a six-digit GS04', () => {
      const text = plain
        .toString('latin1')
        .replace('*U*00401*', '*U*00306*')
        .replace(/\*20(\d{6})\*(\d{4})\*(\d+)\*X\*004010~/, '*$1*$2*$3*X*003060~')
        .replace(/(BEG\*[^~]*)\*20(\d{6})~/, '$1*$2~')
        .replace(/DTM\*(\d{3})\*20(\d{6})/g, 'DTM*$1*$2');
      const parsed = parseX12(Buffer.from(text, 'latin1'));
      const canonical = parsed.message ? withSetFindings(parsed.message).interchanges[0]!.groups[0]!.sets[0]!.diagnostics : [];
      expect(canonical.filter((d) => d.severity === 'error')).to.deep.equal([]);
      const a = ack(only(Buffer.from(text, 'latin1')));
      expect(a.text.slice(84, 89)).to.equal('00306');
      expect(a.text).to.match(/~GS\*FA\*[^*]*\*[^*]*\*261204\*1200\*1\*X\*003060~/);
      expect(statuses(a)).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
    });

    it('rejects a CCYYMMDD date in a 003060 set, saying YYMMDD was expected', () => {
      const text = plain
        .toString('latin1')
        .replace('*U*00401*', '*U*00306*')
        .replace(/\*20(\d{6})\*(\d{4})\*(\d+)\*X\*004010~/, '*$1*$2*$3*X*003060~');
      const set = only(Buffer.from(text, 'latin1')).groups[0]!.sets[0]!;
      const bad = set.diagnostics.find((d) => d.code === 'x12-element-invalid-date');
      expect(bad?.message).to.match(/^BEG05 is "20261118"; expected .* as YYMMDD \(version 003060\)$/);
    });
  });

  describe('interchange control and binary segments', () => {
    function withControl(segments: string): Buffer {
      const text = plain.toString('latin1');
      const at = text.indexOf('GS*');
      const lineBreak = text[at - 1] === '\n' ? '\n' : '';
      return Buffer.from(
        `${text.slice(0, at)}${segments
          .split('~')
          .filter(Boolean)
          .map((s) => `${s}~${lineBreak}`)
          .join('')}${text.slice(at)}`,
        'latin1',
      );
    }

    it('keeps valid ISB/ISE between the ISA and the first GS and accepts the interchange', () => {
      for (const control of ['ISB*0~ISE*261201*1200~', 'ISB*2~', 'ISE*261231*2359*UT~', 'ISB*1~ISE*261201*0000*13~']) {
        const ic = only(withControl(control));
        expect(ic.controlSegments.map((s) => s.id).join(','), control).to.equal(control.match(/IS[BE]/g)!.join(','));
        expect(ic.diagnostics, control).to.deep.equal([]);
        expect(statuses(ack(ic)), control).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
      }
    });

    const bad: Array<[string, string, string]> = [
      ['ISB*3~', '031', "ISB01 is '3'; expected a grade of service code 0 (normal), 1 (low) or 2 (urgent)"],
      ['ISB~', '031', "ISB01 is ''; expected a grade of service code 0 (normal), 1 (low) or 2 (urgent)"],
      ['ISE*261301*1200~', '028', "ISE01 is '261301'; expected the delivery date as YYMMDD"],
      ['ISE*20261201*1200~', '028', "ISE01 is '20261201'; expected the delivery date as YYMMDD"],
      ['ISE*261201*2460~', '029', "ISE02 is '2460'; expected the delivery time as HHMM"],
      ['ISE*261201~', '029', "ISE02 is ''; expected the delivery time as HHMM"],
      ['ISE*261201*1200*XX~', '030', "ISE03 is 'XX'; expected a delivery time code (01–24, UT, GM, LT, ET, CT, MT, PT…)"],
      ['ISB*0~ISB*1~', '024', 'ISB at segment 3 repeats; expected at most one ISB per interchange'],
      ['ISE*261201*1200~ISB*0~', '024', 'ISB at segment 3 follows the ISE; expected ISB before ISE'],
      ['ISB*0*X~', '024', 'ISB has 2 elements; expected at most 1'],
    ];
    for (const [control, note, message] of bad) {
      it(`notes ${control} in the TA1 (E ${note}) with one sentence naming the element, and still acknowledges and processes the group`, () => {
        const ic = only(withControl(control));
        expect(ic.diagnostics.map((d) => [d.severity, d.message])).to.deep.equal([['warning', message]]);
        expect(statuses(ack(ic))).to.deep.equal([`TA1 E ${note}`, 'AK9 A', 'AK5 A']);
        expect(parseX12(withControl(control)).diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      });
    }

    it('reports an ISB after the first GS as outside any set (TA1 E 024), not as a control segment', () => {
      const text = plain.toString('latin1').replace(/(GS\*[^~]*~\n?)/, '$1ISB*0~');
      const ic = only(Buffer.from(text, 'latin1'));
      expect(ic.controlSegments).to.deep.equal([]);
      expect(ic.diagnostics.map((d) => d.code)).to.deep.equal(['x12-segment-outside-set']);
    });

    function withBin(data: Buffer, declared = data.length): Buffer {
      const text = plain.toString('latin1');
      const at = text.indexOf('CTT*');
      const bin = Buffer.concat([Buffer.from(`BIN*${declared}*`, 'latin1'), data, Buffer.from('~\n', 'latin1')]);
      const head = Buffer.from(text.slice(0, at), 'latin1');
      const tail = Buffer.from(
        text.slice(at).replace(/SE\*(\d+)\*/, (_, n: string) => `SE*${Number(n) + 1}*`),
        'latin1',
      );
      return Buffer.concat([head, bin, tail]);
    }

    it('reads BIN data of its declared length even when it holds delimiters, and accepts the set', () => {
      const data = Buffer.from([0x00, 0x2a, 0x7e, 0x3e, 0x0d, 0x0a, 0xff, 0x7e, 0x2a, 0x41]);
      const ic = only(withBin(data));
      const set = ic.groups[0]!.sets[0]!;
      const bin = set.segments.find((s) => s.id === 'BIN')!;
      expect(bin.elements.length).to.equal(3);
      expect(Buffer.from(bin.elements[2]!, 'latin1')).to.deep.equal(data);
      expect(set.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      expect(statuses(ack(ic))).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
    });

    it('reads BIN identically whatever the chunking', async () => {
      const { X12Reader } = await import('../../../parsers/x12/index.js');
      const raw = withBin(Buffer.from('ab*~cd~~ef', 'latin1'));
      for (const size of [1, 2, 3, 7, 64]) {
        const seen: string[][] = [];
        const reader = new X12Reader({ set: (s) => seen.push(...s.segments.filter((x) => x.id === 'BIN').map((x) => x.elements)) });
        for (let p = 0; p < raw.length; p += size) reader.push(raw.subarray(p, p + size));
        reader.end();
        expect(seen, `chunks of ${size}`).to.deep.equal([['BIN', '10', 'ab*~cd~~ef']]);
      }
    });

    it('reads BDS (filter, length, data) by its declared length too', () => {
      const text = plain.toString('latin1');
      const at = text.indexOf('CTT*');
      const head = Buffer.from(text.slice(0, at), 'latin1');
      const tail = Buffer.from(
        text.slice(at).replace(/SE\*(\d+)\*/, (_, n: string) => `SE*${Number(n) + 1}*`),
        'latin1',
      );
      const ic = only(Buffer.concat([head, Buffer.from('BDS*B64*8*AB~~*CD*~\n', 'latin1'), tail]));
      const bds = ic.groups[0]!.sets[0]!.segments.find((s) => s.id === 'BDS')!;
      expect(bds.elements).to.deep.equal(['BDS', 'B64', '8', 'AB~~*CD*']);
      expect(statuses(ack(ic))).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
    });

    it('rejects the set when the BIN length does not end at a segment terminator', () => {
      const ic = only(withBin(Buffer.from('abcdefgh', 'latin1'), 5));
      const set = ic.groups[0]!.sets[0]!;
      expect(set.diagnostics.map((d) => d.code)).to.include('x12-binary-length-mismatch');
      expect(statuses(ack(ic))).to.deep.equal(['TA1 A 000', 'AK9 R', 'AK5 R']);
    });
  });

  describe('element requirements follow the base standard of the version', () => {
    const invoice = sample('810/810-004010.x12');

    it('accepts 850 lines without PO101 or PO103 (optional in 004010/005010), numbering lines by position', () => {
      for (const file of ['850/850-004010.x12', '850/850-005010.x12']) {
        const text = sample(file)
          .toString('latin1')
          .replace(/PO1\*\d+\*(\d+)\*[A-Z]{2}\*/g, 'PO1**$1**');
        const ic = only(Buffer.from(text, 'latin1'));
        const set = ic.groups[0]!.sets[0]!;
        expect(
          set.diagnostics.filter((d) => d.severity !== 'warning' || d.code !== 'x12-segment-not-mapped'),
          file,
        ).to.deep.equal([]);
        expect(statuses(ack(ic)), file).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
      }
    });

    it('accepts 810 lines without IT101 (optional), and rejects IT102–IT104 sent only in part (P020304, AK403 2)', () => {
      const noIds = invoice.toString('latin1').replace(/IT1\*\d+\*/g, 'IT1**');
      expect(statuses(ack(only(Buffer.from(noIds, 'latin1'))))).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
      const partial = invoice.toString('latin1').replace(/IT1\*(\d+)\*(\d+)\*[A-Z]{2}\*/, 'IT1*$1*$2**');
      const a = ack(only(Buffer.from(partial, 'latin1')));
      expect(statuses(a)).to.deep.equal(['TA1 A 000', 'AK9 R', 'AK5 R']);
      expect(a.text).to.match(/~AK4\*3\*\*2~/);
    });

    it('still rejects an empty mandatory element (BEG03) with AK403 1', () => {
      const text = sample('850/850-004010.x12')
        .toString('latin1')
        .replace(/BEG\*00\*SA\*\d+\*/, 'BEG*00*SA**');
      const a = ack(only(Buffer.from(text, 'latin1')));
      expect(statuses(a)).to.deep.equal(['TA1 A 000', 'AK9 R', 'AK5 R']);
      expect(a.text).to.match(/~AK3\*BEG\*2\*\*8~AK4\*3\*\*1~/);
    });

    it('lets a partner profile make an optional element mandatory (AK403 1), for every set or one', () => {
      const text = sample('850/850-004010.x12')
        .toString('latin1')
        .replace(/PO1\*1\*/, 'PO1**');
      const ic = only(Buffer.from(text, 'latin1'));
      expect(statuses(ack(ic))).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
      for (const rule of ['PO101', '850/PO101']) {
        const strict = withPartnerRequirements({ interchanges: [ic], diagnostics: [] }, [rule], 'partner acme').interchanges[0]!;
        const a = ack(strict);
        expect(statuses(a), rule).to.deep.equal(['TA1 A 000', 'AK9 R', 'AK5 R']);
        expect(a.text, rule).to.match(/~AK3\*PO1\*\d+\*\*8~AK4\*1\*\*1~/);
        expect(strict.groups[0]!.sets[0]!.diagnostics.at(-1)?.message).to.equal(
          'PO101 is empty; partner acme requires it (partner profile)',
        );
      }
      const other = withPartnerRequirements({ interchanges: [ic], diagnostics: [] }, ['810/PO101']).interchanges[0]!;
      expect(statuses(ack(other))).to.deep.equal(['TA1 A 000', 'AK9 A', 'AK5 A']);
    });

    it('knows the designations it enforces: mandatory ones and the set notes', () => {
      expect(designation('850', '004010', 'PO1', 1)).to.equal('O');
      expect(designation('850', '004010', 'PO1', 2)).to.equal('M');
      expect(designation('855', '004010', 'PO1', 2)).to.equal('X');
      expect(designation('810', '004010', 'IT1', 1)).to.equal('O');
      expect(designation('810', '005010', 'IT1', 2)).to.equal('X');
      expect(designation('810', '003060', 'IT1', 2)).to.equal('M');
      expect(designation('850', '005010', 'BEG', 3)).to.equal('M');
    });
  });

  describe('what is processed is what was acknowledged', () => {
    /** The 850 sample with its set twice in one group; the second one's SE01 made wrong when asked. */
    function twoSets(breakSecond: boolean, breakFirst = false): Buffer {
      const text = sample('850/850-004010.x12').toString('latin1');
      const st = text.indexOf('ST*');
      const ge = text.indexOf('GE*');
      const set = text.slice(st, ge);
      const second = set
        .replace(/ST\*850\*0001/, 'ST*850*0002')
        .replace(/SE\*(\d+)\*0001/, (_, n: string) => `SE*${breakSecond ? Number(n) + 5 : n}*0002`);
      const first = breakFirst ? set.replace(/SE\*(\d+)\*0001/, (_, n: string) => `SE*${Number(n) + 5}*0001`) : set;
      return Buffer.from(text.slice(0, st) + first + second + text.slice(ge).replace(/GE\*1\*/, 'GE*2*'), 'latin1');
    }

    it('processes the sets a 997 accepts and leaves out those it rejects (AK9 P)', async () => {
      const { x12 } = await import('../../../parsers/x12/index.js');
      const raw = twoSets(true);
      expect(statuses(ack(only(raw)))).to.deep.equal(['TA1 A 000', 'AK9 P', 'AK5 A', 'AK5 R']);
      const parsed = x12.parse(raw);
      const view = x12.accepted!(parsed.message!, parsed.diagnostics);
      expect(view.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      const canonical = x12.toCanonical(view.message);
      expect(canonical.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      expect(canonical.documents.map((d) => d.kind)).to.deep.equal(['purchase-order']);
    });

    it('processes nothing, and keeps every finding, when the 997 rejects every set', async () => {
      const { x12 } = await import('../../../parsers/x12/index.js');
      const raw = twoSets(true, true);
      expect(statuses(ack(only(raw)))).to.deep.equal(['TA1 A 000', 'AK9 R', 'AK5 R', 'AK5 R']);
      const parsed = x12.parse(raw);
      const view = x12.accepted!(parsed.message!, parsed.diagnostics);
      expect(view.message).to.equal(parsed.message);
      expect(view.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).to.deep.equal([
        'x12-se-count-mismatch',
        'x12-se-count-mismatch',
      ]);
    });

    it('processes an accepted interchange preceded by bytes that are not X12 (noted, not an error)', async () => {
      const { x12 } = await import('../../../parsers/x12/index.js');
      const raw = Buffer.concat([Buffer.from('GARBAGE\n'), sample('850/850-004010.x12')]);
      const parsed = x12.parse(raw);
      expect(parsed.diagnostics.map((d) => [d.severity, d.code])).to.deep.equal([['error', 'x12-no-isa']]);
      const view = x12.accepted!(parsed.message!, parsed.diagnostics);
      expect(view.diagnostics.map((d) => [d.severity, d.code])).to.deep.equal([['warning', 'x12-no-isa']]);
    });
  });
});
