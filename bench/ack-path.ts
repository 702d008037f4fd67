/**
 * The acknowledgment path alone: the engine's MLLP source and SQLite store (`sync: full`, a fresh
 * file) in one process, with no processing, queues or deliveries behind them. The gap between this
 * and `mllp_ack_rate_c8` is what the work after the ACK (parse, transforms, BullMQ, HTTP) costs the
 * listener when it shares the engine's event loop.
 *
 *   node bin/run-ts.js bench/ack-path.ts   # prints `listening PORT`, stops on SIGTERM
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mllpSourceSchema, MllpSource } from '../channels/mllp/index.js';
import { silentLogger } from '../lib/log.js';
import { openStore } from '../engine/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'interlace-ack-path-'));
const store = await openStore(`sqlite:${join(dir, 'messages.db')}`, {
  sync: (process.env.BENCH_SYNC as 'full' | 'normal' | undefined) ?? 'full',
});
const source = new MllpSource(mllpSourceSchema.parse({ type: 'mllp', host: '127.0.0.1', port: 0 }), {
  channel: 'ack-path',
  log: silentLogger,
  ingest: (input) => store.ingest('ack-path', input, 24 * 3600_000),
  // BENCH_RECORD_ANSWER=0 leaves the answer out of the ledger, to measure what its own commit costs.
  recordAnswer: (messageId, answer) =>
    process.env.BENCH_RECORD_ANSWER === '0'
      ? undefined
      : void store.recordAnswer(messageId, { kind: answer.kind, code: answer.code, detail: answer.detail }).catch(() => undefined),
});
await source.start();
console.log(`listening ${source.address()!.port}`);
process.once('SIGTERM', () => {
  void (async () => {
    await source.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
