import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  buildMdn,
  loadCertificate,
  loadIdentity,
  pack,
  parseEntity,
  readMdn,
  unpack,
  type As2Identity,
  type CipherName,
  type UnpackOptions,
} from '../../../lib/as2/index.js';
import { ParseError } from '../../../lib/errors.js';
import { seeded as prng } from '../../../lib/prng.js';
import { makeCert, openssl, opensslCompress, opensslDecompress, scratch, type TestCert } from '../../support/openssl.js';

const X12 = Buffer.from(
  'ISA*00*          *00*          *ZZ*ACME           *ZZ*HOSPITAL       *261204*2315*^*00501*000000101*0*P*:~' +
    'GS*PO*ACME*HOSPITAL*20261204*2315*101*X*005010~ST*850*0001~BEG*00*SA*PO-1**20261204~SE*3*0001~GE*1*101~IEA*1*000000101~\n',
);

/** An entity as a sender would sign it: headers, empty line, payload, CRLF everywhere. */
function entity(payload = X12, type = 'application/edi-x12'): Buffer {
  return Buffer.concat([Buffer.from(`Content-Type: ${type}\r\nContent-Transfer-Encoding: binary\r\n\r\n`), payload]);
}

describe('AS2 codec against openssl cms', function () {
  this.timeout(60_000);
  const tmp = scratch();
  let us: TestCert, partner: TestCert, stranger: TestCert;
  let ours: As2Identity, theirs: As2Identity;
  let opts: UnpackOptions;

  before(() => {
    us = makeCert(tmp.dir, 'hospital');
    partner = makeCert(tmp.dir, 'acme');
    stranger = makeCert(tmp.dir, 'stranger');
    ours = loadIdentity(us.cert, us.key);
    theirs = loadIdentity(partner.cert, partner.key);
    opts = {
      ours: [ours],
      partner: [loadCertificate(partner.cert)],
      requireSigned: false,
      requireEncrypted: false,
      micDigests: ['sha256'],
      maxSize: 10 * 1024 * 1024,
    };
  });
  after(() => tmp.cleanup());

  /** openssl's S/MIME output split into (headers, body) the way an HTTP request carries it. */
  function asHttp(smime: Buffer): { headers: ReturnType<typeof parseEntity>['headers']; body: Buffer } {
    const e = parseEntity(smime);
    return { headers: e.headers, body: e.body };
  }

  function opensslSign(content: Buffer, signer: TestCert, md = 'sha256'): Buffer {
    writeFileSync(tmp.path('to-sign'), content);
    return openssl([
      'cms',
      '-sign',
      '-binary',
      '-crlfeol',
      '-md',
      md,
      '-in',
      tmp.path('to-sign'),
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
    ]);
  }

  function opensslEncrypt(content: Buffer, cipher: string, to: TestCert, outform: 'DER' | 'SMIME' = 'DER'): Buffer {
    writeFileSync(tmp.path('to-encrypt'), content);
    return openssl(['cms', '-encrypt', '-binary', `-${cipher}`, '-outform', outform, '-in', tmp.path('to-encrypt'), to.certPath]);
  }

  const sha = (alg: string, data: Buffer) => createHash(alg).update(data).digest('base64');

  describe('reads what openssl builds', () => {
    for (const md of ['sha256', 'sha1']) {
      it(`a ${md} multipart/signed message: payload, signer digest and MIC over the signed part`, () => {
        const signedPart = entity();
        const { headers, body } = asHttp(opensslSign(signedPart, partner, md));
        const out = unpack(headers, body, opts);
        expect(out.payload.equals(X12)).to.equal(true);
        expect(out.signed).to.equal(md);
        // openssl signed exactly these bytes (-binary), so the MIC is their digest.
        expect(out.mic).to.deep.equal({ value: sha(md, signedPart), digest: md });
      });
    }

    for (const [flag, cipher] of [
      ['aes128', 'aes-128-cbc'],
      ['aes192', 'aes-192-cbc'],
      ['aes256', 'aes-256-cbc'],
      ['des3', 'des-ede3-cbc'],
    ] as const) {
      it(`an ${cipher} enveloped message (DER body, no smime-type)`, () => {
        const der = opensslEncrypt(entity(), flag, us);
        const out = unpack([['Content-Type', 'application/pkcs7-mime']], der, opts);
        expect(out.encrypted).to.equal(cipher);
        expect(out.payload.equals(X12)).to.equal(true);
        // Unsigned: the MIC is over the decrypted entity, in the first digest the sender asked for.
        expect(out.mic).to.deep.equal({ value: sha('sha256', entity()), digest: 'sha256' });
      });
    }

    it('signed then encrypted (S/MIME, base64 transfer encoding)', () => {
      const signed = opensslSign(entity(), partner);
      const { headers, body } = asHttp(opensslEncrypt(signed, 'aes256', us, 'SMIME'));
      const out = unpack(headers, body, { ...opts, requireSigned: true, requireEncrypted: true });
      expect(out).to.include({ signed: 'sha256', encrypted: 'aes-256-cbc', compressed: false });
      expect(out.payload.equals(X12)).to.equal(true);
      expect(out.mic.value).to.equal(sha('sha256', entity()));
    });

    it('compressed, then signed, then encrypted (RFC 5402): MIC over the compressed part', () => {
      const compressedPart = Buffer.concat([
        Buffer.from(
          'Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z\r\nContent-Transfer-Encoding: binary\r\n\r\n',
        ),
        opensslCompress(tmp.dir, entity()),
      ]);
      const der = opensslEncrypt(opensslSign(compressedPart, partner), 'des3', us);
      const out = unpack([['Content-Type', 'application/pkcs7-mime; smime-type=enveloped-data']], der, opts);
      expect(out).to.include({ signed: 'sha256', encrypted: 'des-ede3-cbc', compressed: true });
      expect(out.payload.equals(X12)).to.equal(true);
      expect(out.mic.value).to.equal(sha('sha256', compressedPart));
    });
  });

  describe('refuses with the right failure', () => {
    it('a signed part altered after signing: integrity-check-failed', () => {
      const smime = opensslSign(entity(), partner);
      const tampered = Buffer.from(smime.toString('latin1').replace('BEG*00*SA*PO-1', 'BEG*00*SA*PO-9'), 'latin1');
      expect(tampered.equals(smime)).to.equal(false);
      const { headers, body } = asHttp(tampered);
      expect(() => unpack(headers, body, opts))
        .to.throw()
        .with.property('code', 'as2-integrity-check-failed');
    });

    it('signed with a certificate that is not the partner’s: authentication-failed', () => {
      const { headers, body } = asHttp(opensslSign(entity(), stranger));
      expect(() => unpack(headers, body, opts))
        .to.throw(/not the configured partner certificate/)
        .with.property('code', 'as2-authentication-failed');
    });

    it('a signature whose bytes were damaged: authentication-failed', () => {
      const smime = opensslSign(entity(), partner).toString('latin1');
      // Change one base64 character of the RSA signature value (the last bytes of the SignedData).
      const sigAt = smime.lastIndexOf('\r\n------') - 60;
      const flipped = smime.slice(0, sigAt) + (smime[sigAt] === 'A' ? 'B' : 'A') + smime.slice(sigAt + 1);
      const { headers, body } = asHttp(Buffer.from(flipped, 'latin1'));
      expect(() => unpack(headers, body, opts))
        .to.throw()
        .with.property('code')
        .that.matches(/^as2-(authentication|integrity-check)-failed$/);
    });

    it('encrypted for another certificate: decryption-failed', () => {
      const der = opensslEncrypt(entity(), 'aes128', stranger);
      expect(() => unpack([['Content-Type', 'application/pkcs7-mime; smime-type=enveloped-data']], der, opts))
        .to.throw(/not ours/)
        .with.property('code', 'as2-decryption-failed');
    });

    it('encrypted content damaged: decryption-failed, never a stack trace', () => {
      const der = opensslEncrypt(entity(Buffer.alloc(4000, 0x41)), 'aes128', us);
      der[der.length - 20] ^= 0xff;
      expect(() => unpack([['Content-Type', 'application/pkcs7-mime; smime-type=enveloped-data']], der, opts))
        .to.throw()
        .with.property('code', 'as2-decryption-failed');
    });

    it('unsigned or unencrypted when the partner must sign and encrypt: insufficient security', () => {
      const der = opensslEncrypt(entity(), 'aes128', us);
      expect(() => unpack([['Content-Type', 'application/pkcs7-mime']], der, { ...opts, requireSigned: true })).to.throw(/not signed/);
      const { headers, body } = asHttp(opensslSign(entity(), partner));
      expect(() => unpack(headers, body, { ...opts, requireEncrypted: true }))
        .to.throw(/not encrypted/)
        .with.property('code', 'as2-insufficient-security');
    });

    it('a compressed bomb: decompression-failed, not inflated', () => {
      const bomb = Buffer.concat([Buffer.from('Content-Type: text/plain\r\n\r\n'), Buffer.alloc(8 * 1024 * 1024, 0x20)]);
      const der = opensslCompress(tmp.dir, bomb);
      expect(der.length).to.be.lessThan(64 * 1024);
      expect(() => unpack([['Content-Type', 'application/pkcs7-mime; smime-type=compressed-data']], der, { ...opts, maxSize: 1024 * 1024 }))
        .to.throw(/inflates to more than/)
        .with.property('code', 'as2-decompression-failed');
    });
  });

  describe('openssl reads what we build', () => {
    for (const cipher of ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'des-ede3-cbc'] as CipherName[]) {
      it(`sign (sha256) + compress + encrypt (${cipher}): openssl decrypts, verifies, and the content inflates to the payload`, () => {
        const packed = pack({
          payload: X12,
          contentType: 'application/edi-x12',
          fileName: 'po 1.x12',
          sign: { identity: ours, digest: 'sha256' },
          encrypt: { recipient: loadCertificate(partner.cert), cipher },
          compress: 'before-signing',
        });
        // The HTTP body is binary DER, as AS2 sends it (openssl's S/MIME reader wants base64 there).
        writeFileSync(tmp.path('ours.p7m'), packed.entity.body);
        const decrypted = openssl([
          'cms',
          '-decrypt',
          '-inform',
          'DER',
          '-in',
          tmp.path('ours.p7m'),
          '-recip',
          partner.certPath,
          '-inkey',
          partner.keyPath,
        ]);
        writeFileSync(tmp.path('ours-signed'), decrypted);
        const signedContent = openssl([
          'cms',
          '-verify',
          '-binary',
          '-crlfeol',
          '-in',
          tmp.path('ours-signed'),
          '-CAfile',
          us.certPath,
          '-purpose',
          'any',
        ]);
        // The signed content is the compressed entity; the MIC we promise is its digest.
        expect(packed.mics.sha256).to.equal(sha('sha256', signedContent));
        const compressed = parseEntity(signedContent);
        expect(compressed.headers.find(([n]) => n === 'Content-Type')?.[1]).to.match(/smime-type=compressed-data/);
        const inner = parseEntity(opensslDecompress(tmp.dir, compressed.body));
        expect(inner.body.equals(X12)).to.equal(true);
        expect(inner.headers).to.deep.include(['Content-Disposition', 'attachment; filename="po 1.x12"']);
      });
    }

    it('a sha1 signature (old partners) that openssl verifies', () => {
      const packed = pack({ payload: X12, contentType: 'application/edi-x12', sign: { identity: ours, digest: 'sha1' } });
      writeFileSync(tmp.path('ours-sha1'), packed.entity.raw);
      const out = openssl([
        'cms',
        '-verify',
        '-binary',
        '-crlfeol',
        '-in',
        tmp.path('ours-sha1'),
        '-CAfile',
        us.certPath,
        '-purpose',
        'any',
        '-cmsout',
        '-print',
        '-noout',
      ]);
      expect(out.toString()).to.match(/algorithm: sha1 /);
      openssl([
        'cms',
        '-verify',
        '-binary',
        '-crlfeol',
        '-in',
        tmp.path('ours-sha1'),
        '-CAfile',
        us.certPath,
        '-purpose',
        'any',
        '-out',
        tmp.path('sha1-content'),
      ]);
      expect(packed.mics.sha1).to.equal(sha('sha1', readFileSync(tmp.path('sha1-content'))));
    });

    it('openssl refuses our signature when checked against another certificate (the check is real)', () => {
      const packed = pack({ payload: X12, contentType: 'application/edi-x12', sign: { identity: ours, digest: 'sha256' } });
      writeFileSync(tmp.path('ours-wrong-ca'), packed.entity.raw);
      expect(() =>
        openssl([
          'cms',
          '-verify',
          '-binary',
          '-crlfeol',
          '-in',
          tmp.path('ours-wrong-ca'),
          '-CAfile',
          stranger.certPath,
          '-purpose',
          'any',
          '-out',
          '/dev/null',
        ]),
      ).to.throw(/failed/);
    });

    it('a signed MDN that openssl verifies, with the disposition and MIC readable, and that we read back', () => {
      const mdn = buildMdn(
        {
          reportingUa: 'Interlace',
          recipient: 'HOSPITAL',
          originalMessageId: '<abc@acme>',
          mic: { value: sha('sha256', entity()), digest: 'sha256' },
          explanation: 'The message was received.',
        },
        { identity: ours, digest: 'sha256' },
      );
      writeFileSync(tmp.path('mdn'), mdn.raw);
      const report = openssl([
        'cms',
        '-verify',
        '-binary',
        '-crlfeol',
        '-in',
        tmp.path('mdn'),
        '-CAfile',
        us.certPath,
        '-purpose',
        'any',
      ]).toString();
      expect(report).to.match(/Disposition: automatic-action\/MDN-sent-automatically; processed\r\n/);
      expect(report).to.include(`Received-Content-MIC: ${sha('sha256', entity())}, sha-256`);
      const back = readMdn(mdn.headers, mdn.body, { partner: [loadCertificate(us.cert)], requireSigned: true });
      expect(back).to.deep.include({
        processed: true,
        originalMessageId: '<abc@acme>',
        signed: 'sha256',
        mic: { value: sha('sha256', entity()), digest: 'sha256' },
      });
    });

    it('an MDN signed by openssl is read, and one signed by a stranger is refused', () => {
      const report = buildMdn({
        reportingUa: 'Peer',
        recipient: 'ACME',
        originalMessageId: '<m1@h>',
        modifier: 'decryption-failed',
        explanation: 'Could not decrypt.',
      });
      const content = Buffer.concat([Buffer.from(`Content-Type: ${report.headers[0]![1]}\r\n\r\n`), report.body]);
      const signedBy = (who: TestCert) => asHttp(opensslSign(content, who));
      const ok = signedBy(partner);
      expect(readMdn(ok.headers, ok.body, { partner: [loadCertificate(partner.cert)], requireSigned: true })).to.deep.include({
        processed: false,
        error: 'decryption-failed',
        signed: 'sha256',
      });
      const bad = signedBy(stranger);
      expect(() => readMdn(bad.headers, bad.body, { partner: [loadCertificate(partner.cert)], requireSigned: true }))
        .to.throw()
        .with.property('code', 'as2-authentication-failed');
    });
  });

  it('a valid signed, compressed, encrypted message with random bytes changed or cut: only ever a ParseError, never a wrong payload', () => {
    const packed = pack({
      payload: X12,
      contentType: 'application/edi-x12',
      sign: { identity: theirs, digest: 'sha256' },
      encrypt: { recipient: loadCertificate(us.cert), cipher: 'aes-128-cbc' },
      compress: 'before-signing',
    });
    const rnd = prng(5402);
    // As a partner profile requires: without these, a header garbled into another type is an unsigned payload.
    const strict = { ...opts, requireSigned: true, requireEncrypted: true };
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(packed.entity.body);
      if (i % 4 === 0) {
        const cut = body.subarray(0, Math.floor(rnd() * body.length));
        expect(() => unpack(packed.entity.headers, cut, strict), `cut ${i}`).to.throw(ParseError);
        continue;
      }
      const at = Math.floor(rnd() * body.length);
      body[at] = (body[at]! + 1 + Math.floor(rnd() * 255)) & 0xff;
      try {
        const out = unpack(packed.entity.headers, body, strict);
        // Only a change the cryptography does not cover (e.g. padding of a length field) may pass, and then the payload is intact.
        expect(out.payload.equals(X12), `case ${i}`).to.equal(true);
        accepted++;
      } catch (err) {
        expect(err, `case ${i}: ${(err as Error).stack}`).to.be.instanceOf(ParseError);
      }
    }
    expect(accepted).to.be.lessThan(30);
  });

  it('keeps working with the other identity loaded (rollover): the partner key decrypts what we encrypted for it', () => {
    const packed = pack({
      payload: X12,
      contentType: 'application/edi-x12',
      encrypt: { recipient: loadCertificate(partner.cert), cipher: 'aes-128-cbc' },
    });
    const out = unpack(packed.entity.headers, packed.entity.body, { ...opts, ours: [ours, theirs] });
    expect(out.payload.equals(X12)).to.equal(true);
    expect(out.mic.value).to.equal(packed.mics.sha256);
  });
});
