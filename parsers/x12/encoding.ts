/**
 * X12 sent as UTF-16. The standard's character sets are single-byte, but Windows tools that "save as
 * Unicode" turn a file into UTF-16, with a byte order mark (FF FE or FE FF) or without one (the ISA
 * then reads I 00 S 00 A 00). Such a file is read by narrowing it first: every character up to U+00FF
 * becomes the one byte of the same value, so the delimiters (ASCII or a latin-1 byte such as 0xE2) are
 * the same bytes as in a single-byte file; a character above U+00FF (no X12 character set has one)
 * becomes its UTF-8 bytes, so nothing is lost. The acknowledgment is widened back the same way, in the
 * partner's byte order and with a byte order mark when theirs had one.
 */

import { detectUtf16, type Utf16Form } from '../../lib/utf16.js';

/** How an interchange was encoded on the wire, when it was not single-byte. */
export type X12WideEncoding = Utf16Form;

/** Bytes needed to tell UTF-16 without a byte order mark from a single-byte file. */
export const WIDE_PROBE = 64;

/**
 * The UTF-16 form of an X12 input from its first bytes: a byte order mark, or `ISA` in UTF-16 after
 * optional UTF-16 whitespace. `more` when `head` is too short to tell and more input may come.
 */
export function detectWide(head: Uint8Array, final = true): X12WideEncoding | 'more' | undefined {
  return detectUtf16(head, ['ISA'], final);
}

/** Narrows UTF-16 text to X12 bytes (see the file comment); chunks may split characters anywhere. */
export class WideNarrower {
  private readonly decoder: TextDecoder;

  constructor(readonly encoding: X12WideEncoding) {
    this.decoder = new TextDecoder(encoding.form);
  }

  push(chunk: Uint8Array): Buffer {
    return narrow(this.decoder.decode(chunk, { stream: true }));
  }

  end(): Buffer {
    return narrow(this.decoder.decode());
  }
}

function narrow(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length * 4);
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0xff) out[n++] = cp;
    else n += out.write(ch, n, 'utf8');
  }
  return out.subarray(0, n);
}

/** The whole input narrowed when it is UTF-16, else as it is. */
export function narrowInput(raw: Uint8Array): { bytes: Buffer; encoding?: X12WideEncoding } {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const encoding = detectWide(buf.subarray(0, WIDE_PROBE));
  if (!encoding || encoding === 'more') return { bytes: buf };
  const narrower = new WideNarrower(encoding);
  return { bytes: Buffer.concat([narrower.push(buf), narrower.end()]), encoding };
}

/**
 * Bytes written by Interlace (one byte per character) in the encoding the partner sent: each byte
 * becomes one UTF-16 code unit of the same value, in their byte order, after a byte order mark when
 * theirs had one. Single-byte when `encoding` is undefined.
 */
export function widen(bytes: Buffer, encoding: X12WideEncoding | undefined): Buffer {
  if (!encoding) return bytes;
  const offset = encoding.bom ? 2 : 0;
  const out = Buffer.alloc(offset + bytes.length * 2);
  if (encoding.bom) out.writeUInt16LE(encoding.form === 'utf-16le' ? 0xfeff : 0xfffe, 0);
  for (let i = 0; i < bytes.length; i++) {
    if (encoding.form === 'utf-16le') out[offset + 2 * i] = bytes[i]!;
    else out[offset + 2 * i + 1] = bytes[i]!;
  }
  return out;
}
