/**
 * The sustained end-to-end figure (`npm run bench -- sustained`): the highest offered rate at which
 * the engine acknowledges **and** delivers with the backlog staying flat. Each trial starts a fresh
 * engine (fresh data directory, cleaned Redis keys), warms it up, offers an open-loop load
 * (bench/open-loop.ts) for `BENCH_SUSTAINED_SECONDS`, and counts what reaches the local HTTP sink
 * (bench/sink.ts) during and after the load. A rate passes when every message is positively
 * acknowledged, every one is delivered, the p99 from its send to the sink's receipt is under 1 s,
 * and the backlog (sent, not yet delivered) in the last quarter of the load stays under one second's
 * worth of messages. Rates go up by half until one fails, then the gap is halved down to 5 %.
 *
 * `BENCH_SUSTAINED_PROCESSES=N` (PostgreSQL only) runs N engine processes per trial, each with its own
 * engine id, ports and data directory, sharing the store, the Redis prefix and the sink, as
 * docs/scale-out.md deploys them; the load's connection c goes to process `c % N`.
 *
 * Two channels: `shipped` is config/ as it is (or-implant-charges: lookups, an on-hand question to
 * the ERP per line, three routes — ERP usage, FHIR ChargeItems, X12 850 — all answered locally; the
 * figure times the ERP usage POST and also waits until nothing of the channel is queued); `simple`
 * is one MLLP → HL7 v2 → one HTTP route channel with a filter and a small JSON body.
 *
 * Environment: BENCH_SUSTAINED_CHANNELS (`shipped,simple`), BENCH_SUSTAINED_SECONDS (60),
 * BENCH_SUSTAINED_RATES (fixed list instead of the search, e.g. `1000,2000`), BENCH_SUSTAINED_START
 * (500), BENCH_SUSTAINED_CONNECTIONS (8), BENCH_SUSTAINED_PROCESSES (1), BENCH_NODE_FLAGS, BENCH_KEEP_LOG (a file: the last
 * trial's engine log is copied there; FILE.1, FILE.2… with several processes), REDIS_URL / BENCH_REDIS_DB,
 * INTERLACE_STORE (a postgres:// URL: the store; its tables are emptied before each trial).
 *
 * `npm run bench -- serve shipped|simple` starts the sink and the engine (or BENCH_SUSTAINED_PROCESSES
 * of them) and prints their ports and, every second, how many messages the sink has received, until interrupted (to check the engine
 * with an outside load generator).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EngineChild } from './engine-child.js';
import { envCount, figure, JIFFY_MS, processJiffies, sleep, summarize } from './figures.js';
import { runMllpLoad } from './mllp-load.js';
import { runOpenLoop } from './open-loop.js';
import { chooseRedis } from './redis-choice.js';
import { startCountingSinkProcess, type CountingSink } from './sink.js';
import { CHANNEL, keepLogs, processCount, resetPostgres, startEngines, type Variant } from './sustained-engines.js';

export type Trial = {
  rate: number;
  pass: boolean;
  why: string;
  acked: number;
  notAcked: number;
  undelivered: number;
  ackP99: number;
  e2eP50: number;
  e2eP99: number;
  backlogEnd: number;
  /** Messages the sink received more than once. */
  duplicates: number;
  drainMs: number;
  /** The sum of each engine process's peak. */
  peakRssMb: number;
  /** Engine CPU (both threads of every process, user + system) from the start of the load to the end of the drain, per message delivered meanwhile. */
  cpuPerMessageMs: number;
  /** The same figures for each engine process, in the order of their ports. */
  processes: ProcessFigures[];
  load1m: number;
};

type ProcessFigures = {
  peakRssMb: number;
  cpuPerMessageMs: number;
  /** V8 heap used / total of each engine thread when the load ended, e.g. `listener 40/52MB processing 80/95MB`. */
  heap: string;
};

