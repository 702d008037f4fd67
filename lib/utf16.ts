/**
 * Recognising text sent as UTF-16, shared by the parsers whose formats start with a known segment
 * (X12 `ISA`, HL7 `MSH`/`FHS`/`BHS`): a byte order mark (FF FE, FE FF), or one of the expected
 * segment ids with a NUL after (little-endian) or before (big-endian) each letter, after optional
 * UTF-16 whitespace.
 */

export type Utf16Form = { form: 'utf-16le' | 'utf-16be'; bom: boolean };

function isBlankUnit(lo: number, hi: number): boolean {
  return hi === 0 && (lo === 0x20 || (lo >= 0x09 && lo <= 0x0d));
}

/**
 * The UTF-16 form of an input from its first bytes. `more` when `head` is too short to tell and more
 * input may come (`final` false); undefined for anything else.
 */
export function detectUtf16(head: Uint8Array, starts: readonly string[], final = true): Utf16Form | 'more' | undefined {
  if (head.length < 2) return final ? undefined : 'more';
  if (head[0] === 0xff && head[1] === 0xfe) return { form: 'utf-16le', bom: true };
  if (head[0] === 0xfe && head[1] === 0xff) return { form: 'utf-16be', bom: true };
  if (head[0] !== 0 && head[1] !== 0) return undefined;
  let more = false;
  for (const form of ['utf-16le', 'utf-16be'] as const) {
    const unit = (i: number): [number, number] | undefined =>
      i + 1 < head.length ? (form === 'utf-16le' ? [head[i]!, head[i + 1]!] : [head[i + 1]!, head[i]!]) : undefined;
    let p = 0;
    for (let u = unit(p); u && isBlankUnit(u[0], u[1]); u = unit(p)) p += 2;
    const letters = [unit(p), unit(p + 2), unit(p + 4)];
    if (letters.some((u) => u === undefined)) {
      more = true;
      continue;
    }
    const text = String.fromCharCode(...letters.map((u) => (u![1] === 0 ? u![0] : 0)));
    if (starts.includes(text)) return { form, bom: false };
  }
  return more && !final ? 'more' : undefined;
}
