/**
 * The console's message browser on a large store (`npm run bench -- browse`): does GET /api/messages
 * stay fast with ten million messages stored (issue 12)?
 *
 * 1. Fills a SQLite store with BROWSE_BENCH_MESSAGES (default 10,000,000) messages received over the
 *    last 90 days (bench/browse-fill.ts: the store creates the file, the bench writes the tables
 *    the browser reads directly with set-based SQL, a bench-only shortcut; the store's API would take
 *    most of a day). Prints the fill time and the database size.
 * 2. Starts the engine (bench/engine-child.ts) on that data directory with config/ as shipped, and
 *    times GET /api/messages over HTTP, BROWSE_BENCH_REPS (default 20) times each with random
 *    parameters: the first page, 200 pages deep (following `before=` the last id of each page), one
 *    channel, status=error, one hour a month back, everything before a time a month back (`to=` alone), a control id, a business key (mrn, account, po),
 *    and channel + status + one day a month back. Also GET /api/channels (the dashboard's counts).
 *
 * Prints `browse_<query>_p50_ms`, `_p99_ms`, `_max_ms` and `_rows` (mean rows per answer), and
 * `browse_messages_stored`. The data directory is removed at the end unless BROWSE_BENCH_KEEP=1.
 *
 * Environment: BROWSE_BENCH_MESSAGES, BROWSE_BENCH_REPS, BROWSE_BENCH_KEEP, BROWSE_BENCH_DIR (where
 * the data directory is made, default the system's temporary directory: about 825 bytes per
 * message, 8.25 GB for ten million), BENCH_NODE_FLAGS, REDIS_URL / BENCH_REDIS_DB.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fillStore } from './browse-fill.js';
import { accepts, startEngineChild, startFlags, type EngineChild } from './engine-child.js';
import { envCount, figure, sleep, summarize } from './figures.js';
import { chooseRedis } from './redis-choice.js';
import { startCountingSinkProcess } from './sink.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

type Page = { messages: Array<{ id: string }> };

/** Existing values to look up, read from the filled file at random rows. */
type Samples = { controlIds: string[]; keys: Record<'mrn' | 'account' | 'po', string[]>; stored: number };

function dbBytes(path: string): number {
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  return size(path) + size(`${path}-wal`);
}

function sample(path: string, reps: number): Samples {
  const db = new Database(path, { readonly: true });
  try {
    const stored = (db.prepare('SELECT MAX(rowid) AS n FROM messages').get() as { n: number }).n;
    const row = db.prepare('SELECT control_id FROM messages WHERE rowid = ?').pluck();
    const controlIds = Array.from({ length: reps }, () => row.get(1 + Math.floor(Math.random() * stored)) as string);
    const keyRows = (db.prepare('SELECT MAX(rowid) AS n FROM message_keys').get() as { n: number }).n;
    const key = db.prepare('SELECT name, value FROM message_keys WHERE rowid >= ? AND name = ? LIMIT 1');
    const keys = { mrn: [] as string[], account: [] as string[], po: [] as string[] };
    for (const name of ['mrn', 'account', 'po'] as const)
      while (keys[name].length < reps) {
        const r = key.get(1 + Math.floor(Math.random() * keyRows), name) as { value: string } | undefined;
        if (r) keys[name].push(r.value);
      }
    return { controlIds, keys, stored };
  } finally {
    db.close();
  }
}

/** Times `reps` requests made by `query(i)`; prints p50/p99/max and the mean rows per answer. */
async function timed(engine: EngineChild, name: string, reps: number, query: (i: number) => string): Promise<void> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    const page = (await engine.admin(`/api/messages?${query(i)}`)) as Page;
    ms.push(performance.now() - started);
    rows += page.messages.length;
  }
  const s = summarize(ms);
  figure(`browse_${name}_p50_ms`, s.p50, 'ms');
  figure(`browse_${name}_p99_ms`, s.p99, 'ms');
  figure(`browse_${name}_max_ms`, s.max, 'ms');
  figure(`browse_${name}_rows`, Math.round(rows / reps), 'rows');
}

/** 200 pages in a row from the newest, each after the last id of the one before. */
async function deepPaging(engine: EngineChild, pages: number, filter = ''): Promise<void> {
  const ms: number[] = [];
  let before = '';
  let rows = 0;
  const started = performance.now();
  for (let i = 0; i < pages; i++) {
    const t = performance.now();
    const page = (await engine.admin(`/api/messages?limit=50${filter}${before}`)) as Page;
    ms.push(performance.now() - t);
    rows += page.messages.length;
    const last = page.messages.at(-1);
    if (!last) break;
    before = `&before=${last.id}`;
  }
  const s = summarize(ms);
  const name = filter ? 'deep_paging_channel' : 'deep_paging';
  figure(`browse_${name}_p50_ms`, s.p50, 'ms');
  figure(`browse_${name}_p99_ms`, s.p99, 'ms');
  figure(`browse_${name}_max_ms`, s.max, 'ms');
  figure(`browse_${name}_rows`, rows, 'rows');
  figure(`browse_${name}_total_ms`, performance.now() - started, 'ms');
}

