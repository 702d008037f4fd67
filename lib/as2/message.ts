/**
 * An AS2 message body (RFC 4130 §5, RFC 5402) built from a payload, and a received one taken apart:
 * compression, signature and encryption are MIME layers around the payload entity. The outer entity's
 * headers travel as HTTP headers and its body as the HTTP body.
 *
 * MIC (RFC 4130 §7.3.1): over the signed MIME part (headers and body, as transmitted) when the message
 * is signed, else over the innermost payload entity (headers and body) — with RFC 5402, a message
 * compressed before signing therefore has its MIC over the compressed entity.
 */
import * as asn1js from 'asn1js';
import { ParseError } from '../errors.js';
import { OID, micOf, micalgName, type CipherName, type DigestName } from './algorithms.js';
import type { As2Certificate, As2Identity } from './certs.js';
import { compress, decompress } from './cms-compressed.js';
import { readBer } from './cms-content.js';
import { decryptWith, encryptFor } from './cms-enveloped.js';
import { signDetached, verifyDetached } from './cms-signed.js';
import {
  base64Lines,
  buildEntity,
  decodeBody,
  headerValue,
  joinMultipart,
  newBoundary,
  parseContentType,
  parseEntity,
  quoteParam,
  splitMultipart,
  type MimeEntity,
  type MimeHeaders,
} from './mime.js';
import type { ErrorCode } from '../error-codes.js';

export type Mic = { value: string; digest: DigestName };

export type PackOptions = {
  payload: Buffer;
  /** The payload's Content-Type, e.g. `application/edi-x12`. */
  contentType: string;
  fileName?: string;
  sign?: { identity: As2Identity; digest: DigestName };
  encrypt?: { recipient: As2Certificate; cipher: CipherName };
  /** Where compression goes, when at all: RFC 5402 allows both; before signing is the common choice. */
  compress?: 'before-signing' | 'after-signing';
};

export type Packed = {
  /** The outer entity: its headers go to HTTP, its body is the HTTP body. */
  entity: MimeEntity;
  /** The MIC of this message in every digest the partner may answer with (sha1, sha256, sha384, sha512). */
  mics: Record<DigestName, string>;
  /** The digest the MDN's MIC is expected in: the signature's, else sha256. */
  micDigest: DigestName;
};

function payloadEntity(payload: Buffer, contentType: string, fileName?: string): MimeEntity {
  const headers: Array<[string, string]> = [
    ['Content-Type', contentType],
    ['Content-Transfer-Encoding', 'binary'],
  ];
  if (fileName) headers.push(['Content-Disposition', `attachment; filename=${quoteParam(fileName)}`]);
  return buildEntity(headers, payload);
}

function cmsEntity(der: Buffer, smimeType: 'enveloped-data' | 'compressed-data'): MimeEntity {
  const name = smimeType === 'enveloped-data' ? 'smime.p7m' : 'smime.p7z';
  return buildEntity(
    [
      ['Content-Type', `application/pkcs7-mime; smime-type=${smimeType}; name=${name}`],
      ['Content-Transfer-Encoding', 'binary'],
      ['Content-Disposition', `attachment; filename=${name}`],
    ],
    der,
  );
}

export function signedEntity(content: MimeEntity, identity: As2Identity, digest: DigestName): MimeEntity {
  const signature = buildEntity(
    [
      ['Content-Type', 'application/pkcs7-signature; name=smime.p7s; smime-type=signed-data'],
      ['Content-Transfer-Encoding', 'base64'],
      ['Content-Disposition', 'attachment; filename=smime.p7s'],
    ],
    base64Lines(signDetached(content.raw, identity, digest)),
  );
  const boundary = newBoundary();
  return buildEntity(
    [['Content-Type', `multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalgName(digest)}; boundary="${boundary}"`]],
    joinMultipart([content.raw, signature.raw], boundary),
  );
}

const ALL_DIGESTS: DigestName[] = ['sha1', 'sha256', 'sha384', 'sha512'];

/** Builds the message: payload → [compress] → [sign] → [compress] → [encrypt]. */
export function pack(o: PackOptions): Packed {
  let entity = payloadEntity(o.payload, o.contentType, o.fileName);
  const payloadBytes = entity.raw;
  if (o.compress === 'before-signing' || (o.compress === 'after-signing' && !o.sign))
    entity = cmsEntity(compress(entity.raw), 'compressed-data');
  const micBytes = o.sign ? entity.raw : payloadBytes;
  if (o.sign) entity = signedEntity(entity, o.sign.identity, o.sign.digest);
  if (o.compress === 'after-signing' && o.sign) entity = cmsEntity(compress(entity.raw), 'compressed-data');
  if (o.encrypt) entity = cmsEntity(encryptFor(entity.raw, o.encrypt.recipient, o.encrypt.cipher), 'enveloped-data');
  const mics = Object.fromEntries(ALL_DIGESTS.map((d) => [d, micOf(micBytes, d)])) as Record<DigestName, string>;
  return { entity, mics, micDigest: o.sign?.digest ?? 'sha256' };
}

export type UnpackOptions = {
  /** Our certificates and keys (several during a certificate rollover). */
  ours: readonly As2Identity[];
  /** The partner's certificates that may sign. */
  partner: readonly As2Certificate[];
  requireSigned: boolean;
  requireEncrypted: boolean;
  /** Digests the sender asked the MIC in (signed-receipt-micalg), in its order of preference. */
  micDigests: readonly DigestName[];
  /** Largest payload accepted after decompression, in bytes. */
  maxSize: number;
};

