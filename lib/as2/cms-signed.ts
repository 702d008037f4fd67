/**
 * CMS SignedData (RFC 5652 §5), detached, as S/MIME multipart/signed carries it: RSA PKCS#1 v1.5
 * signatures with sha-1/256/384/512, signed attributes (content type, signing time, message digest).
 * pkijs gives the ASN.1 structures; node:crypto does the hashing and the RSA.
 */
import { createHash, sign as rsaSign, verify as rsaVerify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ParseError } from '../errors.js';
import { DIGEST_OIDS, OID, RSA_SIGNATURE_OIDS, digestByOid, type DigestName } from './algorithms.js';
import { identifies, type As2Certificate, type As2Identity } from './certs.js';
import { parseContentInfo } from './cms-content.js';

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** Compares DER encodings as SET OF wants them sorted (X.690 §11.6: shorter padded with zeros). */
function derOrder(a: Buffer, b: Buffer): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A detached signature over `content` (the exact bytes of the signed MIME part): DER ContentInfo. */
export function signDetached(content: Buffer, signer: As2Identity, digest: DigestName, signingTime = new Date()): Buffer {
  const messageDigest = createHash(digest).update(content).digest();
  const attrs = [
    attribute(OID.contentTypeAttr, new asn1js.ObjectIdentifier({ value: OID.data })),
    attribute(OID.signingTimeAttr, new asn1js.UTCTime({ valueDate: signingTime })),
    attribute(OID.messageDigestAttr, new asn1js.OctetString({ valueHex: messageDigest })),
  ]
    .map((a) => ({ a, der: Buffer.from(a.toSchema().toBER()) }))
    .sort((x, y) => derOrder(x.der, y.der));
  const setDer = Buffer.from(new asn1js.Set({ value: attrs.map((x) => x.a.toSchema()) }).toBER());
  const signature = rsaSign(digest, setDer, signer.key);
  const algorithm = (oid: string) => new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() });
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.cert.pki.issuer, serialNumber: signer.cert.pki.serialNumber }),
    digestAlgorithm: algorithm(DIGEST_OIDS[digest]),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs.map((x) => x.a) }),
    signatureAlgorithm: algorithm(RSA_SIGNATURE_OIDS[digest]),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const signed = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [algorithm(DIGEST_OIDS[digest])],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: [signer.cert.pki],
    signerInfos: [signerInfo],
  });
  const info = new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) });
  return Buffer.from(info.toSchema().toBER());
}

export type Verified = { digest: DigestName; signer: As2Certificate };

/**
 * Verifies a detached signature over `content` against the partner's certificates (never against a
 * certificate the message brings along). Throws ParseError `as2-authentication-failed` when the signer
 * is not one of `trusted` or the signature does not verify with its key, `as2-integrity-check-failed`
 * when the content's digest differs from the signed one.
 */
export function verifyDetached(signature: Buffer, content: Buffer, trusted: readonly As2Certificate[]): Verified {
  const info = parseContentInfo(signature, 'the signature part', OID.signedData, 'as2-authentication-failed');
  let signed: pkijs.SignedData;
  try {
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (err) {
    throw new ParseError('as2-authentication-failed', 'the signature part is not a CMS SignedData structure', { cause: err });
  }
  if (signed.signerInfos.length === 0) throw new ParseError('as2-authentication-failed', 'the signature has no signer');
  let lastError: ParseError | undefined;
  for (const si of signed.signerInfos) {
    const cert = trusted.find((c) => identifies(si.sid, c));
    if (!cert) {
      lastError = new ParseError(
        'as2-authentication-failed',
        'the message is signed with a certificate that is not the configured partner certificate',
      );
      continue;
    }
    const digest = digestByOid(si.digestAlgorithm.algorithmId);
    if (!digest)
      throw new ParseError(
        'as2-authentication-failed',
        `the signature uses digest algorithm ${si.digestAlgorithm.algorithmId}; expected sha-1, sha-256, sha-384 or sha-512`,
      );
    const sigAlg = si.signatureAlgorithm.algorithmId;
    if (sigAlg !== OID.rsaEncryption && sigAlg !== RSA_SIGNATURE_OIDS[digest]) {
      throw new ParseError('as2-authentication-failed', `the signature algorithm ${sigAlg} is not RSA PKCS#1 v1.5 with ${digest}`);
    }
    const contentDigest = createHash(digest).update(content).digest();
    let data = content;
    if (si.signedAttrs) {
      const md = si.signedAttrs.attributes.find((a) => a.type === OID.messageDigestAttr);
      const value: unknown = md?.values[0];
      if (!(value instanceof asn1js.OctetString))
        throw new ParseError('as2-authentication-failed', 'the signed attributes have no message digest');
      if (!Buffer.from(value.valueBlock.valueHexView).equals(contentDigest)) {
        throw new ParseError(
          'as2-integrity-check-failed',
          `the ${digest} digest of the signed content differs from the one in the signature: the content was altered`,
        );
      }
      data = Buffer.from(si.signedAttrs.encodedValue);
    }
    const ok = rsaVerify(digest, data, cert.x509.publicKey, Buffer.from(si.signature.valueBlock.valueHexView));
    if (!ok) {
      throw si.signedAttrs
        ? new ParseError('as2-authentication-failed', "the signature does not verify with the partner certificate's key")
        : new ParseError(
            'as2-integrity-check-failed',
            'the signature does not verify over the content: the content or the signature was altered',
          );
    }
    return { digest, signer: cert };
  }
  throw lastError!;
}
