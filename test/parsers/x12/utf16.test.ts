import { expect } from 'chai';
import { splitInterchanges, x12LooksComplete } from '../../../parsers/x12/split.js';
import { buildAck, detectX12, parseX12, readAcks, withSetFindings, X12Reader, type X12Interchange } from '../../../parsers/x12/index.js';
import { sample } from './helpers.js';

/**
 * X12 as UTF-16 (parsers/x12/encoding.ts): read like the single-byte file it would be, answered in
 * the partner's byte order, with a byte order mark when theirs had one.
 */

const plain = sample('850/850-004010.x12');
const text = plain.toString('latin1');

function utf16(value: string, form: 'le' | 'be', bom: boolean): Buffer {
  const le = Buffer.from(value, 'utf16le');
  const body = form === 'le' ? le : Buffer.from(le).swap16();
  return bom ? Buffer.concat([Buffer.from(form === 'le' ? [0xff, 0xfe] : [0xfe, 0xff]), body]) : body;
}

function ackOf(ic: X12Interchange) {
  let n = 0;
  return buildAck(withSetFindings({ interchanges: [ic], diagnostics: [] }).interchanges[0]!, {
    kind: '997',
    next: () => ++n,
    ta1: 'always',
    date: new Date(Date.UTC(2026, 11, 4, 12, 0)),
  })!;
}

const forms: Array<['le' | 'be', boolean, string]> = [
  ['le', true, 'FF FE'],
  ['be', true, 'FE FF'],
  ['le', false, 'no BOM, I 00 S 00 A 00'],
  ['be', false, 'no BOM, 00 I 00 S 00 A'],
];

describe('x12 sent as UTF-16', () => {
  const single = parseX12(plain).message!.interchanges[0]!;
  const singleAck = ackOf(single);

  for (const [form, bom, name] of forms) {
    describe(`UTF-16${form.toUpperCase()} (${name})`, () => {
      const raw = utf16(text, form, bom);

      it('is detected as X12 and reads segment for segment like the single-byte file, without findings', () => {
        expect(detectX12(raw)).to.equal(true);
        const parsed = parseX12(raw);
        expect(parsed.diagnostics).to.deep.equal([]);
        const ic = parsed.message!.interchanges[0]!;
        expect(ic.encoding).to.deep.equal({ form: `utf-16${form}`, bom });
        expect(ic.isa.elements).to.deep.equal(single.isa.elements);
        expect(ic.groups[0]!.sets[0]!.segments.map((s) => s.elements)).to.deep.equal(
          single.groups[0]!.sets[0]!.segments.map((s) => s.elements),
        );
      });

      it('reads the same whatever the chunking (odd chunks split code units)', () => {
        for (const size of [1, 3, 7, 100]) {
          const seen: string[][] = [];
          const reader = new X12Reader({ set: (s) => seen.push(...s.segments.map((x) => x.elements)) });
          for (let p = 0; p < raw.length; p += size) reader.push(raw.subarray(p, p + size));
          reader.end();
          expect(seen, `chunks of ${size}`).to.deep.equal(single.groups[0]!.sets[0]!.segments.map((s) => s.elements));
          expect(reader.encoding).to.deep.equal({ form: `utf-16${form}`, bom });
        }
      });

      it(`answers in UTF-16${form.toUpperCase()}${bom ? ' with the same byte order mark' : ' without a byte order mark'}, the single-byte answer widened`, () => {
        const ack = ackOf(parseX12(raw).message!.interchanges[0]!);
        expect(ack.text).to.equal(singleAck.text);
        expect(ack.bytes).to.deep.equal(utf16(singleAck.text, form, bom));
        const back = readAcks(parseX12(ack.bytes).message!).acks;
        expect(back.map((a) => (a.kind === 'TA1' ? `TA1 ${a.status}` : `${a.kind} ${a.accepted}`))).to.deep.equal(['TA1 A', '997 A']);
      });

      it('is one unit for the file splitter, with its ISA ids, and complete', () => {
        const units = splitInterchanges(raw);
        expect(units).to.have.length(1);
        expect(units[0]!.raw).to.equal(raw);
        expect(units[0]!.controlNumber).to.equal(single.header.controlNumber);
        expect(units[0]!.receiverId).to.equal(single.header.receiverId);
        expect(x12LooksComplete(raw)).to.equal(true);
        expect(x12LooksComplete(raw.subarray(0, raw.length - 40))).to.equal(false);
      });
    });
  }

  it('keeps a delimiter above 0x7F (U+00E2) as one byte and writes it back as the same code unit', () => {
    const raw = utf16(text.replace(/\r?\n/g, '').replace(/~/g, '\xe2'), 'le', true);
    const ic = parseX12(raw).message!.interchanges[0]!;
    expect(ic.delimiters.segment).to.equal('\xe2');
    const ack = ackOf(ic);
    expect(ack.bytes.subarray(0, 2)).to.deep.equal(Buffer.from([0xff, 0xfe]));
    expect(ack.bytes.readUInt16LE(2 + 105 * 2)).to.equal(0xe2);
    expect(ack.ta1?.status).to.equal('A');
  });

  it('keeps a character above U+00FF in an element as its UTF-8 bytes, as a UTF-8 file would carry it', () => {
    const withName = text.replace(/N1\*ST\*[^*~]*/, 'N1*ST*Hôpital 東京');
    expect(withName).to.not.equal(text);
    const ic = parseX12(utf16(withName, 'be', true)).message!.interchanges[0]!;
    const n1 = ic.groups[0]!.sets[0]!.segments.find((s) => s.id === 'N1' && s.elements[1] === 'ST')!;
    // ô (U+00F4) is the one byte 0xF4, as in a latin-1 file; 東京 has no single byte: its UTF-8 bytes.
    expect(n1.elements[2]).to.equal(`H\xf4pital ${Buffer.from('東京', 'utf8').toString('latin1')}`);
  });
});
