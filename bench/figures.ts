/**
 * Small helpers shared by the benchmarks: printing figures and summarising latencies.
 * Every figure is one line on stdout, `name value unit`, so runs can be compared with `diff`.
 */

/** Prints one figure: whole numbers as they are, others with two decimals. */
export function figure(name: string, value: number, unit: string): void {
  const text = Number.isInteger(value) ? String(value) : value.toFixed(2);
  console.log(`${name} ${text} ${unit}`);
}

/** p50, p99 and max of a set of latencies (milliseconds); zeros when the set is empty. */
export function summarize(latenciesMs: ArrayLike<number>): { p50: number; p99: number; max: number } {
  const n = latenciesMs.length;
  if (n === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(latenciesMs).sort();
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[n - 1]! };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A whole number from the environment, or the default when unset; throws on anything else. */
export function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${JSON.stringify(text)} is not a whole number; expected e.g. ${fallback}`);
  return n;
}
