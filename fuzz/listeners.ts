import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http as httpSource } from '../channels/http/index.js';
import { mllp } from '../channels/mllp/index.js';
import { MllpClient } from '../channels/mllp/client.js';
import { ackModeOf, parseHl7 } from '../parsers/hl7v2/index.js';
import type { IngestInput, Source, SourceContext } from '../channels/types.js';
import { SqliteStore } from '../engine/store/sqlite/store.js';
import { silentLogger } from '../lib/log.js';
import { corpus } from './corpus.js';
import { mutate, seeded, type Rng } from './mutate.js';

export type ListenerRound = {
  mllpFrames: number;
  httpRequests: number;
  streams: number;
  positive: number;
  failures: string[];
  rssStartMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  seconds: number;
};

const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const mb = (n: number) => Math.round(n / 1e5) / 10;

/**
 * Drives the real MLLP and HTTP listeners, backed by a real SQLite store, with mutated HL7, X12,
 * JSON and FHIR input. Checks: every complete frame and every request is answered; the listeners
 * survive hostile byte streams (they answer a well-formed message afterwards); every input answered
 * positively is in the store, byte for byte, after the store is closed and opened again.
 */
export async function fuzzListeners(options: { count: number; seconds: number; seed: number }): Promise<ListenerRound> {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-fuzz-'));
  const path = join(dir, 'messages.db');
  let store = new SqliteStore({ path, sync: 'normal' });
  const stored = new Map<string, string>(); // sha256 of raw → message id
  const ctx: SourceContext = {
    channel: 'fuzz',
    log: silentLogger,
    async ingest(input: IngestInput) {
      const r = await store.ingest('fuzz', input, 0);
      stored.set(hash(input.raw), r.messageId);
      return r;
    },
    recordAnswer: (id, a) => void store.recordAnswer(id, a).catch(() => undefined),
  };
  const sources: Source[] = [
    mllp.create(
      mllp.schema.parse({
        type: 'mllp',
        host: '127.0.0.1',
        port: 0,
        maxMessageBytes: '256KiB',
        frameTimeout: '2s',
        idleTimeout: '5s',
        maxConnectionsPerAddress: 50,
      }),
      ctx,
    ),
    httpSource.create(
      httpSource.schema.parse({ type: 'http', host: '127.0.0.1', port: 0, maxBodyBytes: '256KiB', maxConnectionsPerAddress: 50 }),
      ctx,
    ),
  ];
  for (const s of sources) await s.start();
  const [mllpPort, httpPort] = sources.map((s) => s.address!()!.port) as [number, number];
  const seeds = corpus();
  const all = Object.values(seeds).flat();
  const rng = seeded(options.seed);
  const round: ListenerRound = {
    mllpFrames: 0,
    httpRequests: 0,
    streams: 0,
    positive: 0,
    failures: [],
    rssStartMb: mb(process.memoryUsage().rss),
    rssPeakMb: 0,
    rssEndMb: 0,
    seconds: 0,
  };
  const positives: Buffer[] = [];
  const fail = (what: string) => round.failures.length < 20 && round.failures.push(what);
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const client = new MllpClient({ host: '127.0.0.1', port: mllpPort, timeout: 15_000 });
  const pick = (list: Buffer[]) => (list.length ? list : all)[Math.floor(rng() * (list.length || all.length))]!;
  try {
    for (let i = 0; i < options.count && Date.now() < deadline; i++) {
      const kind = i % 10;
      if (kind < 6) {
        // one complete MLLP frame of mutated HL7 (framing bytes removed so that it stays one frame)
        const raw = Buffer.from(mutate(pick(seeds.hl7v2!), pick(all), rng, 64 * 1024).filter((b) => b !== 0x0b && b !== 0x1c));
        if (raw.length === 0) continue;
        // MSH-15 NE, ER or SU may rightly get no accept acknowledgment: such frames are not sent
        const { message } = parseHl7(raw);
        const accept = message ? ackModeOf(message).accept : undefined;
        if (accept !== undefined && accept !== 'AL') continue;
        round.mllpFrames++;
        try {
          const ack = await client.send(raw);
          if (/MSA\|(AA|CA)\|/.test(ack.toString('latin1'))) positives.push(raw);
        } catch (err) {
          fail(
            `mllp frame not answered (${(err as { code?: string }).code ?? (err as Error).name}); input base64 ${raw.subarray(0, 1024).toString('base64')}`,
          );
        }
      } else if (kind < 9) {
        const format = pick(
          [Buffer.from('x12'), Buffer.from('json'), Buffer.from('fhir'), Buffer.from('hl7v2')].filter(
            (f) => (seeds[f.toString()] ?? []).length > 0,
          ),
        ).toString();
        const body = mutate(pick(seeds[format]!), pick(all), rng, 64 * 1024);
        round.httpRequests++;
        const status = await post(httpPort, body).catch((err: Error) => `error ${err.message}`);
        if (status === 202 || status === 200) positives.push(body);
        else if (typeof status !== 'number' || status >= 500) fail(`http request answered ${status}`);
      } else {
        round.streams++;
        await hostileStream(mllpPort, rng, all);
      }
      if (i % 200 === 0) round.rssPeakMb = Math.max(round.rssPeakMb, mb(process.memoryUsage().rss));
    }
    // the listeners are still up and answer a well-formed message
    const probe = Buffer.from(
      'MSH|^~\\&|FUZZ|F|R|R|20260101000000||ADT^A01^ADT_A01|FUZZ-PROBE|P|2.5.1\rEVN|A01|20260101\rPID|1||1^^^H^MR||X^Y\r',
      'latin1',
    );
    const ack = await client.send(probe).catch(() => Buffer.alloc(0));
    if (!/MSA\|AA\|FUZZ-PROBE/.test(ack.toString('latin1'))) fail('the MLLP listener did not answer a well-formed message after the round');
    if ((await post(httpPort, Buffer.from('{"probe":true}')).catch(() => 0)) !== 202)
      fail('the HTTP listener did not answer a well-formed request after the round');
  } finally {
    await client.close().catch(() => undefined);
    for (const s of sources) await s.stop();
  }
  // nothing positively acknowledged is lost: close, reopen, compare byte for byte
  await store.close();
  store = new SqliteStore({ path, sync: 'normal' });
  // every unit whose ingest resolved (what a listener may acknowledge) is there, byte for byte
  for (const [digest, id] of stored) {
    const m = await store.getMessage(id);
    if (!m || hash(m.raw) !== digest) fail(`a stored message is missing or changed after reopening (${id})`);
  }
  // and every input answered positively was stored whole (a batch, or a frame of several MSH, is stored message by message)
  for (const raw of positives) {
    if (stored.has(hash(raw))) continue;
    const text = raw.toString('latin1');
    if (/(^|[\r\n])(FHS|BHS)\|/.test(text) || (text.match(/(^|[\r\n])MSH/g) ?? []).length > 1) continue;
    fail(`an input answered positively is not in the store: base64 ${raw.subarray(0, 512).toString('base64')}`);
  }
  round.positive = positives.length;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  round.rssEndMb = mb(process.memoryUsage().rss);
  round.rssPeakMb = Math.max(round.rssPeakMb, round.rssEndMb);
  round.seconds = (Date.now() - started) / 1000;
  return round;
}

function post(port: number, body: Buffer): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: new Uint8Array(body), signal: AbortSignal.timeout(15_000) }).then(
    async (r) => {
      await r.arrayBuffer();
      return r.status;
    },
  );
}

/** A raw stream of mutated bytes with framing bytes in odd places, then the connection is dropped. */
async function hostileStream(port: number, rng: Rng, all: Buffer[]): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve).once('error', resolve));
  const chunks = 1 + Math.floor(rng() * 5);
  for (let c = 0; c < chunks; c++) {
    const base = mutate(all[Math.floor(rng() * all.length)]!, all[Math.floor(rng() * all.length)]!, rng, 32 * 1024);
    const framed =
      rng() < 0.5 ? Buffer.concat([Buffer.from([0x0b]), base, rng() < 0.7 ? Buffer.from([0x1c, 0x0d]) : Buffer.alloc(0)]) : base;
    socket.write(framed);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  socket.destroy();
}
