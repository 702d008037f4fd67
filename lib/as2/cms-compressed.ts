/** CMS CompressedData (RFC 3274) with zlib, as RFC 5402 uses it for AS2. */
import { deflateSync, inflateSync } from 'node:zlib';
import * as asn1js from 'asn1js';
import { ParseError } from '../errors.js';
import { OID } from './algorithms.js';
import { octets, parseContentInfo } from './cms-content.js';

/** Compresses `content` (a whole MIME entity): DER ContentInfo. */
export function compress(content: Buffer): Buffer {
  const compressed = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.zlib })] }),
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: OID.data }),
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 0 },
            value: [new asn1js.OctetString({ valueHex: deflateSync(content) })],
          }),
        ],
      }),
    ],
  });
  const info = new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: OID.compressedData }),
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [compressed] }),
    ],
  });
  return Buffer.from(info.toBER());
}

/**
 * Decompresses a CompressedData; `limit` bounds the inflated size (a zip bomb is refused, not
 * inflated). Throws ParseError `as2-decompression-failed`.
 */
export function decompress(der: Buffer, limit: number): Buffer {
  const info = parseContentInfo(der, 'the compressed part', OID.compressedData, 'as2-decompression-failed');
  const seq = info.content as asn1js.Sequence;
  const items = seq instanceof asn1js.Sequence ? seq.valueBlock.value : [];
  const alg = items[1] instanceof asn1js.Sequence ? items[1].valueBlock.value[0] : undefined;
  if (!(alg instanceof asn1js.ObjectIdentifier) || alg.valueBlock.toString() !== OID.zlib) {
    throw new ParseError('as2-decompression-failed', 'the compressed part does not use zlib (RFC 3274 id-alg-zlibCompress)');
  }
  const encap = items[2] instanceof asn1js.Sequence ? items[2].valueBlock.value : [];
  const explicit = encap[1] as asn1js.Constructed | undefined;
  const inner = explicit?.valueBlock?.value?.[0];
  if (!inner) throw new ParseError('as2-decompression-failed', 'the compressed part has no content');
  try {
    return inflateSync(octets(inner), { maxOutputLength: limit });
  } catch (err) {
    const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new ParseError(
      'as2-decompression-failed',
      tooBig ? `the compressed part inflates to more than ${limit} bytes` : 'the compressed part is not valid zlib data',
      { cause: err },
    );
  }
}
