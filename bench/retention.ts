/**
 * Retention under load (`npm run bench -- retention`): does pruning a large store hold acknowledgments
 * back, and does the space come back to the file system?
 *
 * 1. Seeds a SQLite store with RETENTION_BENCH_MESSAGES (default 1,000,000) finished messages of the
 *    shipped OR channel received 31 days ago, through the store's API (bench/retention-seed.ts).
 * 2. Starts the engine (bench/engine-child.ts) on that data directory with config/ as shipped plus
 *    `store.retention: 30d` (`retentionEvery: 24h`: one pass, at start). The pass purges the content
 *    of every seeded message, then returns the freed pages to the file system (incremental vacuum).
 * 3. While it purges, and then while it returns the space, offers an open-loop MLLP load of DFT^P03
 *    (bench/open-loop.ts) at RETENTION_BENCH_RATE msg/s (default 200) to the same channel, and
 *    records each ACK's latency. The ends of both phases are read from the engine's log (the
 *    retention service logs each with its duration).
 * 4. Offers the same load for as long as the purge took with nothing left to prune: the baseline.
 *
 * The database file's size (main file + WAL) is printed after seeding, after the purge, after the
 * space was returned, and once the engine stopped (WAL checkpointed). `retention_acked_but_missing`
 * counts acknowledged messages of the load the store does not hold.
 *
 * Environment: RETENTION_BENCH_MESSAGES, RETENTION_BENCH_RATE, RETENTION_BENCH_CONNECTIONS (4),
 * RETENTION_BENCH_DIR (where the data directory is made, default the system's temporary directory:
 * about 19 KB per seeded message), BENCH_NODE_FLAGS, REDIS_URL / BENCH_REDIS_DB.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../engine/store/index.js';
import { accepts, freePort, startEngineChild, startFlags, type EngineChild } from './engine-child.js';
import { envCount, figure, sleep, summarize } from './figures.js';
import { runOpenLoop, type OpenLoopResult } from './open-loop.js';
import { chooseRedis } from './redis-choice.js';
import { SEED_CHANNEL, seedStore } from './retention-seed.js';
import { startCountingSinkProcess } from './sink.js';

const DAY = 86_400_000;
const LOAD_CHANNEL_NAME = 'retention-load';

/**
 * The channel the load goes to: stored and acknowledged like any DFT^P03, then filtered. The shipped
 * channel maps, asks the ERP and delivers three routes per message, which sustains well under
 * 200 msg/s (docs/benchmarks.md); its backlog's writes would then crowd the store's writer and
 * measure the backlog, not the retention. Its messages share the store (and its one writer) with the
 * seeded ones.
 */
const LOAD_CHANNEL = `# The retention bench's load: DFT^P03 over MLLP, stored and acknowledged, then filtered.
name: ${LOAD_CHANNEL_NAME}
source:
  type: mllp
  host: 127.0.0.1
  port: \${RETENTION_LOAD_PORT}
parse:
  format: hl7v2
  encoding: latin1
transforms:
  - filter:
      when: meta.messageType = 'none'
      reason: the retention bench measures acknowledgments only
routes:
  - name: none
    body:
      raw: true
    destination:
      type: http
      url: \${ERP_URL}/retention-load
      method: POST
`;
/** No load runs longer than this (a purge that never ends fails the bench instead of running for ever). */
const MAX_PHASE_SECONDS = 6 * 3600;

/** Size of the database file and its WAL, in bytes. */
function dbBytes(path: string): number {
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  return size(path) + size(`${path}-wal`);
}

/** config/ as shipped plus the load channel, in the data directory, with a retention of 30 days applied once at start. */
function retentionConfig(root: string, dataDir: string): string {
  const dir = join(dataDir, 'config');
  cpSync(join(root, 'config'), dir, { recursive: true });
  writeFileSync(join(dir, 'channels', `${LOAD_CHANNEL_NAME}.yaml`), LOAD_CHANNEL);
  const file = join(dir, 'engine.yaml');
  const text = readFileSync(file, 'utf8');
  if (!/^store:\n/m.test(text)) throw new Error(`${file} has no store: section to add the retention to`);
  writeFileSync(file, text.replace(/^store:\n/m, 'store:\n  retention: 30d\n  retentionEvery: 24h\n'));
  return dir;
}

