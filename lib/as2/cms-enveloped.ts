/**
 * CMS EnvelopedData (RFC 5652 §6) with RSA key transport: content encrypted with AES-128/192/256-CBC or
 * 3DES (des-ede3-cbc, for old partners; WebCrypto has no 3DES, so everything here is node:crypto).
 *
 * RSA PKCS#1 v1.5 key transport is what AS2 partners and `openssl cms -encrypt` use. Node 20 refuses
 * PKCS#1 v1.5 private decryption (CVE-2023-46809), so the key is decrypted raw and unpadded here with
 * the RFC 3218 countermeasure: a bad padding yields a random key, so a forged message fails exactly like
 * any other undecryptable one and the padding check is not an oracle. RSAES-OAEP is read too.
 */
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ParseError } from '../errors.js';
import { CIPHER_KEY_BYTES, CIPHER_OIDS, OID, cipherByOid, digestByOid, type CipherName } from './algorithms.js';
import { identifies, type As2Certificate, type As2Identity } from './certs.js';
import { octets, parseContentInfo } from './cms-content.js';

/** Encrypts `content` (a whole MIME entity) for `recipient`: DER ContentInfo. */
export function encryptFor(content: Buffer, recipient: As2Certificate, cipher: CipherName): Buffer {
  const key = randomBytes(CIPHER_KEY_BYTES[cipher]);
  const iv = randomBytes(cipher === 'des-ede3-cbc' ? 8 : 16);
  const c = createCipheriv(cipher, key, iv);
  const encrypted = Buffer.concat([c.update(content), c.final()]);
  const encryptedKey = publicEncrypt({ key: recipient.x509.publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
  const ktri = new pkijs.KeyTransRecipientInfo({
    version: 0,
    rid: new pkijs.IssuerAndSerialNumber({ issuer: recipient.pki.issuer, serialNumber: recipient.pki.serialNumber }),
    keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() }),
    encryptedKey: new asn1js.OctetString({ valueHex: encryptedKey }),
  });
  const enveloped = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [new pkijs.RecipientInfo({ variant: 1, value: ktri })],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: CIPHER_OIDS[cipher],
        algorithmParams: new asn1js.OctetString({ valueHex: iv }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: encrypted }),
      disableSplit: true,
    }),
  });
  const info = new pkijs.ContentInfo({ contentType: OID.envelopedData, content: enveloped.toSchema() });
  return Buffer.from(info.toSchema().toBER());
}

function unpadPkcs1(block: Buffer, keyLength: number): Buffer {
  // EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M
  const fallback = randomBytes(keyLength);
  let sep = -1;
  for (let i = 2; i < block.length; i++) if (block[i] === 0 && sep < 0) sep = i;
  const ok = block[0] === 0 && block[1] === 2 && sep >= 10 && block.length - sep - 1 === keyLength;
  return ok ? Buffer.from(block.subarray(sep + 1)) : fallback;
}

function decryptKey(ktri: pkijs.KeyTransRecipientInfo, key: As2Identity['key'], keyLength: number): Buffer {
  const encryptedKey = octets(ktri.encryptedKey);
  const alg = ktri.keyEncryptionAlgorithm;
  if (alg.algorithmId === OID.rsaEncryption) {
    return unpadPkcs1(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, encryptedKey), keyLength);
  }
  if (alg.algorithmId === OID.rsaOaep) {
    let oaepHash = 'sha1';
    if (alg.algorithmParams instanceof asn1js.Sequence) {
      const params = new pkijs.RSAESOAEPParams({ schema: alg.algorithmParams });
      oaepHash = digestByOid(params.hashAlgorithm.algorithmId) ?? 'unsupported';
    }
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, encryptedKey);
  }
  throw new ParseError('as2-decryption-failed', `the content key is wrapped with ${alg.algorithmId}; expected RSA (PKCS#1 v1.5 or OAEP)`);
}

/**
 * Decrypts an EnvelopedData addressed to one of `ours`. Throws ParseError `as2-decryption-failed`
 * saying why: not CMS, encrypted for another certificate, an unsupported cipher, or a wrong key.
 */
export function decryptWith(der: Buffer, ours: readonly As2Identity[]): { content: Buffer; cipher: CipherName } {
  const info = parseContentInfo(der, 'the encrypted part', OID.envelopedData, 'as2-decryption-failed');
  let env: pkijs.EnvelopedData;
  try {
    env = new pkijs.EnvelopedData({ schema: info.content });
  } catch (err) {
    throw new ParseError('as2-decryption-failed', 'the encrypted part is not a CMS EnvelopedData structure', { cause: err });
  }
  const algId = env.encryptedContentInfo.contentEncryptionAlgorithm.algorithmId;
  const cipher = cipherByOid(algId);
  if (!cipher)
    throw new ParseError(
      'as2-decryption-failed',
      `the content is encrypted with ${algId}; expected AES-128/192/256-CBC or 3DES (des-ede3-cbc)`,
    );
  let match: { ktri: pkijs.KeyTransRecipientInfo; identity: As2Identity } | undefined;
  for (const ri of env.recipientInfos) {
    if (ri.variant !== 1 || !(ri.value instanceof pkijs.KeyTransRecipientInfo)) continue;
    const ktri = ri.value;
    const identity = ours.find((id) => identifies(ktri.rid, id.cert));
    if (identity) match = { ktri, identity };
  }
  if (!match)
    throw new ParseError(
      'as2-decryption-failed',
      'the message is encrypted for a certificate that is not ours (no recipient matches our certificate)',
    );
  const iv = octets(env.encryptedContentInfo.contentEncryptionAlgorithm.algorithmParams as asn1js.OctetString);
  const expectedIv = cipher === 'des-ede3-cbc' ? 8 : 16;
  if (iv.length !== expectedIv)
    throw new ParseError('as2-decryption-failed', `the ${cipher} IV is ${iv.length} bytes; expected ${expectedIv}`);
  try {
    const cek = decryptKey(match.ktri, match.identity.key, CIPHER_KEY_BYTES[cipher]);
    const d = createDecipheriv(cipher, cek, iv);
    const encrypted = octets(env.encryptedContentInfo.encryptedContent);
    return { content: Buffer.concat([d.update(encrypted), d.final()]), cipher };
  } catch (err) {
    if (err instanceof ParseError) throw err;
    throw new ParseError('as2-decryption-failed', 'the content could not be decrypted with our private key (wrong key or damaged data)', {
      cause: err,
    });
  }
}
