/**
 * The whole benchmark (`npm run bench`): the engine on the shipped configuration, MLLP in, HTTP out.
 * Prints one line per figure, `name value unit`; docs/benchmarks.md says what each one means.
 * `npm run bench -- sustained`: only the sustained end-to-end figure (bench/sustained.ts).
 * `npm run bench -- reconcile`: a generated month reconciled, faults injected and found (bench/reconcile/).
 * `npm run bench -- reconcile-daemon`: the same month through a running engine on the shipped configuration (bench/reconcile/daemon.ts).
 * `npm run bench -- engine`: only the engine's figures (ACK rates, end to end, flow 1, AS2 receive).
 * `npm run bench -- csv`: only the CSV figures: a generated 1 GiB item master read in bounded memory (bench/csv-read.ts).
 * `npm run bench -- retention`: retention purging a seeded store of a million messages under an MLLP load (bench/retention.ts).
 * `npm run bench -- browse`: the console's message list (GET /api/messages) on a store of ten million messages (bench/browse.ts).
 *
 * Environment: BENCH_MESSAGES (c8 run, default 20000), BENCH_MESSAGES_C1 (default 5000),
 * BENCH_WARMUP (default 2000), BENCH_FULL=1 (X12 stream of 1 GiB instead of 256 MiB),
 * BENCH_AS2_MESSAGES (AS2 run, default 300), BENCH_CPU_PROF=DIR (engine runs with --cpu-prof, profile written to DIR at exit), REDIS_URL,
 * CSV_BENCH_BYTES (size of the generated CSV, default 1 GiB), BENCH_SFTP_FILES (default 2000),
 * BENCH_MLLP_SENDS (MLLP sender run, default 20000).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runAs2Load } from './as2-load.js';
import { freePort, startEngineChild, startFlags, type EngineChild } from './engine-child.js';
import { cpuWindow, envCount, figure, JIFFY_MS, processJiffies, sleep, summarize } from './figures.js';
import { printLoad, runMllpLoad, type LoadResult } from './mllp-load.js';
import { chooseRedis } from './redis-choice.js';
import { startCountingSinkProcess, type CountingSink } from './sink.js';
import { startFhirServerProcess, type FhirServerProcess } from './fhir-process.js';
import { serve, sustainedFigures } from './sustained.js';
import { reconcileFigures } from './reconcile/index.js';
import { reconcileDaemonFigures } from './reconcile/daemon.js';
import { retentionFigures } from './retention.js';
import { browseFigures } from './browse.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const C8 = envCount('BENCH_MESSAGES', 20_000);
const C1 = envCount('BENCH_MESSAGES_C1', 5_000);
const WARMUP = envCount('BENCH_WARMUP', 2_000);
const AS2 = envCount('BENCH_AS2_MESSAGES', 300);

/** Waits until the sink has a POST for every id; the time of the last arrival, or undefined on timeout. */
async function drained(sink: CountingSink, ids: string[], timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let from = 0;
  for (;;) {
    while (from < ids.length && sink.arrivals.has(ids[from]!)) from += 1;
    if (from === ids.length) return ids.reduce((m, id) => Math.max(m, sink.arrivals.get(id)!), 0);
    if (Date.now() > deadline) return undefined;
    await sleep(50);
  }
}

function missingAt(sink: CountingSink, ids: string[]): number {
  return ids.filter((id) => !sink.arrivals.has(id)).length;
}

/** The c8 run, timed end to end: from the first send until the sink holds every acknowledged message. */
async function c8WithEndToEnd(engine: EngineChild, sink: CountingSink, peak: { rss: number }): Promise<LoadResult> {
  const sentAt = new Map<string, number>();
  const sampler = setInterval(() => (peak.rss = Math.max(peak.rss, engine.memory()?.rssMb ?? 0)), 250);
  const cpu = cpuWindow([engine.pid, process.pid]);
  const engineJiffies = processJiffies(engine.pid);
  const r = await runMllpLoad({ port: engine.mllpPort, messages: C8, connections: 8, runId: 'B8', onSend: (id, at) => sentAt.set(id, at) });
  printLoad('mllp_ack', 'c8', r);
  printCpu('c8', cpu());
  let first = Infinity;
  for (const at of sentAt.values()) first = Math.min(first, at);
  const last = await drained(sink, r.ackedIds, Math.max(120_000, C8 * 20));
  clearInterval(sampler);
  if (last === undefined) {
    figure('e2e_undelivered', missingAt(sink, r.ackedIds), 'messages');
    return r;
  }
  figure('e2e_rate', Math.round(r.acked / ((last - first) / 1000)), 'msg/s');
  figure('engine_cpu_per_message', ((processJiffies(engine.pid) - engineJiffies) * JIFFY_MS) / Math.max(1, r.acked), 'ms');
  const e2e = summarize(r.ackedIds.map((id) => sink.arrivals.get(id)! - sentAt.get(id)!));
  figure('e2e_p50_ms', e2e.p50, 'ms');
  figure('e2e_p99_ms', e2e.p99, 'ms');
  return r;
}

