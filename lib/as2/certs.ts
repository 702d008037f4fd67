/**
 * Certificates and keys as the CMS code needs them: the node:crypto objects for the cryptography and the
 * pkijs certificate for issuer/serial matching. Loaded from PEM (or DER) bytes; where the bytes come
 * from (a file, an environment variable) is the caller's business.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ParseError } from '../errors.js';

export type As2Certificate = {
  x509: X509Certificate;
  pki: pkijs.Certificate;
  der: Buffer;
};

/** Our side of the exchange: a certificate and its private key. */
export type As2Identity = { cert: As2Certificate; key: KeyObject };

export function loadCertificate(data: Buffer | string, what = 'certificate'): As2Certificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(data);
  } catch (err) {
    throw new ParseError('as2-certificate-invalid', `${what} is not a PEM or DER X.509 certificate`, { cause: err });
  }
  const der = Buffer.from(x509.raw);
  const pki = pkijs.Certificate.fromBER(der);
  return { x509, pki, der };
}

export function loadPrivateKey(data: Buffer | string, what = 'private key', passphrase?: string): KeyObject {
  try {
    const key = createPrivateKey(passphrase === undefined ? { key: data } : { key: data, passphrase });
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`key type ${key.asymmetricKeyType}`);
    return key;
  } catch (err) {
    throw new ParseError('as2-key-invalid', `${what} is not an unencrypted (or correctly unlocked) PEM RSA private key`, { cause: err });
  }
}

export function loadIdentity(cert: Buffer | string, key: Buffer | string, what = 'AS2 identity', passphrase?: string): As2Identity {
  const identity = { cert: loadCertificate(cert, `${what} certificate`), key: loadPrivateKey(key, `${what} key`, passphrase) };
  if (!identity.cert.x509.checkPrivateKey(identity.key)) {
    throw new ParseError('as2-key-mismatch', `${what}: the private key does not belong to the certificate`);
  }
  return identity;
}

/** True when the two certificates are the same (by DER bytes). */
export function sameCertificate(a: As2Certificate, b: As2Certificate): boolean {
  return a.der.equals(b.der);
}

/** True when a CMS signer or recipient identifier (issuer and serial, or subject key id) names `cert`. */
export function identifies(sid: unknown, cert: As2Certificate): boolean {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return (
      Buffer.from(sid.issuer.toSchema().toBER()).equals(Buffer.from(cert.pki.issuer.toSchema().toBER())) &&
      Buffer.from(sid.serialNumber.valueBlock.valueHexView).equals(Buffer.from(cert.pki.serialNumber.valueBlock.valueHexView))
    );
  }
  if (sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive || sid instanceof asn1js.OctetString) {
    // SubjectKeyIdentifier: compare with the certificate's extension.
    const ski = cert.pki.extensions?.find((e) => e.extnID === '2.5.29.14');
    const mine = ski ? Buffer.from((ski.parsedValue as asn1js.OctetString).valueBlock.valueHexView) : undefined;
    const theirs = Buffer.from((sid as asn1js.OctetString).valueBlock.valueHexView ?? new Uint8Array());
    return mine !== undefined && mine.equals(theirs);
  }
  return false;
}
