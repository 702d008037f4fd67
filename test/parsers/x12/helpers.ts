import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Reads a sample under samples/x12/. */
export function sample(path: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../../../samples/x12/${path}`, import.meta.url)));
}

/** Absolute path of a file under test/parsers/x12/golden/. */
export function goldenPath(name: string): string {
  return fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
}

export { seeded as prng } from '../../../lib/prng.js';

/** Splits bytes at random points (1 to maxChunk bytes per chunk). */
export function randomChunks(raw: Buffer, random: () => number, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  let p = 0;
  while (p < raw.length) {
    const size = 1 + Math.floor(random() * maxChunk);
    chunks.push(raw.subarray(p, p + size));
    p += size;
  }
  return chunks;
}

export const ISA_501 = 'ISA*00*          *00*          *ZZ*HOSPITALERP    *ZZ*SUPPLIERCO     *240115*0930*^*00501*000000777*0*P*>~';
