/**
 * Transport figures (`npm run bench` runs this as a child; alone: `node bin/run-ts.js bench/transports.ts`):
 *
 * - `sftp_pickup_rate`: files/s the SFTP poller takes from a real OpenSSH server (test/support/sshd.ts):
 *   list, download (16 in flight), store in SQLite (fsync, group commit), delete remotely; from the
 *   start of the source until the folder is empty and every file is stored. BENCH_SFTP_FILES (default 2000)
 *   files of about 1 KB.
 * - `mllp_sender_rate_c1|c8`: messages/s the MLLP destination sends and gets an AA for, over 1 and 8
 *   persistent connections, to the bare echo peer (bench/mllp-echo.ts, another process);
 *   BENCH_MLLP_SENDS (default 20000) per run, with p50/p99 of send → ACK.
 *
 * Figures are printed, never asserted.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SftpSource, sftpSourceSchema } from '../channels/sftp/index.js';
import type { SourceContext } from '../channels/types.js';
import { SqliteStore } from '../engine/store/sqlite/store.js';
import { silentLogger } from '../lib/log.js';
import { mllp, mllpDestinationSchema } from '../routes/destinations/mllp/index.js';
import type { Delivery } from '../routes/types.js';
import { startSshd } from '../test/support/sshd.js';
import { envCount, figure, sleep, summarize } from './figures.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const FILES = envCount('BENCH_SFTP_FILES', 2000);
const SENDS = envCount('BENCH_MLLP_SENDS', 20_000);

function interchange(n: number): string {
  const isa13 = String(n).padStart(9, '0');
  const lines = Array.from({ length: 12 }, (_, i) => `PO1*${i + 1}*2*EA*12.50**VP*ITEM-${String(i).padStart(5, '0')}~`);
  return (
    `ISA*00*          *00*          *ZZ*SUMMITSURG     *ZZ*INTERLACEHOSP  *261204*2315*^*00501*${isa13}*0*P*:~\n` +
    `GS*PO*SUMMITSURG*INTERLACE*20261204*2315*${n}*X*005010~\nST*850*0001~\nBEG*00*SA*PO-${n}**20261204~\n` +
    `${lines.join('\n')}\nCTT*12~\nSE*16*0001~\nGE*1*${n}~\nIEA*1*${isa13}~\n`
  );
}

async function sftpFigures(): Promise<void> {
  const sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'interlace-bench-sftp-'));
  const store = new SqliteStore({ path: join(dir, 'messages.db') });
  const folder = join(sshd.root, 'outbound');
  try {
    mkdirSync(folder);
    for (let i = 1; i <= FILES; i++) writeFileSync(join(folder, `po-${String(i).padStart(6, '0')}.x12`), interchange(i));
    let stored = 0;
    const ctx: SourceContext = {
      channel: 'bench-sftp',
      log: silentLogger,
      ingest: async (input) => {
        const r = await store.ingest('bench-sftp', input, 0);
        stored += 1;
        return r;
      },
      recordAnswer: () => undefined,
    };
    const source = new SftpSource(
      sftpSourceSchema.parse({
        type: 'sftp',
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        keyPath: sshd.userKey,
        hostKey: sshd.hostFingerprint,
        directory: folder,
        pattern: '*.x12',
        pollInterval: '100ms',
        complete: { stableFor: 0 },
        parallel: 16,
      }),
      ctx,
    );
    const t0 = performance.now();
    await source.start();
    const deadline = Date.now() + Math.max(300_000, FILES * 100);
    while ((stored < FILES || readdirSync(folder).length > 0) && Date.now() < deadline) await sleep(50);
    const seconds = (performance.now() - t0) / 1000;
    await source.stop();
    figure('sftp_pickup_files', stored, 'files');
    figure('sftp_pickup_rate', Math.round(stored / seconds), 'files/s');
  } finally {
    await store.close();
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function hl7(n: number): string {
  return `MSH|^~\\&|INTERLACE|HOSP|ADT|HOSP|20261204120000||ADT^A08|S${n}|P|2.5.1\rEVN|A08|20261204120000\rPID|1||MRN${n}^^^HOSP^MR||DOE^JANE||19700101|F\rPV1|1|I|OR^1^1\r`;
}

/** The echo peer in its own process, as a downstream HL7 system would be. */
async function startEcho(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(root, 'bin/run-ts.js'), join(root, 'bench/mllp-echo.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((res, rej) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) res(Number(m[1]));
    });
    child.once('exit', (code) => rej(new Error(`bench/mllp-echo.ts exited with ${code}`)));
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function mllpSenderRun(port: number, connections: number, runId: string, report = true): Promise<void> {
  const dest = mllp.create(mllpDestinationSchema.parse({ type: 'mllp', host: '127.0.0.1', port, connections, ackTimeout: '30s' }), {
    channel: 'bench',
    route: 'adt',
    log: silentLogger,
  });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    for (;;) {
      const n = next++;
      if (n >= SENDS) return;
      const d: Delivery = {
        deliveryId: `${runId}${n}:adt`,
        messageId: `${runId}${n}`,
        channel: 'bench',
        route: 'adt',
        idempotencyKey: `${runId}${n}:adt`,
        correlationId: `${runId}${n}`,
        attempt: 1,
        payload: { body: hl7(n), contentType: 'application/hl7-v2' },
      };
      const t = performance.now();
      try {
        await dest.send(d);
        latencies.push(performance.now() - t);
      } catch {
        failed += 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await dest.close();
  if (!report) return;
  const s = summarize(latencies);
  figure(`mllp_sender_rate_c${connections}`, Math.round(latencies.length / seconds), 'msg/s');
  figure(`mllp_sender_p50_c${connections}`, s.p50, 'ms');
  figure(`mllp_sender_p99_c${connections}`, s.p99, 'ms');
  if (failed > 0) figure(`mllp_sender_failed_c${connections}`, failed, 'messages');
}

async function mllpSenderFigures(): Promise<void> {
  const echo = await startEcho();
  try {
    await mllpSenderRun(echo.port, 1, 'W', false); // warm-up
    await mllpSenderRun(echo.port, 1, 'A');
    await mllpSenderRun(echo.port, 8, 'B');
  } finally {
    await echo.stop();
  }
}

await sftpFigures();
await mllpSenderFigures();
