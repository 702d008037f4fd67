/** Most bytes of a destination's answer kept in results, errors and the ledger. */
export const EXCERPT_BYTES = 2048;

/** At most 2 KiB of a destination's answer, cut on a character boundary. */
export function excerpt(text: string): string {
  if (Buffer.byteLength(text) <= EXCERPT_BYTES) return text;
  let cut = Buffer.from(text).subarray(0, EXCERPT_BYTES).toString('utf8');
  // A multi-byte character cut in half decodes to U+FFFD; drop it.
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut;
}