export type Unpacked = {
  payload: Buffer;
  /** The innermost entity: the payload with its MIME headers. */
  entity: MimeEntity;
  contentType: string;
  fileName?: string;
  signed?: DigestName;
  encrypted?: CipherName;
  compressed: boolean;
  mic: Mic;
};

/** What a CMS body contains, by its ContentInfo content type (when smime-type is missing). */
function cmsKind(der: Buffer): string | undefined {
  const asn = readBer(der);
  const first = !asn || asn.offset === -1 ? undefined : (asn.result as asn1js.Sequence).valueBlock?.value?.[0];
  return first instanceof asn1js.ObjectIdentifier ? first.valueBlock.toString() : undefined;
}

const LAYER_LIMIT = 6;

/** Runs a CMS step; anything it throws that is not already a ParseError becomes one with `code`. */
export function guarded<T>(code: ErrorCode, what: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof ParseError) throw err;
    throw new ParseError(code, `${what} is malformed CMS`, { cause: err });
  }
}

/**
 * Takes a received message apart. Throws ParseError with an `as2-*` code that `dispositionFor` maps to
 * the MDN's disposition modifier.
 */
export function unpack(headers: MimeHeaders, body: Buffer, o: UnpackOptions): Unpacked {
  let entity: MimeEntity = { headers, body, raw: body };
  let signed: DigestName | undefined;
  let encrypted: CipherName | undefined;
  let compressed = false;
  let micBytes: Buffer | undefined;
  for (let layer = 0; ; layer++) {
    if (layer >= LAYER_LIMIT)
      throw new ParseError('as2-unexpected-processing-error', `the message nests more than ${LAYER_LIMIT} MIME layers`);
    const ct = parseContentType(headerValue(entity.headers, 'content-type'));
    if (ct.type === 'multipart/signed') {
      if (signed) throw new ParseError('as2-unexpected-processing-error', 'the message is signed twice');
      const parts = splitMultipart(entity.body, ct.params['boundary'] ?? '', 'the multipart/signed body');
      if (parts.length !== 2)
        throw new ParseError('mime-malformed', `the multipart/signed body has ${parts.length} parts; expected 2 (content, signature)`);
      const sigEntity = parseEntity(parts[1]!, 'the signature part');
      const sigType = parseContentType(headerValue(sigEntity.headers, 'content-type')).type;
      if (sigType !== 'application/pkcs7-signature' && sigType !== 'application/x-pkcs7-signature') {
        throw new ParseError(
          'as2-authentication-failed',
          `the second part of multipart/signed is ${sigType}; expected application/pkcs7-signature`,
        );
      }
      const signature = decodeBody(sigEntity, 'the signature part');
      const verified = guarded('as2-authentication-failed', 'the signature', () => verifyDetached(signature, parts[0]!, o.partner));
      signed = verified.digest;
      micBytes = parts[0]!;
      entity = parseEntity(parts[0]!, 'the signed part');
      continue;
    }
    if (ct.type === 'application/pkcs7-mime' || ct.type === 'application/x-pkcs7-mime') {
      const der = decodeBody(entity, 'the S/MIME part');
      const kind =
        ct.params['smime-type']?.toLowerCase() ??
        { [OID.envelopedData]: 'enveloped-data', [OID.compressedData]: 'compressed-data' }[cmsKind(der) ?? ''];
      if (kind === 'enveloped-data') {
        if (encrypted) throw new ParseError('as2-unexpected-processing-error', 'the message is encrypted twice');
        const out = guarded('as2-decryption-failed', 'the encrypted part', () => decryptWith(der, o.ours));
        encrypted = out.cipher;
        entity = parseEntity(out.content, 'the decrypted content');
        continue;
      }
      if (kind === 'compressed-data') {
        if (compressed) throw new ParseError('as2-unexpected-processing-error', 'the message is compressed twice');
        compressed = true;
        entity = parseEntity(
          guarded('as2-decompression-failed', 'the compressed part', () => decompress(der, o.maxSize + 64 * 1024)),
          'the decompressed content',
        );
        continue;
      }
      throw new ParseError(
        'as2-unexpected-processing-error',
        `application/pkcs7-mime with smime-type ${kind ?? '(unknown)'}; expected enveloped-data or compressed-data`,
      );
    }
    break;
  }
  if (o.requireEncrypted && !encrypted)
    throw new ParseError('as2-insufficient-security', 'the message is not encrypted, and this partner must encrypt');
  if (o.requireSigned && !signed)
    throw new ParseError('as2-insufficient-security', 'the message is not signed, and this partner must sign');
  const payload = decodeBody(entity, 'the payload');
  if (payload.length > o.maxSize)
    throw new ParseError('as2-too-large', `the payload is ${payload.length} bytes; the limit is ${o.maxSize}`);
  const digest = signed ?? o.micDigests[0] ?? 'sha256';
  const disposition = headerValue(entity.headers, 'content-disposition');
  const fileName = disposition ? parseContentType(disposition).params['filename'] : undefined;
  return {
    payload,
    entity,
    contentType: parseContentType(headerValue(entity.headers, 'content-type')).type,
    ...(fileName ? { fileName } : {}),
    ...(signed ? { signed } : {}),
    ...(encrypted ? { encrypted } : {}),
    compressed,
    mic: { value: micOf(micBytes ?? entity.raw, digest), digest },
  };
}
