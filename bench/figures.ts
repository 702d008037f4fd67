import { readFileSync } from 'node:fs';
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

/** Jiffies the whole machine spent busy and in total so far (first line of /proc/stat); zeros elsewhere. */
export function machineJiffies(): { busy: number; total: number } {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/);
    const n = fields.map(Number);
    const total = n.reduce((a, b) => a + b, 0);
    return { busy: total - (n[3] ?? 0) - (n[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Length of a jiffy (USER_HZ 100 on Linux), in milliseconds. */
export const JIFFY_MS = 10;

/** User + system jiffies a process has used so far (/proc/PID/stat fields 14 and 15); 0 when unknown. */
export function processJiffies(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/**
 * How busy the machine was over a stretch of time, as percentages of all its cores together: in
 * total, and by each listed process (the rest is other work sharing the machine). Call the returned
 * function at the end of the stretch.
 */
export function cpuWindow(pids: number[]): () => { machine: number; byPid: number[] } {
  const m0 = machineJiffies();
  const p0 = pids.map(processJiffies);
  return () => {
    const m1 = machineJiffies();
    const total = m1.total - m0.total || 1;
    return { machine: (100 * (m1.busy - m0.busy)) / total, byPid: pids.map((pid, i) => (100 * (processJiffies(pid) - p0[i]!)) / total) };
  };
}
