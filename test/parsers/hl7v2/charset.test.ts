import { expect } from 'chai';
import iconv from 'iconv-lite';
import { encodingForCharset, get, parseHl7, serialize } from '../../../parsers/hl7v2/index.js';
import { sample } from './helpers.js';

function message(charset: string, body: string): string {
  return `MSH|^~\\&|A|B|C|D|20261121||ADT^A08|C1|P|2.5.1|||||FRA|${charset}\rPID|1||M1||${body}\r`;
}

describe('hl7v2 character sets (MSH-18)', () => {
  it('decodes 8859/1 (Latin-1) bytes', () => {
    const { message: m, diagnostics } = parseHl7(sample('latin1-8859-1.hl7'));
    expect(diagnostics).to.deep.equal([]);
    expect(m!.encoding).to.equal('latin1');
    expect(get(m!, 'PID-5.2')).to.equal('Hélène');
    expect(get(m!, 'PID-11.3')).to.equal('Besançon');
  });

  it('decodes UNICODE UTF-8', () => {
    const { message: m } = parseHl7(sample('utf8-unicode.hl7'));
    expect(m!.encoding).to.equal('utf8');
    expect(get(m!, 'PID-5.2')).to.equal('Jürgen');
    expect(get(m!, 'PID-11.1')).to.equal('Teststraße 1');
  });

  it('decodes 8859/2 and 8859/15 through iconv-lite, and encodes back the same bytes', () => {
    for (const [charset, enc, text] of [
      ['8859/2', 'iso-8859-2', 'Łódź'],
      ['8859/15', 'iso-8859-15', 'prix 5€'],
    ] as const) {
      const raw = iconv.encode(message(charset, text), enc);
      const { message: m } = parseHl7(raw);
      expect(get(m!, 'PID-5')).to.equal(text);
      expect(serialize(m!).equals(raw)).to.equal(true);
    }
  });

  it('uses the fallback encoding when MSH-18 is empty (default latin1)', () => {
    const raw = Buffer.from(message('', 'Zoë'), 'utf8');
    expect(get(parseHl7(raw).message!, 'PID-5')).to.equal('ZoÃ«');
    expect(get(parseHl7(raw, { fallbackEncoding: 'utf-8' }).message!, 'PID-5')).to.equal('Zoë');
  });

  it('MSH-18 wins over the fallback', () => {
    const raw = Buffer.from(message('UNICODE UTF-8', 'Zoë'), 'utf8');
    expect(get(parseHl7(raw, { fallbackEncoding: 'latin1' }).message!, 'PID-5')).to.equal('Zoë');
  });

  it('decodes \\X..\\ hex escapes with the message character set', () => {
    const raw = Buffer.from(message('UNICODE UTF-8', 'Zo\\XC3AB\\'), 'utf8');
    expect(get(parseHl7(raw).message!, 'PID-5')).to.equal('Zoë');
  });

  it('reports an MSH-18 outside table 0211 as an error (decoded with the fallback to answer it)', () => {
    const { message: m, diagnostics } = parseHl7(Buffer.from(message('KLINGON', 'abc'), 'latin1'));
    expect(m!.encoding).to.equal('latin1');
    expect(diagnostics[0]).to.deep.include({ code: 'unknown-charset', severity: 'error' });
    expect(diagnostics[0]!.message, 'the value itself is not quoted').to.not.include('KLINGON');
    expect(diagnostics[0]!.location).to.include({ segment: 'MSH', field: 18 });
  });

  it('reports invalid UTF-8 bytes', () => {
    const raw = Buffer.concat([Buffer.from(message('UNICODE UTF-8', 'ab'), 'latin1'), Buffer.from([0xff, 0xfe, 0x0d])]);
    expect(parseHl7(raw).diagnostics.map((d) => d.code)).to.include('invalid-bytes');
  });

  it('refuses UTF-16 (delimiters would not be single bytes)', () => {
    expect(encodingForCharset('UNICODE UTF-16')).to.deep.equal({ ok: false, reason: 'unsupported' });
    expect(encodingForCharset('8859/1')).to.deep.equal({ ok: true, encoding: 'latin1' });
    expect(encodingForCharset('ISO IR100')).to.deep.equal({ ok: true, encoding: 'latin1' });
  });

  it('accepts only table 0211 character sets and their spellings, not every encoding the decoder knows', () => {
    for (const v of ['HEX', 'BASE64', 'UCS2', 'UTF-7', 'windows-1252', 'binary', 'utf16le']) {
      expect(encodingForCharset(v).ok, v).to.equal(false);
    }
    expect(encodingForCharset('UCS2')).to.deep.equal({ ok: false, reason: 'unsupported' });
    expect(encodingForCharset('utf-8')).to.deep.equal({ ok: true, encoding: 'utf8' });
    expect(encodingForCharset('ISO-8859-2')).to.deep.equal({ ok: true, encoding: 'iso-8859-2' });
    expect(encodingForCharset('us-ascii')).to.deep.equal({ ok: true, encoding: 'ascii' });
  });
});
