/** ContentInfo (RFC 5652 §3) reading shared by the signed, enveloped and compressed codecs. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ParseError } from '../errors.js';
import type { ErrorCode } from '../error-codes.js';

const NAMES: Record<string, string> = {
  '1.2.840.113549.1.7.1': 'data',
  '1.2.840.113549.1.7.2': 'signed-data',
  '1.2.840.113549.1.7.3': 'enveloped-data',
  '1.2.840.113549.1.9.16.1.9': 'compressed-data',
};

/**
 * Parses BER/DER ContentInfo and checks its content type. `code` is the error code a failure gets, so
 * that each caller's failure maps onto the right MDN disposition.
 */
export function parseContentInfo(der: Buffer, what: string, expected: string, code: ErrorCode): pkijs.ContentInfo {
  const asn = readBer(der);
  if (!asn || asn.offset === -1) throw new ParseError(code, `${what} is not BER/DER-encoded CMS (${asn?.result.error || 'unreadable'})`);
  let info: pkijs.ContentInfo;
  try {
    info = new pkijs.ContentInfo({ schema: asn.result });
  } catch (err) {
    throw new ParseError(code, `${what} is not a CMS ContentInfo`, { cause: err });
  }
  if (info.contentType !== expected) {
    throw new ParseError(code, `${what} is CMS ${NAMES[info.contentType] ?? info.contentType}; expected ${NAMES[expected] ?? expected}`);
  }
  return info;
}

/**
 * The bytes of an OCTET STRING, joining the segments of a constructed (BER, streamed) one. A primitive
 * one is always its own bytes: asn1js also tries to decode a primitive OCTET STRING's content as BER
 * (`valueBlock.value`), which must never be taken for segments (an IV or key that happens to start
 * like a BER header would lose bytes).
 */
export function octets(value: asn1js.OctetString | asn1js.AsnType | undefined): Buffer {
  if (!value) return Buffer.alloc(0);
  const v = value as unknown as {
    idBlock?: { isConstructed?: boolean };
    valueBlock: { value?: asn1js.AsnType[]; valueHexView?: Uint8Array };
  };
  if (v.idBlock?.isConstructed) return Buffer.concat((v.valueBlock.value ?? []).map((part) => octets(part)));
  return Buffer.from(v.valueBlock.valueHexView ?? new Uint8Array());
}

/** asn1js.fromBER, which throws on some malformed input (a RangeError) instead of reporting it. */
export function readBer(der: Buffer): ReturnType<typeof asn1js.fromBER> | undefined {
  try {
    return asn1js.fromBER(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
  } catch {
    return undefined;
  }
}
