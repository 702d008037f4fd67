/**
 * Mutators for the fuzz harness: small, structure-aware changes to real samples, so that inputs get
 * past the first checks of a parser and into its deeper paths. Deterministic for a given PRNG.
 */
import { seeded, type Rng } from '../lib/prng.js';

export { seeded, type Rng };

/** Bytes that mean something to one of the formats: delimiters, framing, envelope starts, JSON. */
const TOKENS = [
  '|',
  '^',
  '~',
  '\\',
  '&',
  '*',
  ':',
  '\r',
  '\n',
  '\r\n',
  'MSH|^~\\&|',
  'ISA*',
  'IEA*',
  'GS*',
  'SE*',
  'ST*',
  'HL*',
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  'null',
  '-1',
  '1e999',
  '\u0000',
  '\uFEFF',
  'é',
  '\\X0D\\',
  'FHS|',
  'BHS|',
  'BTS|',
  'MSH-18',
  'UNICODE UTF-8',
  'HEX',
  'resourceType',
  '"resourceType":"Bundle"',
  '\t',
].map((t) => Buffer.from(t, 'latin1'));

const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const at = (rng: Rng, n: number) => Math.floor(rng() * (n + 1));

/** One mutated copy of `input`, at most `max` bytes; `other` is another sample for splicing. */
export function mutate(input: Buffer, other: Buffer, rng: Rng, max: number): Buffer {
  let b = input;
  const rounds = 1 + Math.floor(rng() * 4);
  for (let r = 0; r < rounds; r++) {
    const op = Math.floor(rng() * 10);
    const i = at(rng, b.length);
    const j = Math.min(b.length, i + Math.floor(rng() * 64));
    switch (op) {
      case 0: // flip a bit
        if (b.length) {
          b = Buffer.from(b);
          const k = Math.min(i, b.length - 1);
          b[k] = b[k]! ^ (1 << Math.floor(rng() * 8));
        }
        break;
      case 1: // random byte
        b = Buffer.concat([b.subarray(0, i), Buffer.from([Math.floor(rng() * 256)]), b.subarray(i)]);
        break;
      case 2: // delete a run
        b = Buffer.concat([b.subarray(0, i), b.subarray(j)]);
        break;
      case 3: // insert a token
        b = Buffer.concat([b.subarray(0, i), pick(rng, TOKENS), b.subarray(i)]);
        break;
      case 4: // duplicate a run, sometimes many times
        b = Buffer.concat([
          b.subarray(0, j),
          ...new Array<Buffer>(1 + Math.floor(rng() * (rng() < 0.02 ? 200 : 3))).fill(b.subarray(i, j)),
          b.subarray(j),
        ]);
        break;
      case 5: // truncate
        b = b.subarray(0, i);
        break;
      case 6: // splice with another sample
        b = Buffer.concat([b.subarray(0, i), other.subarray(at(rng, other.length))]);
        break;
      case 7: // overwrite a run with one repeated byte
        b = Buffer.concat([b.subarray(0, i), Buffer.alloc(j - i, pick(rng, [0x20, 0x7c, 0x2a, 0x7e, 0x00, 0xff, 0x30])), b.subarray(j)]);
        break;
      case 8: // swap two runs
        {
          const k = at(rng, b.length);
          const l = Math.min(b.length, k + Math.floor(rng() * 32));
          if (k >= j) b = Buffer.concat([b.subarray(0, i), b.subarray(k, l), b.subarray(j, k), b.subarray(i, j), b.subarray(l)]);
        }
        break;
      default: // replace a token by another
        b = Buffer.concat([b.subarray(0, i), pick(rng, TOKENS), b.subarray(Math.min(b.length, i + 1 + Math.floor(rng() * 4)))]);
    }
    if (b.length > max) b = b.subarray(0, max);
  }
  return b;
}
