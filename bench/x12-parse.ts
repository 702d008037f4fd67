/**
 * X12 parse benchmark. Prints one line per figure: `name value unit`.
 *
 *   node bin/run-ts.js bench/x12-parse.ts
 *
 * 1. A generated 850 of 50,000 segments, parsed whole (`parseX12`) several times.
 * 2. A generated file of X12_BENCH_BYTES bytes (default 1 GiB) written once to the OS temp dir,
 *    streamed from disk through the streaming reader, then deleted.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseX12, X12Reader } from '../parsers/x12/reader.js';

const ISA = 'ISA*00*          *00*          *ZZ*HOSPITALERP    *ZZ*SUPPLIERCO     *240115*0930*^*00501*000000001*0*P*>~\n';
const GS = 'GS*PO*HOSPERP*SUPPCO*20240115*0930*1*X*005010~\n';

function figure(name: string, value: number, unit: string): void {
  console.log(`${name} ${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`);
}

function lines(count: number, offset: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += `PO1*${offset + i + 1}*10*EA*12.50**VC*ITEM-${(offset + i) % 9973}*IN*${100000 + ((offset + i) % 5000)}~\n`;
  return out;
}

function purchaseOrder(segments: number): Buffer {
  const body = lines(segments - 4, 0);
  return Buffer.from(`${ISA}${GS}ST*850*0001~\nBEG*00*SA*PO-1**20240115~\n${body}CTT*${segments - 4}~\nSE*${segments}*0001~\nGE*1*1~\nIEA*1*000000001~\n`, 'latin1');
}

function benchWhole(): void {
  const raw = purchaseOrder(50_000);
  parseX12(raw);
  const runs = 10;
  const measure = (name: string, parseOnce: () => number): void => {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let segments = 0;
    for (let i = 0; i < runs; i++) segments += parseOnce();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuSeconds = process.cpuUsage(cpu).user / 1e6;
    figure(`${name}_segments_per_second`, Math.round(segments / seconds), 'segments/s');
    figure(`${name}_segments_per_cpu_second`, Math.round(segments / cpuSeconds), 'segments/s');
    figure(`${name}_throughput`, (raw.length * runs) / seconds / 1e6, 'MB/s');
    figure(`${name}_parse_time`, (seconds / runs) * 1000, 'ms');
  };
  measure('x12_850_50k_whole', () => parseX12(raw).message!.interchanges[0]!.groups[0]!.sets[0]!.segmentCount + 4);
  measure('x12_850_50k_stream', () => {
    let count = 4;
    const reader = new X12Reader({ set: (s) => (count += s.segmentCount) });
    reader.push(raw);
    reader.end();
    return count;
  });
  figure('x12_850_50k_peak_rss', process.resourceUsage().maxRSS / 1024, 'MiB');
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

/** 10^6 segments (1,000 sets of 1,000) from memory in 1 MiB chunks: the parser alone, no disk. */
function benchMemory(): void {
  const raw = Buffer.from(setsText(1000), 'latin1');
  let best = 0;
  let bestCpu = 0;
  for (let run = 0; run < 3; run++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let segments = 4;
    const reader = new X12Reader({ set: (s) => (segments += s.segmentCount) });
    for (let p = 0; p < raw.length; p += 1024 * 1024) reader.push(raw.subarray(p, p + 1024 * 1024));
    reader.end();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, segments / seconds);
    bestCpu = Math.max(bestCpu, segments / (process.cpuUsage(cpu).user / 1e6));
  }
  figure('x12_memory_1m_segments_per_second', Math.round(best), 'segments/s');
  figure('x12_memory_1m_segments_per_cpu_second', Math.round(bestCpu), 'segments/s');
  figure('x12_memory_1m_throughput', (raw.length * best) / 1_000_000 / 1e6, 'MB/s');
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
  const tail = `GE*${sets}*1~\nIEA*1*000000001~\n`;
  writeSync(fd, tail);
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
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) reader.push(chunk as Buffer);
    reader.end();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuSeconds = process.cpuUsage(cpu).user / 1e6;
    if (sets !== expected.sets || findings !== 0) throw new Error(`stream bench read ${sets} sets with ${findings} findings; expected ${expected.sets} and 0`);
    const total = segments + 4;
    figure('x12_stream_file_size', size / 1e6, 'MB');
    figure('x12_stream_segments', total, 'segments');
    figure('x12_stream_segments_per_second', Math.round(total / seconds), 'segments/s');
    figure('x12_stream_segments_per_cpu_second', Math.round(total / cpuSeconds), 'segments/s');
    figure('x12_stream_throughput', size / seconds / 1e6, 'MB/s');
    figure('x12_stream_time', seconds, 's');
    figure('x12_stream_peak_rss_sampled', Math.max(peakRss, process.memoryUsage().rss) / 1024 / 1024, 'MiB');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

benchMemory();
benchWhole();
await benchStream(Number(process.env.X12_BENCH_BYTES ?? 1024 * 1024 * 1024));
figure('x12_process_peak_rss', process.resourceUsage().maxRSS / 1024, 'MiB');