/** Resolves the fields of the first engine log line with message `msg` (pino JSON), read as the log grows. */
async function logLine(engine: EngineChild, msg: string, stop: { done: boolean }): Promise<Record<string, unknown>> {
  let offset = 0;
  let rest = '';
  while (!stop.done) {
    const text = readFileSync(engine.logFile, 'utf8');
    const lines = (rest + text.slice(offset)).split('\n');
    offset = text.length;
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes(msg)) continue;
      const fields = JSON.parse(line) as Record<string, unknown>;
      if (fields.msg === msg) return fields;
    }
    if (engine.memory() === undefined)
      throw new Error(`the engine exited before logging '${msg}'; its log ends with:\n${engine.logTail()}`);
    await sleep(100);
  }
  throw new Error(`stopped waiting for '${msg}'`);
}

/** The open-loop load until `until` settles; its result once every ACK is in. */
async function loadUntil(port: number, rate: number, runId: string, until: Promise<unknown>): Promise<OpenLoopResult> {
  const stop = new AbortController();
  const connections = envCount('RETENTION_BENCH_CONNECTIONS', 4);
  const load = runOpenLoop({ ports: [port], rate, seconds: MAX_PHASE_SECONDS, connections, runId, signal: stop.signal });
  try {
    await until;
  } finally {
    stop.abort();
  }
  return load;
}

function printAcks(suffix: string, r: OpenLoopResult): void {
  const s = summarize(r.ackLatencies);
  figure(`retention_ack_p50_${suffix}`, s.p50, 'ms');
  figure(`retention_ack_p99_${suffix}`, s.p99, 'ms');
  figure(`retention_ack_max_${suffix}`, s.max, 'ms');
  figure(`retention_acked_${suffix}`, r.acked, 'messages');
  figure(`retention_load_seconds_${suffix}`, r.seconds, 's');
  if (r.notAcked > 0) figure(`retention_not_acked_${suffix}`, r.notAcked, 'messages');
  if (r.notSent > 0) figure(`retention_not_sent_${suffix}`, r.notSent, 'messages');
  figure(`retention_sender_lag_max_${suffix}`, r.maxLagMs, 'ms');
}

/**
 * Read once the engine stopped: acknowledged messages of the loads the store does not hold, and the
 * seeded messages still there (their metadata is kept).
 */
async function checkStore(path: string, acked: string[]): Promise<{ missing: number; kept: number }> {
  const store = await openStore(`sqlite:${path}`);
  try {
    let missing = 0;
    for (const controlId of acked) {
      const found = await store.listMessages({ channel: LOAD_CHANNEL_NAME, controlId, limit: 1 });
      if (found.length === 0) missing++;
    }
    const counts = (await store.channelCounts())[SEED_CHANNEL];
    const kept = counts ? Object.entries(counts).reduce((n, [k, v]) => (k === 'queued' ? n : n + v), 0) : 0;
    return { missing, kept };
  } finally {
    await store.close();
  }
}

