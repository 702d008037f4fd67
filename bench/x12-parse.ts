/**
 * X12 parse benchmark. Prints one line per figure: `name value unit`.
 *
 *   node bin/run-ts.js bench/x12-parse.ts
 *
 Each part runs in its own process (this file with X12_BENCH_PART set), so its peak RSS and its
 * garbage collector start fresh, as for a real one-off parse:
 *
 * 1. A generated file of X12_BENCH_BYTES bytes (default 1 GiB) written once to the OS temp dir,
 *    streamed from disk through the streaming reader, then deleted.
 * 2. 10^6 segments (1,000 sets of 1,000) streamed from memory: the parser alone, no disk.
 * 3. A generated 850 of 50,000 segments, each in its own process: `parseX12` (every segment kept),
 *    the streaming reader with a `set` handler (the set's segments kept until the handler returns),
 *    and the streaming reader counting only (`retainSegments: false`, no `set` handler: summaries
 *    without segments).
 *
 * Segments per CPU second count user + system time of the whole process (garbage collector threads
 * included). `x12_machine_busy` is how busy the whole machine was during the run (other work included).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseX12, X12Reader } from '../parsers/x12/reader.js';
import { cpuWindow, envCount, figure } from './figures.js';

const ISA = 'ISA*00*          *00*          *ZZ*HOSPITALERP    *ZZ*SUPPLIERCO     *240115*0930*^*00501*000000001*0*P*>~\n';
const GS = 'GS*PO*HOSPERP*SUPPCO*20240115*0930*1*X*005010~\n';
const MIB = 1024 * 1024;

function lines(count: number, offset: number): string {
  let out = '';
  for (let i = 0; i < count; i++)
    out += `PO1*${offset + i + 1}*10*EA*12.50**VC*ITEM-${(offset + i) % 9973}*IN*${100000 + ((offset + i) % 5000)}~\n`;
  return out;
}

function purchaseOrder(segments: number): Buffer {
  const body = lines(segments - 4, 0);
  return Buffer.from(
    `${ISA}${GS}ST*850*0001~\nBEG*00*SA*PO-1**20240115~\n${body}CTT*${segments - 4}~\nSE*${segments}*0001~\nGE*1*1~\nIEA*1*000000001~\n`,
    'latin1',
  );
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Runs `once` (which returns the segments it read) `runs` times per round, 3 rounds; best round. */
function measure(name: string, bytes: number, runs: number, once: () => number): void {
  let best = { seconds: Infinity, cpu: Infinity, segments: 0 };
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let segments = 0;
    for (let i = 0; i < runs; i++) segments += once();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (seconds < best.seconds) best = { seconds, cpu: cpuSeconds(cpu), segments };
  }
  figure(`${name}_segments_per_second`, Math.round(best.segments / best.seconds), 'segments/s');
  figure(`${name}_segments_per_cpu_second`, Math.round(best.segments / best.cpu), 'segments/s');
  figure(`${name}_throughput`, (bytes * runs) / best.seconds / 1e6, 'MB/s');
  figure(`${name}_parse_time`, (best.seconds / runs) * 1000, 'ms');
}

/** One of the 50,000-segment 850 figures; each runs in its own process (see the note on pretenuring in docs/x12.md). */
function bench850(kind: 'whole' | 'stream' | 'count'): void {
  const raw = purchaseOrder(50_000);
  const once = {
    whole: () => parseX12(raw).message!.interchanges[0]!.groups[0]!.sets[0]!.segmentCount + 4,
    stream: () => {
      let count = 4;
      const reader = new X12Reader({ set: (s) => (count += s.segmentCount) });
      reader.push(raw);
      reader.end();
      return count;
    },
    count: () => {
      let count = 4;
      const reader = new X12Reader({ interchange: (ic) => (count += ic.groups[0]!.sets[0]!.segmentCount) }, { retainSegments: false });
      reader.push(raw);
      reader.end();
      return count;
    },
  }[kind];
  once();
  measure(`x12_850_50k_${kind}`, raw.length, 10, once);
  figure(`x12_850_50k_${kind}_peak_rss`, process.resourceUsage().maxRSS / 1024, 'MiB');
}