/** Where the machine's CPU went during a run, in % of all cores: the engine, the bench process, the rest. */
function printCpu(suffix: string, c: { machine: number; byPid: number[] }): void {
  const [engine = 0, bench = 0] = c.byPid;
  figure(`cpu_engine_${suffix}`, engine, '%');
  figure(`cpu_bench_${suffix}`, bench, '%');
  figure(`cpu_other_${suffix}`, Math.max(0, c.machine - engine - bench), '%');
}

/** Durability side check: every positively acknowledged message is counted by the admin API. */
async function checkStored(engine: EngineChild, acked: number): Promise<void> {
  const body = (await engine.admin('/api/channels')) as { channels: Array<{ name: string; counts: { received: number } }> };
  const received = body.channels.find((c) => c.name === 'or-implant-charges')?.counts.received ?? 0;
  figure('acked_but_missing', Math.max(0, acked - received), 'messages');
  if (received > acked) figure('stored_but_not_acked', received - acked, 'messages');
}

async function engineFigures(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'interlace-bench-'));
  const redis = await chooseRedis();
  // the ERP sink and the billing FHIR server run in processes of their own: sharing the load
  // generator's event loop, their work lowered the very figures they help measure
  const sink = await startCountingSinkProcess();
  const billing = await startFhirServerProcess();
  const profDir = process.env.BENCH_CPU_PROF;
  let engine: EngineChild | undefined;
  const as2Port = await freePort();
  try {
    engine = await startEngineChild({
      env: { AS2_PORT: String(as2Port) },
      root,
      configDir: join(root, 'config'),
      dataDir,
      redisUrl: redis.url,
      erpUrl: sink.url,
      fhirUrl: billing.baseUrl,
      // the engine runs with the node flags `npm start` gives it (package.json), unless
      // BENCH_NODE_FLAGS says otherwise, plus profiling on request
      nodeFlags: [
        ...(process.env.BENCH_NODE_FLAGS ?? startFlags(root)).split(' ').filter(Boolean),
        ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`] : []),
      ],
    });
    figure('redis_supervised_by_engine', redis.supervised ? 1 : 0, 'flag');
    figure('engine_rss_idle', Math.round(engine.memory()?.rssMb ?? 0), 'MB');
    let acked = 0;
    const warm = await runMllpLoad({ port: engine.mllpPort, messages: WARMUP, connections: 8, runId: 'BW' });
    acked += warm.acked;
    await drained(sink, warm.ackedIds, 120_000);
    const cpu1 = cpuWindow([engine.pid, process.pid]);
    const c1 = await runMllpLoad({ port: engine.mllpPort, messages: C1, connections: 1, runId: 'B1' });
    printLoad('mllp_ack', 'c1', c1);
    printCpu('c1', cpu1());
    acked += c1.acked;
    await drained(sink, c1.ackedIds, Math.max(120_000, C1 * 20));
    const peak = { rss: 0 };
    const c8Started = performance.now();
    const c8 = await c8WithEndToEnd(engine, sink, peak);
    acked += c8.acked;
    await checkStored(engine, acked);
    await flowOneFigures(engine, c8.ackedIds.length, c8Started, dataDir, billing);
    // AS2: signed + encrypted 100 KB X12 in, signed sync MDN out (after a short warm-up).
    await runAs2Load({ root, port: as2Port, messages: 20, connections: 4, runId: 'AW', report: false });
    await runAs2Load({ root, port: as2Port, messages: AS2, connections: 4, runId: 'A4' });
    const mem = engine.memory();
    figure('engine_peak_rss', Math.round(Math.max(mem?.peakMb ?? 0, peak.rss)), 'MB');
    figure('engine_rss_end', Math.round(mem?.rssMb ?? 0), 'MB');
    const code = await engine.stop(45_000);
    figure('engine_sigterm_exit', code === 'killed' ? -9 : code, 'code');
    if (code !== 0) console.error(`engine log tail:\n${engine.logTail()}`);
  } catch (err) {
    if (engine) console.error(`engine log tail:\n${engine.logTail()}`);
    await engine?.stop(5000);
    throw err;
  } finally {
    await sink.close();
    await billing.close();
    await redis.cleanup().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Flow 1 with all three routes to local servers: the ERP sink (usage), the FHIR server (ChargeItems)
 * and the partner folder (850s). The c8 figure above times the ERP route; this one waits until the
 * last of the three routes is done for every message (nothing queued), timed from the start of the
 * c8 run (messages of the earlier runs still in flight on the slower routes count against it).
 */
async function flowOneFigures(
  engine: EngineChild,
  messages: number,
  c8Started: number,
  dataDir: string,
  billing: FhirServerProcess,
): Promise<void> {
  const deadline = Date.now() + Math.max(300_000, messages * 60);
  let delivered = 0;
  const total = () =>
    engine
      .admin('/api/channels')
      .then(
        (b) =>
          (b as { channels: Array<{ name: string; counts: { delivered: number; queued: number; errored: number } }> }).channels.find(
            (c) => c.name === 'or-implant-charges',
          )!.counts,
      );
  for (;;) {
    const c = await total();
    delivered = c.delivered;
    if (c.queued === 0 || Date.now() > deadline) {
      figure('flow1_errored', c.errored, 'messages');
      break;
    }
    await sleep(500);
  }
  figure('flow1_e2e_rate_all_routes', Math.round(messages / ((performance.now() - c8Started) / 1000)), 'msg/s');
  figure('flow1_messages_delivered_all_routes', delivered, 'messages');
  figure('flow1_chargeitems', await billing.count('ChargeItem'), 'resources');
  const out = join(dataDir, 'edi', 'acme-medical', 'out');
  figure('flow1_850_files', existsSync(out) ? readdirSync(out).length : 0, 'files');
}

/** Runs another bench script as a child; `onLine` sees each line of its stdout. */
function runChild(
  script: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): { pid: number; done: Promise<number>; kill(): void } {
  const child = spawn(process.execPath, [join(root, 'bin/run-ts.js'), join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', onLine);
  return {
    pid: child.pid ?? 0,
    done: new Promise((res) => child.once('exit', (code) => res(code ?? -1))),
    kill: () => child.kill('SIGTERM'),
  };
}

/** Starts a bench server script that prints `listening PORT`, loads it over 8 connections, prints `<name>_*_c8`. */
async function childServerFigures(script: string, name: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  let onPort: (port: number) => void = () => undefined;
  const listening = new Promise<number>((res) => (onPort = res));
  const server = runChild(script, env, (line) => {
    const m = /^listening (\d+)$/.exec(line);
    if (m) onPort(Number(m[1]));
  });
  const port = await Promise.race([listening, server.done.then((code) => Promise.reject(new Error(`${script} exited with ${code}`)))]);
  await runMllpLoad({ port, messages: WARMUP, connections: 8, runId: 'SW' });
  const cpu = cpuWindow([server.pid, process.pid]);
  const serverJiffies = processJiffies(server.pid);
  const r = await runMllpLoad({ port, messages: C8, connections: 8, runId: 'S8' });
  printLoad(name, 'c8', r);
  const c = cpu();
  figure(`${name}_cpu_per_message`, ((processJiffies(server.pid) - serverJiffies) * JIFFY_MS) / Math.max(1, r.acked), 'ms');
  figure(`cpu_other_${name}_c8`, Math.max(0, c.machine - c.byPid[0]! - c.byPid[1]!), '%');
  server.kill();
  await server.done;
}

async function x12Figures(): Promise<void> {
  const bytes = process.env.X12_BENCH_BYTES ?? (process.env.BENCH_FULL === '1' ? String(1024 ** 3) : String(256 * 1024 ** 2));
  const code = await runChild('bench/x12-parse.ts', { X12_BENCH_BYTES: bytes }, (line) => console.log(line)).done;
  if (code !== 0) throw new Error(`bench/x12-parse.ts exited with ${code}`);
}

/** CSV rows/s and peak RSS on a generated file of 1 GiB (CSV_BENCH_BYTES to change). */
async function csvFigures(): Promise<void> {
  const code = await runChild('bench/csv-read.ts', {}, (line) => console.log(line)).done;
  if (code !== 0) throw new Error(`bench/csv-read.ts exited with ${code}`);
}

/** SFTP files/s picked up from OpenSSH, MLLP sender msg/s with ACKs (bench/transports.ts). */
async function transportFigures(): Promise<void> {
  const code = await runChild('bench/transports.ts', {}, (line) => console.log(line)).done;
  if (code !== 0) throw new Error(`bench/transports.ts exited with ${code}`);
}

async function fhirFigures(): Promise<void> {
  const code = await runChild('bench/fhir.ts', {}, (line) => console.log(line)).done;
  if (code !== 0) throw new Error(`bench/fhir.ts exited with ${code}`);
}

const [command, arg] = process.argv.slice(2);
if (command === 'sustained') {
  await sustainedFigures(root);
} else if (command === 'reconcile') {
  await reconcileFigures(root);
} else if (command === 'reconcile-daemon') {
  await reconcileDaemonFigures(root);
} else if (command === 'engine') {
  await engineFigures();
} else if (command === 'csv') {
  await csvFigures();
} else if (command === 'retention') {
  await retentionFigures(root);
} else if (command === 'browse') {
  await browseFigures(root);
} else if (command === 'serve') {
  await serve(root, arg === 'simple' ? 'simple' : 'shipped');
} else if (command !== undefined) {
  console.error(
    `npm run bench -- ${command}: unknown; expected nothing (every figure), engine, sustained, reconcile, reconcile-daemon, csv, retention, browse, or serve shipped|simple`,
  );
  process.exitCode = 2;
} else await allFigures();

async function allFigures(): Promise<void> {
  const started = performance.now();
  figure('machine_load_1m', loadavg()[0]!, 'load');
  await engineFigures();
  await childServerFigures('bench/mllp-echo.ts', 'mllp_echo');
  await childServerFigures('bench/ack-path.ts', 'ack_path_only');
  await x12Figures();
  await csvFigures();
  await fhirFigures();
  await transportFigures();
  figure('machine_load_1m_end', loadavg()[0]!, 'load');
  figure('bench_wall_time', Math.round((performance.now() - started) / 1000), 's');
}