/** Seeds the store and prints the seed figures. */
async function seed(root: string, db: string, messages: number): Promise<void> {
  const started = performance.now();
  let reported = 0;
  const { contentBytes } = await seedStore({
    root,
    path: db,
    messages,
    ageMs: 31 * DAY,
    progress: (n) => {
      if (n < reported + messages / 10 && n < messages) return;
      reported = n;
      console.error(`seeded ${n} of ${messages} messages in ${Math.round((performance.now() - started) / 1000)} s`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  figure('retention_seed_messages', messages, 'messages');
  figure('retention_seed_content_per_message', contentBytes, 'bytes');
  figure('retention_seed_seconds', seconds, 's');
  figure('retention_seed_rate', Math.round(messages / seconds), 'msg/s');
  figure('retention_db_bytes_seeded', dbBytes(db), 'bytes');
}

/** The loads while the engine purges, while it returns the space, and with nothing to prune; then stops it. */
async function loads(engine: EngineChild, loadPort: number, db: string, waiting: { done: boolean }): Promise<void> {
  const rate = envCount('RETENTION_BENCH_RATE', 200);
  const purgedLine = logLine(engine, 'message content purged by retention', waiting);
  const reclaimedLine = logLine(engine, 'space freed by retention returned to the file system', waiting);
  reclaimedLine.catch(() => undefined); // awaited after the purge; a failure before then is reported there
  while (!(await accepts(loadPort))) await sleep(20);
  figure('retention_offered_rate', rate, 'msg/s');
  // Each phase's figures are printed as it ends: a later failure (or a long run cut short) keeps them.
  const pruning = await loadUntil(loadPort, rate, 'RP', purgedLine);
  const purged = await purgedLine;
  const purgeSeconds = Number(purged.ms) / 1000;
  figure('retention_db_bytes_after_purge', dbBytes(db), 'bytes');
  figure('retention_messages_pruned', Number(purged.purged), 'messages');
  figure('retention_prune_seconds', purgeSeconds, 's');
  figure('retention_prune_rate', Math.round(Number(purged.purged) / purgeSeconds), 'msg/s');
  printAcks('pruning', pruning);
  const reclaiming = await loadUntil(loadPort, rate, 'RR', reclaimedLine);
  const reclaimed = await reclaimedLine;
  figure('retention_db_bytes_after_reclaim', dbBytes(db), 'bytes');
  figure('retention_reclaim_seconds', Number(reclaimed.ms) / 1000, 's');
  figure('retention_bytes_reclaimed', Number(reclaimed.bytes), 'bytes');
  printAcks('reclaiming', reclaiming);
  const connections = envCount('RETENTION_BENCH_CONNECTIONS', 4);
  const baseline = await runOpenLoop({
    ports: [loadPort],
    rate,
    seconds: Math.max(10, Math.round(purgeSeconds)),
    connections,
    runId: 'RB',
  });
  printAcks('baseline', baseline);
  const code = await engine.stop(60_000);
  figure('retention_db_bytes_engine_stopped', dbBytes(db), 'bytes');
  const { missing, kept } = await checkStore(db, [...pruning.ackedIds, ...reclaiming.ackedIds, ...baseline.ackedIds]);
  figure('retention_messages_kept', kept, 'messages');
  figure('retention_acked_but_missing', missing, 'messages');
  figure('retention_engine_sigterm_exit', code === 'killed' ? -9 : code, 'code');
}

export async function retentionFigures(root: string): Promise<void> {
  const messages = envCount('RETENTION_BENCH_MESSAGES', 1_000_000);
  const dataDir = mkdtempSync(join(process.env.RETENTION_BENCH_DIR ?? tmpdir(), 'interlace-retention-'));
  const db = join(dataDir, 'messages.db');
  figure('machine_load_1m', loadavg()[0]!, 'load');
  let engine: EngineChild | undefined;
  const redis = await chooseRedis();
  const sink = await startCountingSinkProcess();
  const waiting = { done: false };
  try {
    await seed(root, db, messages);
    const loadPort = await freePort();
    engine = await startEngineChild({
      env: { RETENTION_LOAD_PORT: String(loadPort) },
      root,
      configDir: retentionConfig(root, dataDir),
      dataDir,
      redisUrl: redis.url,
      erpUrl: sink.url,
      fhirUrl: `${sink.url}/fhir`,
      nodeFlags: (process.env.BENCH_NODE_FLAGS ?? startFlags(root)).split(' ').filter(Boolean),
    });
    await loads(engine, loadPort, db, waiting);
    figure('machine_load_1m_end', loadavg()[0]!, 'load');
  } catch (err) {
    if (engine) console.error(`engine log tail:\n${engine.logTail()}`);
    throw err;
  } finally {
    waiting.done = true;
    await engine?.stop(10_000);
    await sink.close();
    await redis.cleanup().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