function setsText(sets: number): string {
  const setBody = lines(996, 0);
  const parts = [ISA, GS];
  for (let n = 1; n <= sets; n++) {
    const control = String(n).padStart(9, '0');
    parts.push(`ST*850*${control}~\nBEG*00*SA*PO-${n}**20240115~\n${setBody}CTT*996~\nSE*1000*${control}~\n`);
  }
  parts.push(`GE*${sets}*1~\nIEA*1*000000001~\n`);
  return parts.join('');
}

function benchMemory(): void {
  const raw = Buffer.from(setsText(1000), 'latin1');
  measure('x12_memory_1m', raw.length, 1, () => {
    let segments = 4;
    const reader = new X12Reader({ set: (s) => (segments += s.segmentCount) });
    for (let p = 0; p < raw.length; p += MIB) reader.push(raw.subarray(p, p + MIB));
    reader.end();
    return segments;
  });
  figure('x12_memory_1m_peak_rss', process.resourceUsage().maxRSS / 1024, 'MiB');
}

function generateFile(path: string, bytes: number): { segments: number; sets: number } {
  const fd = openSync(path, 'w');
  const setBody = lines(996, 0);
  let written = 0;
  let sets = 0;
  writeSync(fd, ISA + GS);
  written += ISA.length + GS.length;
  while (written < bytes) {
    sets++;
    const control = String(sets).padStart(9, '0');
    const block = `ST*850*${control}~\nBEG*00*SA*PO-${sets}**20240115~\n${setBody}CTT*996~\nSE*1000*${control}~\n`;
    written += writeSync(fd, block, null, 'latin1');
  }
  writeSync(fd, `GE*${sets}*1~\nIEA*1*000000001~\n`);
  closeSync(fd);
  return { segments: sets * 1000 + 4, sets };
}

async function benchStream(bytes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-x12-bench-'));
  const path = join(dir, 'big.x12');
  try {
    const expected = generateFile(path, bytes);
    const size = statSync(path).size;
    let sets = 0;
    let segments = 0;
    let findings = 0;
    let peakRss = 0;
    const reader = new X12Reader({
      set: (s) => {
        sets++;
        segments += s.segmentCount;
        findings += s.diagnostics.length;
        if (sets % 1000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      },
      diagnostic: () => findings++,
    });
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for await (const chunk of createReadStream(path, { highWaterMark: MIB })) reader.push(chunk as Buffer);
    reader.end();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuUsed = cpuSeconds(cpu);
    if (sets !== expected.sets || findings !== 0)
      throw new Error(`stream bench read ${sets} sets with ${findings} findings; expected ${expected.sets} and 0`);
    const total = segments + 4;
    figure('x12_stream_file_size', size / 1e6, 'MB');
    figure('x12_stream_segments', total, 'segments');
    figure('x12_stream_segments_per_second', Math.round(total / seconds), 'segments/s');
    figure('x12_stream_segments_per_cpu_second', Math.round(total / cpuUsed), 'segments/s');
    figure('x12_stream_throughput', size / seconds / 1e6, 'MB/s');
    figure('x12_stream_time', seconds, 's');
    figure('x12_stream_peak_rss_sampled', Math.max(peakRss, process.memoryUsage().rss) / MIB, 'MiB');
    figure('x12_stream_peak_rss', process.resourceUsage().maxRSS / 1024, 'MiB');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PARTS: Record<string, () => void | Promise<void>> = {
  stream: () => benchStream(envCount('X12_BENCH_BYTES', 1024 * MIB)),
  memory: benchMemory,
  whole: () => bench850('whole'),
  set: () => bench850('stream'),
  count: () => bench850('count'),
};

const part = process.env.X12_BENCH_PART;
if (part) {
  const run = PARTS[part];
  if (!run) throw new Error(`X12_BENCH_PART=${part}; expected one of ${Object.keys(PARTS).join(', ')}`);
  await run();
} else {
  const busy = cpuWindow([process.pid]);
  figure('x12_load_average_start', loadavg()[0]!, '');
  const runner = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  for (const name of Object.keys(PARTS)) {
    const child = spawnSync(process.execPath, [runner, fileURLToPath(import.meta.url)], {
      env: { ...process.env, X12_BENCH_PART: name },
      stdio: 'inherit',
    });
    if (child.status !== 0) throw new Error(`bench part ${name} exited with ${child.status ?? child.signal}`);
  }
  const { machine } = busy();
  figure('x12_machine_busy', machine, '% of all cores');
  figure('x12_load_average_end', loadavg()[0]!, '');
}
