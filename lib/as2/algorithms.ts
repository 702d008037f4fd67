/** Object identifiers and the names AS2 headers use for them (RFC 5751 micalg, RFC 4130 §7.3). */
import { createHash } from 'node:crypto';

export type DigestName = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type CipherName = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'des-ede3-cbc';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  compressedData: '1.2.840.113549.1.9.16.1.9',
  zlib: '1.2.840.113549.1.9.16.3.8',
  contentTypeAttr: '1.2.840.113549.1.9.3',
  messageDigestAttr: '1.2.840.113549.1.9.4',
  signingTimeAttr: '1.2.840.113549.1.9.5',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaOaep: '1.2.840.113549.1.1.7',
} as const;

export const DIGEST_OIDS: Record<DigestName, string> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

/** sha*WithRSAEncryption, by digest. */
export const RSA_SIGNATURE_OIDS: Record<DigestName, string> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};

export const CIPHER_OIDS: Record<CipherName, string> = {
  'aes-128-cbc': '2.16.840.1.101.3.4.1.2',
  'aes-192-cbc': '2.16.840.1.101.3.4.1.22',
  'aes-256-cbc': '2.16.840.1.101.3.4.1.42',
  'des-ede3-cbc': '1.2.840.113549.3.7',
};

export const CIPHER_KEY_BYTES: Record<CipherName, number> = {
  'aes-128-cbc': 16,
  'aes-192-cbc': 24,
  'aes-256-cbc': 32,
  'des-ede3-cbc': 24,
};

export function digestByOid(oid: string): DigestName | undefined {
  return (Object.keys(DIGEST_OIDS) as DigestName[]).find((d) => DIGEST_OIDS[d] === oid);
}

export function cipherByOid(oid: string): CipherName | undefined {
  return (Object.keys(CIPHER_OIDS) as CipherName[]).find((c) => CIPHER_OIDS[c] === oid);
}

/** The micalg / Received-Content-MIC name: `sha-256`, `sha1` (RFC 5751 names; both spellings are read). */
export function micalgName(d: DigestName): string {
  return d === 'sha1' ? 'sha1' : `sha-${d.slice(3)}`;
}

/** Reads `sha-256`, `sha256`, `SHA-1`, `sha1`…; undefined for anything else (md5 is not accepted). */
export function digestByMicalg(name: string): DigestName | undefined {
  const n = name.trim().toLowerCase().replace(/^"|"$/g, '').replace('-', '');
  return n === 'sha1' || n === 'sha256' || n === 'sha384' || n === 'sha512' ? n : undefined;
}

/** A MIC as AS2 writes it (RFC 4130 §7.3.1): the base64 digest of the bytes. */
export function micOf(bytes: Buffer, digest: DigestName): string {
  return createHash(digest).update(bytes).digest('base64');
}

/** `Received-Content-MIC: <base64>, <alg>` value. */
export function formatMic(mic: { value: string; digest: DigestName }): string {
  return `${mic.value}, ${micalgName(mic.digest)}`;
}

/** Reads a Received-Content-MIC value; undefined when it is not `<base64>, <known alg>`. */
export function parseMic(text: string): { value: string; digest: DigestName } | undefined {
  const comma = text.lastIndexOf(',');
  if (comma < 0) return undefined;
  const digest = digestByMicalg(text.slice(comma + 1));
  const value = text.slice(0, comma).trim();
  return digest && /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? { value, digest } : undefined;
}
