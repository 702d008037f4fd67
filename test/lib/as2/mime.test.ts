import { expect } from 'chai';
import { ParseError } from '../../../lib/errors.js';
import {
  buildEntity,
  decodeBody,
  joinMultipart,
  parseContentType,
  parseEntity,
  splitMultipart,
  unpack,
  type UnpackOptions,
} from '../../../lib/as2/index.js';
import { seeded as prng } from '../../../lib/prng.js';

const opts: UnpackOptions = { ours: [], partner: [], requireSigned: false, requireEncrypted: false, micDigests: ['sha256'], maxSize: 1024 };

describe('AS2 MIME', () => {
  it('splits multipart bodies to the exact part bytes, CRLF or LF, with transport padding', () => {
    const body = Buffer.from('preamble\r\n--b1\r\nA: 1\r\n\r\nx\ny\r\n--b1  \r\nB: 2\n\nz\n--b1--\r\nepilogue');
    expect(splitMultipart(body, 'b1').map(String)).to.deep.equal(['A: 1\r\n\r\nx\ny', 'B: 2\n\nz']);
    expect(splitMultipart(joinMultipart([Buffer.from('p1'), Buffer.from('p2\r\n')], 'q'), 'q').map(String)).to.deep.equal(['p1', 'p2\r\n']);
  });

  it('a boundary-like line inside a part is not a delimiter', () => {
    const body = Buffer.from('--b\r\nA: 1\r\n\r\n--bx not a delimiter\r\n--b--\r\n');
    expect(splitMultipart(body, 'b').map(String)).to.deep.equal(['A: 1\r\n\r\n--bx not a delimiter']);
  });

  it('a truncated multipart (no closing delimiter) is refused with a sentence, not cut short silently', () => {
    const body = Buffer.from('--b\r\nA: 1\r\n\r\nhalf of it');
    expect(() => splitMultipart(body, 'b', 'the multipart/signed body')).to.throw(
      ParseError,
      'the multipart/signed body: the closing delimiter "--b--" is missing (truncated message?)',
    );
  });

  it('headers: folded lines are unfolded; garbage names the line', () => {
    expect(parseEntity(Buffer.from('Content-Type: multipart/signed;\r\n\tboundary="a;b"\r\n\r\nbody')).headers).to.deep.equal([
      ['Content-Type', 'multipart/signed; boundary="a;b"'],
    ]);
    expect(parseContentType('multipart/signed; boundary="a;b"; micalg=SHA-256').params).to.deep.equal({
      boundary: 'a;b',
      micalg: 'SHA-256',
    });
    expect(() => parseEntity(Buffer.from('Content-Type: x\r\nno colon here\r\n\r\n'), 'the signed part')).to.throw(
      'the signed part: header line 2 is not "Name: value"',
    );
    expect(() => parseEntity(Buffer.from('Content-Type: x'))).to.throw(/no empty line ends the headers/);
  });

  it('base64 bodies with stray characters are refused; unknown transfer encodings are named', () => {
    expect(decodeBody(buildEntity([['Content-Transfer-Encoding', 'base64']], Buffer.from('aGVs\r\nbG8=\r\n'))).toString()).to.equal(
      'hello',
    );
    expect(() => decodeBody(buildEntity([['Content-Transfer-Encoding', 'base64']], Buffer.from('aGV*sbG8=')))).to.throw(
      /outside the base64 alphabet/,
    );
    expect(() => decodeBody(buildEntity([['Content-Transfer-Encoding', 'x-uuencode']], Buffer.from('x')))).to.throw(
      /"x-uuencode" is not one of/,
    );
  });

  it('an unsigned, unencrypted payload over the size limit is refused (as2-too-large)', () => {
    expect(() => unpack([['Content-Type', 'application/edi-x12']], Buffer.alloc(2048, 0x41), opts))
      .to.throw(/2048 bytes; the limit is 1024/)
      .with.property('code', 'as2-too-large');
  });

  it('hostile bodies (random bytes, random S/MIME-looking layers) only ever give a ParseError', () => {
    const rnd = prng(4130);
    const types = [
      'multipart/signed; boundary=x',
      'application/pkcs7-mime; smime-type=enveloped-data',
      'application/pkcs7-mime; smime-type=compressed-data',
      'application/pkcs7-mime',
      'multipart/signed',
    ];
    for (let i = 0; i < 400; i++) {
      const len = Math.floor(rnd() * 600);
      const body = Buffer.alloc(len);
      for (let j = 0; j < len; j++) body[j] = Math.floor(rnd() * 256);
      if (i % 3 === 0)
        body.write('--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: application/pkcs7-signature\r\n\r\n', 0);
      if (i % 5 === 0 && len > 4) body.set([0x30, 0x80, 0x06, 0x09], 0);
      try {
        unpack([['Content-Type', types[i % types.length]!]], body, opts);
      } catch (err) {
        if (!(err instanceof ParseError)) console.log((err as Error).stack);
        expect(err, `case ${i}`).to.be.instanceOf(ParseError);
      }
    }
  });
});

describe('AS2 CMS octet strings', () => {
  it('a primitive OCTET STRING whose bytes look like BER keeps every byte; a constructed one is joined', async () => {
    const asn1js = await import('asn1js');
    const { octets } = await import('../../../lib/as2/cms-content.js');
    // An IV starting 04 0E (OCTET STRING, 14 bytes): asn1js decodes it as nested BER too.
    const iv = Buffer.concat([Buffer.from([0x04, 0x0e]), Buffer.alloc(14, 0x5a)]);
    const parsed = asn1js.fromBER(new asn1js.OctetString({ valueHex: iv }).toBER()).result;
    expect(octets(parsed).equals(iv)).to.equal(true);
    // Constructed (streamed) form: 24 80 04 02 AA BB 04 01 CC 00 00.
    const streamed = asn1js.fromBER(new Uint8Array([0x24, 0x80, 0x04, 0x02, 0xaa, 0xbb, 0x04, 0x01, 0xcc, 0x00, 0x00])).result;
    expect(octets(streamed).toString('hex')).to.equal('aabbcc');
  });
});
