/** A seeded pseudo-random source: the same seed gives the same sequence, so a run can be replayed. */
export type Rng = () => number;

/**
 * Mulberry32: small and fast, good enough for test data, fuzz mutations and generated workloads
 * (never for anything secret). Returns numbers in [0, 1).
 */
export function seeded(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
