import { expect } from 'chai';
import { parseBatch, parseHl7, serialize, serializeBatch, serializeToString, set, get, toTree } from '../../../parsers/hl7v2/index.js';
import { parseSample, sample, sampleNames } from './helpers.js';

/** What serialize must give back: the input with LF / CRLF segment separators turned into CR. */
function expectedBytes(raw: Buffer, encoding: BufferEncoding = 'latin1'): Buffer {
  return Buffer.from(raw.toString(encoding).replace(/\r\n|\n/g, '\r'), encoding);
}

describe('hl7v2 golden round trip', () => {
  const { good, bad } = sampleNames();

  for (const name of good.filter((n) => !n.startsWith('batch'))) {
    it(`${name}: parse → serialize gives the same bytes`, () => {
      const raw = sample(name);
      const message = parseSample(name);
      expect(serialize(message).equals(expectedBytes(raw))).to.equal(true);
    });

    it(`${name}: parse → serialize → parse gives the same tree`, () => {
      const first = parseSample(name);
      const again = parseHl7(serialize(first)).message!;
      expect(toTree(again)).to.deep.equal(toTree(first));
    });
  }

  for (const name of bad) {
    it(`${name}: whatever could be parsed serializes back to the input bytes`, () => {
      const raw = sample(name);
      const { message } = parseHl7(raw);
      if (message) expect(serialize(message).equals(expectedBytes(raw))).to.equal(true);
      else expect(name).to.match(/no-msh|garbage|batch/);
    });
  }

  it('batch file: parseBatch → serializeBatch gives the same bytes', () => {
    const raw = sample('batch-fhs-bhs.hl7');
    const { batch } = parseBatch(raw);
    expect(serializeBatch(batch!).equals(raw)).to.equal(true);
  });

  it('LF and CRLF input is written with CR only', () => {
    for (const name of ['lf-endings.hl7', 'crlf-endings.hl7']) {
      const text = serializeToString(parseSample(name));
      expect(text).to.not.include('\n');
      expect(text.split('\r').filter(Boolean)).to.have.length(4);
    }
  });

  it('a changed value is re-encoded while every other byte stays as received', () => {
    const raw = sample('dft-p03-hip-implant.hl7').toString('latin1');
    const message = parseSample('dft-p03-hip-implant.hl7');
    set(message, 'FT1[2]-7.2', 'SHELL | ACETABULAR');
    const out = serialize(message).toString('latin1');
    expect(out).to.equal(raw.replace('SHELL ACETABULAR 54MM', 'SHELL \\F\\ ACETABULAR'));
    expect(get(parseHl7(Buffer.from(out, 'latin1')).message!, 'FT1[2]-7.2')).to.equal('SHELL | ACETABULAR');
  });

  it('a message without a final segment separator is written without one', () => {
    const raw = Buffer.from('MSH|^~\\&|A|B|C|D|20261121||ADT^A08|X1|P|2.5\rPID|1||M1', 'latin1');
    expect(serialize(parseHl7(raw).message!).equals(raw)).to.equal(true);
  });

  it('a UTF-8 byte order mark is written back', () => {
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), sample('utf8-unicode.hl7')]);
    const { message } = parseHl7(raw);
    expect(message!.encoding).to.equal('utf8');
    expect(serialize(message!).equals(raw)).to.equal(true);
  });
});
