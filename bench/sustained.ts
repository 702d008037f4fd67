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
 * Two channels: `shipped` is config/ as it is (or-implant-charges: lookups, an on-hand question to
 * the ERP per line, three routes — ERP usage, FHIR ChargeItems, X12 850 — all answered locally; the
 * figure times the ERP usage POST and also waits until nothing of the channel is queued); `simple`
 * is one MLLP → HL7 v2 → one HTTP route channel with a filter and a small JSON body.
 *
 * Environment: BENCH_SUSTAINED_CHANNELS (`shipped,simple`), BENCH_SUSTAINED_SECONDS (60),
 * BENCH_SUSTAINED_RATES (fixed list instead of the search, e.g. `1000,2000`), BENCH_SUSTAINED_START
 * (500), BENCH_SUSTAINED_CONNECTIONS (8), BENCH_NODE_FLAGS, BENCH_KEEP_LOG (a file: the last trial's engine log is copied there), REDIS_URL / BENCH_REDIS_DB,
 * INTERLACE_STORE (a postgres:// URL: the store; its tables are emptied before each trial).
 *
 * `npm run bench -- serve shipped|simple` starts the sink and the engine and prints their ports and,
 * every second, how many messages the sink has received, until interrupted (to check the engine
 * with an outside load generator).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEngineChild, type EngineChild } from './engine-child.js';
import { envCount, figure, JIFFY_MS, processJiffies, sleep, summarize } from './figures.js';
import { runMllpLoad } from './mllp-load.js';
import { runOpenLoop } from './open-loop.js';
import { chooseRedis, type RedisChoice } from './redis-choice.js';
import { startCountingSinkProcess, type CountingSink } from './sink.js';

type Variant = 'shipped' | 'simple';
const CHANNEL: Record<Variant, string> = { shipped: 'or-implant-charges', simple: 'simple-dft' };

const SIMPLE_CHANNEL = `# One route: DFT^P03 over MLLP to an HTTP endpoint (the sustained bench's simple channel).
name: simple-dft
source:
  type: mllp
  host: 127.0.0.1
  port: \${MLLP_PORT}
parse:
  format: hl7v2
  encoding: latin1
transforms:
  - filter:
      when: meta.messageType = 'DFT^P03'
      reason: only DFT^P03
routes:
  - name: erp-usage
    body:
      json: |
        (
          $u := $doc('supply-usage');
          {
            "reference": meta.controlId,
            "messageId": meta.messageId,
            "account": $u.accountNumber,
            "department": $u.department,
            "lines": [$map($u.lines, function($l) { { "item": $l.itemNumber, "quantity": $number($l.quantity.value) } })]
          }
        )
    destination:
      type: http
      url: \${ERP_URL}/inventory/usage
      method: POST
      timeout: 10s
    retry:
      attempts: 12
      delay: 2s
      maxDelay: 10m
    concurrency: 8
`;

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
  drainMs: number;
  peakRssMb: number;
  /** V8 heap used / total of each engine thread when the load ended, e.g. `listener 40/52MB processing 80/95MB`. */
  heap: string;
  /** Engine CPU (both threads, user + system) from the start of the load to the end of the drain, per message delivered meanwhile. */
  cpuPerMessageMs: number;
  load1m: number;
};

/** A configuration directory for the variant: config/ itself, or a temporary one with the simple channel. */
function configFor(root: string, variant: Variant, dataDir: string): string {
  if (variant === 'shipped') return join(root, 'config');
  const dir = join(dataDir, 'config');
  mkdirSync(join(dir, 'channels'), { recursive: true });
  copyFileSync(join(root, 'config', 'engine.yaml'), join(dir, 'engine.yaml'));
  writeFileSync(join(dir, 'channels', 'simple-dft.yaml'), SIMPLE_CHANNEL);
  return dir;
}

async function startFor(root: string, variant: Variant, dataDir: string, redis: RedisChoice, sink: CountingSink): Promise<EngineChild> {
  return startEngineChild({
    root,
    configDir: configFor(root, variant, dataDir),
    dataDir,
    redisUrl: redis.url,
    erpUrl: sink.url,
    fhirUrl: `${sink.url}/fhir`,
    nodeFlags: (process.env.BENCH_NODE_FLAGS ?? startFlags(root)).split(' ').filter(Boolean),
  });
}

/**
 * Empties the PostgreSQL store between trials (when INTERLACE_STORE names one): every table but the
 * schema's version (`interlace_schema`, which the engine migrates from) and those that refuse TRUNCATE
 * (the append-only audit log, whose trigger would fail the whole statement).
 */
async function resetPostgres(): Promise<void> {
  const url = process.env.INTERLACE_STORE;
  if (!url?.startsWith('postgres')) return;
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      `select c.relname as tablename from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind = 'r' and c.relname <> 'interlace_schema'
         and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid and (t.tgtype & 32) <> 0) -- 32: TRUNCATE`,
    );
    if (rows.length > 0) await client.query(`truncate ${rows.map((r) => `"${r.tablename}"`).join(', ')}`);
  } finally {
    await client.end();
  }
}

async function queued(engine: EngineChild, channel: string): Promise<number> {
  const body = (await engine.admin('/api/channels')) as { channels: Array<{ name: string; counts: { queued: number } }> };
  return body.channels.find((c) => c.name === channel)?.counts.queued ?? 0;
}

