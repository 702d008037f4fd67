import iconv from 'iconv-lite';

/**
 * Character sets: MSH-18 values (HL7 table 0211 plus common non-standard spellings) to the names
 * Node and iconv-lite use, and lossless decode / encode with them.
 */
const TABLE_0211: Record<string, string> = {
  ASCII: 'ascii',
  'ISO IR6': 'ascii',
  '8859/1': 'latin1',
  'ISO IR100': 'latin1',
  '8859/2': 'iso-8859-2',
  'ISO IR101': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  'ISO IR144': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  'ISO IR127': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  'ISO IR126': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  'ISO IR138': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  'ISO IR148': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  UNICODE: 'utf8',
  'UNICODE UTF-8': 'utf8',
  'GB 18030-2000': 'gb18030',
  'KS X 1001': 'euc-kr',
  'BIG-5': 'big5',
  JAS2020: 'shift_jis',
  'JIS X 0208': 'shift_jis',
};

/**
 * Other spellings of the table 0211 character sets that senders use in MSH-18. Nothing else is
 * accepted there: an encoding the decoder knows (HEX, BASE64, UCS2, UTF-7, windows-1252…) is not an
 * HL7 character set, and the ACK is written in the character set of the message.
 */
const ALIASES: Record<string, string> = {
  'UTF-8': 'utf8',
  UTF8: 'utf8',
  'US-ASCII': 'ascii',
  LATIN1: 'latin1',
  'LATIN-1': 'latin1',
  GB18030: 'gb18030',
  'EUC-KR': 'euc-kr',
  BIG5: 'big5',
  SHIFT_JIS: 'shift_jis',
  'SHIFT-JIS': 'shift_jis',
};
for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 15]) {
  const to = n === 1 ? 'latin1' : `iso-8859-${n}`;
  for (const spelling of [`ISO-8859-${n}`, `ISO8859-${n}`, `ISO_8859-${n}`, `ISO 8859-${n}`]) ALIASES[spelling] = to;
}

/** Character sets whose bytes do not keep the ASCII delimiters as single bytes: refused. */
const UNSUPPORTED = new Set(['UNICODE UTF-16', 'UNICODE UTF-32', 'ISO IR87', 'ISO IR159', 'CNS 11643-1992']);

export type CharsetLookup = { ok: true; encoding: string } | { ok: false; reason: 'unknown' | 'unsupported' };

/** The Node / iconv-lite encoding for an MSH-18 value (`8859/1` → `latin1`), or why there is none. */
export function encodingForCharset(charset: string): CharsetLookup {
  const key = charset.trim().toUpperCase();
  if (UNSUPPORTED.has(key)) return { ok: false, reason: 'unsupported' };
  const known = TABLE_0211[key] ?? ALIASES[key];
  if (known) return { ok: true, encoding: known };
  return { ok: false, reason: /^UTF-?(16|32)|^UCS-?[24]|^UNICODE/.test(key) ? 'unsupported' : 'unknown' };
}

/** Accepts an encoding name as Node or iconv-lite spell it (`utf-8`, `ISO-8859-1`, `windows-1252`). */
export function normalizeEncoding(name: string): CharsetLookup {
  const lower = name.trim().toLowerCase();
  if (lower === 'utf8' || lower === 'utf-8') return { ok: true, encoding: 'utf8' };
  if (lower === 'latin1' || lower === 'iso-8859-1' || lower === 'iso8859-1' || lower === 'binary') {
    return { ok: true, encoding: 'latin1' };
  }
  if (lower === 'ascii' || lower === 'us-ascii') return { ok: true, encoding: 'ascii' };
  if (/^utf-?(16|32)/.test(lower)) return { ok: false, reason: 'unsupported' };
  return iconv.encodingExists(lower) ? { ok: true, encoding: lower } : { ok: false, reason: 'unknown' };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes with an encoding. ASCII is read as latin1 so that stray 8-bit bytes survive a round
 * trip; `lossy` says whether the bytes were not valid in the encoding (only UTF-8 can be).
 */
export function decodeBytes(bytes: Uint8Array, encoding: string): { text: string; lossy: boolean; eightBit: boolean } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === 'latin1' || encoding === 'ascii') {
    return { text: buf.toString('latin1'), lossy: false, eightBit: encoding === 'ascii' && hasEightBit(buf) };
  }
  if (encoding === 'utf8') {
    try {
      return { text: strictUtf8.decode(buf), lossy: false, eightBit: false };
    } catch {
      return { text: buf.toString('utf8'), lossy: true, eightBit: false };
    }
  }
  return { text: iconv.decode(buf, encoding), lossy: false, eightBit: false };
}

/** Encodes text with an encoding (the inverse of `decodeBytes` for every byte sequence it accepted). */
export function encodeText(text: string, encoding: string): Buffer {
  if (encoding === 'latin1' || encoding === 'ascii') return Buffer.from(text, 'latin1');
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  return iconv.encode(text, encoding);
}

function hasEightBit(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i]! > 0x7f) return true;
  return false;
}