const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)]!;
const iso = (ms: number) => new Date(ms).toISOString();
/** A time about a month back (29 to 31 days), at random. */
const monthBack = () => Date.now() - 29 * DAY - Math.random() * 2 * DAY;

async function queries(engine: EngineChild, s: Samples, reps: number): Promise<void> {
  const channels = [
    'or-implant-charges',
    'supplier-inbound',
    'supplier-po-out',
    'payer-remittance',
    'item-master-sync',
    'northwind-as2-inbound',
    'summit-sftp-inbound',
  ];
  const statuses = ['error', 'filtered', 'duplicate'];
  await timed(engine, 'first_page', reps, () => 'limit=50');
  await deepPaging(engine, 200);
  await deepPaging(engine, 200, `&channel=${pick(channels)}`);
  await timed(engine, 'channel', reps, () => `channel=${pick(channels)}`);
  await timed(engine, 'status_error', reps, () => 'status=error');
  await timed(engine, 'status_rare', reps, () => `status=${pick(statuses)}&channel=${pick(channels)}`);
  await timed(engine, 'time_hour', reps, () => {
    const from = monthBack();
    return `from=${iso(from)}&to=${iso(from + HOUR)}`;
  });
  await timed(engine, 'to_month_back', reps, () => `to=${iso(monthBack())}`);
  await timed(engine, 'control_id', reps, (i) => `controlId=${encodeURIComponent(s.controlIds[i]!)}`);
  for (const name of ['mrn', 'account', 'po'] as const)
    await timed(engine, `key_${name}`, reps, (i) => `key=${name}:${encodeURIComponent(s.keys[name][i]!)}`);
  await timed(engine, 'channel_status_day', reps, () => {
    const from = monthBack();
    return `channel=${pick(channels)}&status=${pick(['error', 'delivered', 'filtered'])}&from=${iso(from)}&to=${iso(from + DAY)}`;
  });
  await timed(engine, 'channel_time_hour', reps, () => {
    const from = monthBack();
    return `channel=${pick(channels)}&from=${iso(from)}&to=${iso(from + HOUR)}`;
  });
  const ms: number[] = [];
  for (let i = 0; i < Math.min(reps, 5); i++) {
    const t = performance.now();
    await engine.admin('/api/channels');
    ms.push(performance.now() - t);
  }
  figure('browse_api_channels_p50_ms', summarize(ms).p50, 'ms');
  figure('browse_api_channels_max_ms', summarize(ms).max, 'ms');
}

async function fill(db: string, messages: number): Promise<void> {
  const started = performance.now();
  let reported = 0;
  const { keys } = await fillStore({
    path: db,
    messages,
    spanMs: 90 * DAY,
    contentShare: 0.05,
    progress: (n) => {
      if (n < reported + messages / 10 && n < messages) return;
      reported = n;
      console.error(`filled ${n} of ${messages} messages in ${Math.round((performance.now() - started) / 1000)} s`);
    },
  });
  figure('browse_fill_seconds', (performance.now() - started) / 1000, 's');
  figure('browse_fill_key_rows', keys, 'rows');
  figure('browse_db_bytes', dbBytes(db), 'bytes');
}

export async function browseFigures(root: string): Promise<void> {
  const messages = envCount('BROWSE_BENCH_MESSAGES', 10_000_000);
  const reps = Math.max(1, envCount('BROWSE_BENCH_REPS', 20));
  const dataDir = mkdtempSync(join(process.env.BROWSE_BENCH_DIR ?? tmpdir(), 'interlace-browse-'));
  const db = join(dataDir, 'messages.db');
  figure('machine_load_1m', loadavg()[0]!, 'load');
  let engine: EngineChild | undefined;
  const redis = await chooseRedis();
  const sink = await startCountingSinkProcess();
  try {
    await fill(db, messages);
    const samples = sample(db, reps);
    figure('browse_messages_stored', samples.stored, 'messages');
    const started = performance.now();
    engine = await startEngineChild({
      root,
      configDir: join(root, 'config'),
      dataDir,
      redisUrl: redis.url,
      erpUrl: sink.url,
      fhirUrl: `${sink.url}/fhir`,
      nodeFlags: (process.env.BENCH_NODE_FLAGS ?? startFlags(root)).split(' ').filter(Boolean),
    });
    // the admin API listens a little after MLLP
    for (const deadline = Date.now() + 60_000; !(await accepts(engine.adminPort)); await sleep(100))
      if (Date.now() > deadline) throw new Error(`the admin API did not listen on port ${engine.adminPort} within 60 s`);
    figure('browse_engine_start_ms', performance.now() - started, 'ms');
    await queries(engine, samples, reps);
    figure('machine_load_1m_end', loadavg()[0]!, 'load');
    const code = await engine.stop(30_000);
    figure('browse_engine_sigterm_exit', code === 'killed' ? -9 : code, 'code');
  } catch (err) {
    if (engine) console.error(`engine log tail:\n${engine.logTail()}`);
    throw err;
  } finally {
    await engine?.stop(10_000);
    await sink.close();
    await redis.cleanup().catch(() => undefined);
    if (process.env.BROWSE_BENCH_KEEP === '1') console.error(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}