/** What the channel has queued in the store (any process's admin API answers for the shared store). */
async function queued(engine: EngineChild, channel: string): Promise<number> {
  const body = (await engine.admin('/api/channels')) as { channels: Array<{ name: string; counts: { queued: number } }> };
  return body.channels.find((c) => c.name === channel)?.counts.queued ?? 0;
}

/** One trial at `rate`: fresh engine(s), warm-up, the open-loop load, the drain. */
export async function trial(root: string, variant: Variant, rate: number, seconds: number, processes = 1): Promise<Trial> {
  const dataDir = mkdtempSync(join(tmpdir(), 'interlace-sustained-'));
  const redis = await chooseRedis();
  await resetPostgres();
  const sink = await startCountingSinkProcess();
  let engines: EngineChild[] = [];
  try {
    engines = await startEngines(root, variant, dataDir, redis, sink, processes);
    const engine = engines[0]!;
    await warmUp(engines, sink);
    const sentAt = new Map<string, number>();
    const peakRss = engines.map(() => 0);
    const backlog: number[] = [];
    const arrived0 = sink.arrivals.size;
    const sampler = setInterval(() => {
      engines.forEach((e, i) => (peakRss[i] = Math.max(peakRss[i]!, e.memory()?.rssMb ?? 0)));
      backlog.push(sentAt.size - (sink.arrivals.size - arrived0));
    }, 250);
    const load1m = loadavg()[0]!;
    const jiffies = engines.map((e) => processJiffies(e.pid));
    const r = await runOpenLoop({
      ports: engines.map((e) => e.mllpPort),
      rate,
      seconds,
      connections: envCount('BENCH_SUSTAINED_CONNECTIONS', 8),
      runId: `S${rate}x`,
      onSend: (id, at) => sentAt.set(id, at),
    });
    const loadEnd = performance.now();
    const heap = await Promise.all(engines.map(heapAtEnd));
    const ids = [...sentAt.keys()];
    const last = await waitDelivered(sink, ids, 30_000);
    clearInterval(sampler);
    const cpuMs = engines.map((e, i) => (processJiffies(e.pid) - jiffies[i]!) * JIFFY_MS);
    const deliveredInWindow = sink.arrivals.size - arrived0;
    let left = -1;
    const deadline = Date.now() + 30_000;
    while ((left = await queued(engine, CHANNEL[variant])) > 0 && Date.now() < deadline) await sleep(250);
    await sleep(100); // the sink process reports what it received every 50 ms
    // every counted request is a POST carrying a reference (warm-up included): more of them than references is a repeat
    const duplicates = sink.requests() - sink.arrivals.size;
    const undelivered = ids.filter((id) => !sink.arrivals.has(id)).length;
    const e2e = ids.map((id) => (sink.arrivals.get(id) ?? Infinity) - sentAt.get(id)!);
    const during = Math.floor((seconds * 1000) / 250);
    const tail = backlog.slice(Math.floor((during * 3) / 4), during);
    const backlogEnd = Math.max(0, ...tail);
    const ack = summarize(r.ackLatencies);
    const e = summarize(e2e);
    const why = [
      r.notSent > 0
        ? `${r.notSent} not sent: the engine closed ${r.closedConnections} of the load's connections (an MLLP connection limit such as maxConnectionsPerAddress?)`
        : '',
      r.notAcked > 0 ? `${r.notAcked} not acknowledged` : '',
      undelivered > 0 ? `${undelivered} not delivered 30 s after the load` : '',
      left > 0 ? `${left} still queued (${await routeCounts(engine)})` : '',
      duplicates > 0 ? `${duplicates} delivered more than once` : '',
      e.p99 >= 1000 ? `e2e p99 ${Math.round(e.p99)} ms` : '',
      backlogEnd > rate ? `backlog ${backlogEnd} in the last quarter` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return {
      rate,
      pass: why === '',
      why: why || 'ok',
      acked: r.acked,
      notAcked: r.notAcked,
      undelivered,
      ackP99: ack.p99,
      e2eP50: e.p50,
      e2eP99: e.p99,
      backlogEnd,
      duplicates,
      drainMs: last === undefined ? -1 : Math.max(0, last - loadEnd),
      peakRssMb: Math.round(peakRss.reduce((a, b) => a + b, 0)),
      cpuPerMessageMs: cpuMs.reduce((a, b) => a + b, 0) / Math.max(1, deliveredInWindow),
      processes: engines.map((_, i) => ({
        peakRssMb: Math.round(peakRss[i]!),
        cpuPerMessageMs: cpuMs[i]! / Math.max(1, deliveredInWindow),
        heap: heap[i]!,
      })),
      load1m,
    };
  } finally {
    await Promise.all(engines.map((e) => e.stop(30_000)));
    await sink.close();
    await redis.cleanup().catch(() => undefined);
    keepLogs(engines);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** 2,000 messages through each process, delivered before the trial's load begins. */
async function warmUp(engines: EngineChild[], sink: CountingSink): Promise<void> {
  await Promise.all(
    engines.map(async (e, i) => {
      const warm = await runMllpLoad({ port: e.mllpPort, messages: 2000, connections: 8, runId: `W${i + 1}` });
      await waitDelivered(sink, warm.ackedIds, 60_000);
    }),
  );
}

async function heapAtEnd(engine: EngineChild): Promise<string> {
  type Heap = { heapUsedMb: number; heapTotalMb: number };
  const body = (await engine.admin('/api/engine').catch(() => ({}))) as { memory?: { listener?: Heap; processing?: Heap } };
  const one = (h: Heap | undefined) => (h ? `${Math.round(h.heapUsedMb)}/${Math.round(h.heapTotalMb)}MB` : '?');
  return `listener ${one(body.memory?.listener)} processing ${one(body.memory?.processing)}`;
}

/** Waits until the sink has every id; the time of the last arrival, or undefined on timeout. */
async function waitDelivered(sink: CountingSink, ids: string[], timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let from = 0;
  for (;;) {
    while (from < ids.length && sink.arrivals.has(ids[from]!)) from += 1;
    if (from === ids.length) return ids.reduce((m, id) => Math.max(m, sink.arrivals.get(id)!), 0);
    if (Date.now() > deadline) return undefined;
    await sleep(50);
  }
}

function print(variant: Variant, t: Trial): void {
  const each = (p: ProcessFigures) => `rss=${p.peakRssMb}MB (heap ${p.heap}) cpu/msg=${p.cpuPerMessageMs.toFixed(3)}ms`;
  const engines =
    t.processes.length === 1
      ? each(t.processes[0]!)
      : `rss=${t.peakRssMb}MB cpu/msg=${t.cpuPerMessageMs.toFixed(3)}ms [${t.processes.map((p, i) => `bench-${i + 1} ${each(p)}`).join('; ')}]`;
  console.log(
    `trial ${variant} rate=${t.rate} ${t.pass ? 'PASS' : 'FAIL'} (${t.why}) acked=${t.acked} ack_p99=${t.ackP99.toFixed(1)}ms ` +
      `e2e_p50=${t.e2eP50.toFixed(0)}ms e2e_p99=${Number.isFinite(t.e2eP99) ? t.e2eP99.toFixed(0) : 'inf'}ms backlog_end=${t.backlogEnd} ` +
      `dup=${t.duplicates} drain=${t.drainMs.toFixed(0)}ms ${engines} load=${t.load1m.toFixed(2)}`,
  );
}

/** The rates to try: a fixed list, or up by half from the start until a failure, then bisection to 5 %. */
async function search(root: string, variant: Variant, seconds: number, processes: number): Promise<Trial | undefined> {
  const fixed = process.env.BENCH_SUSTAINED_RATES;
  let best: Trial | undefined;
  const run = async (rate: number) => {
    const t = await trial(root, variant, Math.round(rate), seconds, processes);
    print(variant, t);
    if (t.pass && (!best || t.rate > best.rate)) best = t;
    return t;
  };
  if (fixed) {
    for (const rate of fixed.split(',').map(Number)) await run(rate);
    return best;
  }
  let low = 0;
  let high = 0;
  for (let rate = envCount('BENCH_SUSTAINED_START', 500); rate <= 20_000; rate *= 1.5) {
    if ((await run(rate)).pass) low = rate;
    else {
      high = rate;
      break;
    }
  }
  while (high > 0 && high - low > high * 0.05) {
    const mid = (low + high) / 2;
    if ((await run(mid)).pass) low = mid;
    else high = mid;
  }
  return best;
}

export async function sustainedFigures(root: string): Promise<void> {
  const seconds = envCount('BENCH_SUSTAINED_SECONDS', 60);
  const processes = processCount();
  const variants = (process.env.BENCH_SUSTAINED_CHANNELS ?? 'shipped,simple').split(',') as Variant[];
  figure('machine_load_1m', loadavg()[0]!, 'load');
  figure('sustained_processes', processes, 'processes');
  for (const v of variants) {
    if (!(v in CHANNEL)) throw new Error(`BENCH_SUSTAINED_CHANNELS names ${v}; expected shipped or simple`);
    const best = await search(root, v, seconds, processes);
    figure(`sustained_${v}_rate`, best?.rate ?? 0, 'msg/s');
    if (!best) continue;
    figure(`sustained_${v}_ack_p99`, best.ackP99, 'ms');
    figure(`sustained_${v}_e2e_p50`, best.e2eP50, 'ms');
    figure(`sustained_${v}_e2e_p99`, best.e2eP99, 'ms');
    figure(`sustained_${v}_peak_rss`, best.peakRssMb, 'MB');
    figure(`sustained_${v}_cpu_per_message`, best.cpuPerMessageMs, 'ms');
    figure(`sustained_${v}_load_1m`, best.load1m, 'load');
  }
  figure('machine_load_1m_end', loadavg()[0]!, 'load');
}

/** Starts the sink and the engine(s) and reports deliveries each second until SIGINT/SIGTERM. */
export async function serve(root: string, variant: Variant): Promise<void> {
  const processes = processCount();
  const dataDir = mkdtempSync(join(tmpdir(), 'interlace-serve-'));
  const redis = await chooseRedis();
  await resetPostgres();
  const sink = await startCountingSinkProcess();
  const engines = await startEngines(root, variant, dataDir, redis, sink, processes);
  const engine = engines[0]!;
  console.log(`mllp ${engines.map((e) => e.mllpPort).join(',')} sink ${sink.url}`);
  let last = -1;
  const timer = setInterval(() => {
    const n = sink.arrivals.size;
    if (n === last) return;
    last = n;
    void routeCounts(engine).then((routes) =>
      console.log(
        `${new Date().toISOString()} delivered ${n} rss ${engines.map((e) => Math.round(e.memory()?.rssMb ?? 0)).join('+')}MB ${routes}`,
      ),
    );
  }, 1000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await Promise.all(engines.map((e) => e.stop(30_000)));
  await sink.close();
  await redis.cleanup().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}

/** `route queued/delivered …` for the routes that have work queued (what `serve` prints each second). */
async function routeCounts(engine: EngineChild): Promise<string> {
  const body = (await engine.admin('/api/channels').catch(() => ({ channels: [] }))) as {
    channels: Array<{ routes?: Record<string, Record<string, number>> }>;
  };
  return body.channels
    .flatMap((c) => Object.entries(c.routes ?? {}))
    .filter(([, counts]) => Object.entries(counts).some(([k, v]) => k !== 'delivered' && k !== 'done' && v > 0))
    .map(([name, counts]) => `${name} ${JSON.stringify(counts)}`)
    .join('; ');
}
