import type { ErrorCode } from '../error-codes.js';
/** ContentInfo (RFC 5652 §3) reading shared by the signed, enveloped and compressed codecs. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ParseError } from '../errors.js';

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

/** The bytes of an OCTET STRING, joining the segments of a constructed (BER, streamed) one. */
export function octets(value: asn1js.OctetString | asn1js.AsnType | undefined): Buffer {
  if (!value) return Buffer.alloc(0);
  const block = (value as asn1js.OctetString).valueBlock as unknown as { isConstructed?: boolean; value?: asn1js.AsnType[]; valueHexView?: Uint8Array };
  if (block.isConstructed || (Array.isArray(block.value) && block.value.length > 0)) {
    return Buffer.concat((block.value ?? []).map((v) => octets(v)));
  }
  return Buffer.from(block.valueHexView ?? new Uint8Array());
}

/** asn1js.fromBER, which throws on some malformed input (a RangeError) instead of reporting it. */
export function readBer(der: Buffer): ReturnType<typeof asn1js.fromBER> | undefined {
  try {
    return asn1js.fromBER(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
  } catch {
    return undefined;
  }
}
