/**
 * Reads the MSH segment straight from the raw bytes, before any decoding: the delimiters and MSH-18
 * are ASCII, so they can be found without knowing the character set, and a best-effort ACK can be
 * built from whatever is readable when the message as a whole cannot be parsed.
 */
export type RawHeader = {
  /** Byte offset of `MSH` in the input. */
  offset: number;
  /** `fields[n]` is MSH-n as encoded text (latin1-decoded); `fields[1]` is the field separator. */
  fields: string[];
};

const CR = 0x0d;
const LF = 0x0a;
const MAX_HEADER_BYTES = 64 * 1024;

/** Finds the first MSH at the start of the input or of a line; undefined when there is none. */
export function scanRawHeader(raw: Uint8Array): RawHeader | undefined {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let from = 0;
  for (;;) {
    const at = buf.indexOf('MSH', from, 'latin1');
    if (at === -1) return undefined;
    if (at === leadingSkip(buf) || buf[at - 1] === CR || buf[at - 1] === LF) {
      return readFields(buf, at);
    }
    from = at + 3;
  }
}

/** Bytes to skip before the first segment: a UTF-8 BOM, whitespace, MLLP start block (0x0B). */
export function leadingSkip(buf: Uint8Array): number {
  let i = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === CR || buf[i] === LF || buf[i] === 0x0b)) i++;
  return i;
}

function readFields(buf: Buffer, at: number): RawHeader | undefined {
  const sepByte = buf[at + 3];
  if (sepByte === undefined || sepByte === CR || sepByte === LF) return undefined;
  let end = at + 4;
  const limit = Math.min(buf.length, at + MAX_HEADER_BYTES);
  while (end < limit && buf[end] !== CR && buf[end] !== LF) end++;
  const sep = String.fromCharCode(sepByte);
  const rest = buf.toString('latin1', at + 4, end).split(sep);
  return { offset: at, fields: ['MSH', sep, ...rest] };
}

/** The first repetition, first component of MSH-18 read from the raw header ('' when absent). */
export function rawCharset(header: RawHeader): string {
  const encChars = header.fields[2] ?? '';
  const value = header.fields[18] ?? '';
  const rep = encChars[1];
  const comp = encChars[0];
  let first = rep ? value.split(rep)[0]! : value;
  if (comp) first = first.split(comp)[0]!;
  return first.trim();
}