/** One trial at `rate`: fresh engine, warm-up, the open-loop load, the drain. */
export async function trial(root: string, variant: Variant, rate: number, seconds: number): Promise<Trial> {
  const dataDir = mkdtempSync(join(tmpdir(), 'interlace-sustained-'));
  const redis = await chooseRedis();
  await resetPostgres();
  const sink = await startCountingSinkProcess();
  let engine: EngineChild | undefined;
  try {
    engine = await startFor(root, variant, dataDir, redis, sink);
    const warm = await runMllpLoad({ port: engine.mllpPort, messages: 2000, connections: 8, runId: 'W' });
    await waitDelivered(sink, warm.ackedIds, 60_000);
    const sentAt = new Map<string, number>();
    let peakRss = 0;
    const backlog: number[] = [];
    const arrived0 = sink.arrivals.size;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, engine!.memory()?.rssMb ?? 0);
      backlog.push(sentAt.size - (sink.arrivals.size - arrived0));
    }, 250);
    const load1m = loadavg()[0]!;
    const jiffies = processJiffies(engine.pid);
    const r = await runOpenLoop({
      port: engine.mllpPort,
      rate,
      seconds,
      connections: envCount('BENCH_SUSTAINED_CONNECTIONS', 8),
      runId: `S${rate}x`,
      onSend: (id, at) => sentAt.set(id, at),
    });
    const loadEnd = performance.now();
    const heap = await heapAtEnd(engine);
    const ids = [...sentAt.keys()];
    const last = await waitDelivered(sink, ids, 30_000);
    clearInterval(sampler);
    const cpuMs = (processJiffies(engine.pid) - jiffies) * JIFFY_MS;
    const deliveredInWindow = sink.arrivals.size - arrived0;
    let left = -1;
    const deadline = Date.now() + 30_000;
    while ((left = await queued(engine, CHANNEL[variant])) > 0 && Date.now() < deadline) await sleep(250);
    const undelivered = ids.filter((id) => !sink.arrivals.has(id)).length;
    const e2e = ids.map((id) => (sink.arrivals.get(id) ?? Infinity) - sentAt.get(id)!);
    const during = Math.floor((seconds * 1000) / 250);
    const tail = backlog.slice(Math.floor((during * 3) / 4), during);
    const backlogEnd = Math.max(0, ...tail);
    const ack = summarize(r.ackLatencies);
    const e = summarize(e2e);
    const why = [
      r.notAcked > 0 ? `${r.notAcked} not acknowledged` : '',
      undelivered > 0 ? `${undelivered} not delivered 30 s after the load` : '',
      left > 0 ? `${left} still queued (${await routeCounts(engine)})` : '',
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
      drainMs: last === undefined ? -1 : Math.max(0, last - loadEnd),
      peakRssMb: Math.round(Math.max(peakRss, 0)),
      cpuPerMessageMs: cpuMs / Math.max(1, deliveredInWindow),
      load1m,
      heap,
    };
  } finally {
    await engine?.stop(30_000);
    await sink.close();
    await redis.cleanup().catch(() => undefined);
    if (process.env.BENCH_KEEP_LOG) copyFileSync(join(dataDir, 'engine.log'), process.env.BENCH_KEEP_LOG);
    rmSync(dataDir, { recursive: true, force: true });
  }
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
  console.log(
    `trial ${variant} rate=${t.rate} ${t.pass ? 'PASS' : 'FAIL'} (${t.why}) acked=${t.acked} ack_p99=${t.ackP99.toFixed(1)}ms ` +
      `e2e_p50=${t.e2eP50.toFixed(0)}ms e2e_p99=${Number.isFinite(t.e2eP99) ? t.e2eP99.toFixed(0) : 'inf'}ms backlog_end=${t.backlogEnd} ` +
      `drain=${t.drainMs.toFixed(0)}ms rss=${t.peakRssMb}MB (heap ${t.heap}) cpu/msg=${t.cpuPerMessageMs.toFixed(3)}ms load=${t.load1m.toFixed(2)}`,
  );
}

/** The rates to try: a fixed list, or up by half from the start until a failure, then bisection to 5 %. */
async function search(root: string, variant: Variant, seconds: number): Promise<Trial | undefined> {
  const fixed = process.env.BENCH_SUSTAINED_RATES;
  let best: Trial | undefined;
  const run = async (rate: number) => {
    const t = await trial(root, variant, Math.round(rate), seconds);
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
  const variants = (process.env.BENCH_SUSTAINED_CHANNELS ?? 'shipped,simple').split(',') as Variant[];
  figure('machine_load_1m', loadavg()[0]!, 'load');
  for (const v of variants) {
    if (!(v in CHANNEL)) throw new Error(`BENCH_SUSTAINED_CHANNELS names ${v}; expected shipped or simple`);
    const best = await search(root, v, seconds);
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

/** Starts the sink and the engine and reports deliveries each second until SIGINT/SIGTERM. */
export async function serve(root: string, variant: Variant): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'interlace-serve-'));
  const redis = await chooseRedis();
  await resetPostgres();
  const sink = await startCountingSinkProcess();
  const engine = await startFor(root, variant, dataDir, redis, sink);
  console.log(`mllp ${engine.mllpPort} sink ${sink.url}`);
  let last = -1;
  const timer = setInterval(() => {
    const n = sink.arrivals.size;
    if (n === last) return;
    last = n;
    void routeCounts(engine).then((routes) =>
      console.log(`${new Date().toISOString()} delivered ${n} rss ${Math.round(engine.memory()?.rssMb ?? 0)}MB ${routes}`),
    );
  }, 1000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await engine.stop(30_000);
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

/** The node flags of the `start` script in package.json (what a user's `npm start` runs). */
export function startFlags(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return (pkg.scripts.start ?? '')
    .split(' ')
    .filter((t) => t.startsWith('--'))
    .join(' ');
}
