import net from 'node:net';
import { http as httpSource } from '../channels/http/index.js';
import { mllp } from '../channels/mllp/index.js';
import { MllpClient } from '../channels/mllp/client.js';
import { ackModeOf, parseHl7 } from '../parsers/hl7v2/index.js';
import type { Source } from '../channels/types.js';
import { startAs2 } from './as2.js';
import { corpus } from './corpus.js';
import { startFiles } from './files.js';
import { mutate, seeded, type Rng } from './mutate.js';
import { FuzzStore, sha256 } from './store.js';

export type ListenerRound = {
  mllpFrames: number;
  httpRequests: number;
  as2Requests: number;
  /** AS2 answers: positive MDN, negative MDN, refused over HTTP. */
  as2Answers: { positive: number; negative: number; refused: number };
  csvFiles: number;
  /** CSV files archived, refused to the error directory, and hostile entries (links, FIFOs, empty files) among them. */
  csvOutcomes: { archived: number; refused: number; hostile: number };
  streams: number;
  positive: number;
  failures: string[];
  rssStartMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  seconds: number;
};

const mb = (n: number) => Math.round(n / 1e5) / 10;

/**
 * Drives the real MLLP, HTTP and AS2 listeners and the drop-folder source, backed by one real SQLite
 * store, with mutated HL7, X12, JSON, FHIR, AS2/MIME and CSV input. Checks: every complete frame,
 * request and file is answered; the listeners survive hostile byte streams (they answer a well-formed
 * message afterwards); every input answered positively is in the store, byte for byte, after the store
 * is closed and opened again; RSS is sampled throughout.
 */
export async function fuzzListeners(options: {
  count: number;
  seconds: number;
  seed: number;
  /** Most the process's RSS may grow during the round, in MB, before it counts as unbounded (default 512). */
  maxRssGrowthMb?: number;
}): Promise<ListenerRound> {
  const store = new FuzzStore();
  const ctx = store.context('fuzz');
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
  const as2 = await startAs2(store, [...(seeds.x12 ?? []), ...(seeds.hl7v2 ?? []), ...(seeds.csv ?? [])]);
  const files = await startFiles(store);
  const rng = seeded(options.seed);
  const round: ListenerRound = {
    mllpFrames: 0,
    httpRequests: 0,
    as2Requests: 0,
    as2Answers: as2.answers,
    csvFiles: 0,
    csvOutcomes: files.outcomes,
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
      const kind = i % 20;
      if (kind < 10) {
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
      } else if (kind < 14) {
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
      } else if (kind < 17) {
        round.as2Requests++;
        await as2.one(rng, all, fail, () => round.positive++);
      } else if (kind < 18) {
        round.csvFiles++;
        await files.one(rng, seeds.csv!, all, fail, () => round.positive++);
      } else {
        round.streams++;
        await hostileStream(mllpPort, rng, all);
      }
      if (i % 50 === 0) round.rssPeakMb = Math.max(round.rssPeakMb, mb(process.memoryUsage().rss));
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
    for (const problem of [await as2.probe(), await files.probe(seeds.csv![0]!)]) if (problem) fail(problem);
  } finally {
    await client.close().catch(() => undefined);
    for (const s of sources) await s.stop();
    await as2.stop();
    await files.stop();
  }
  // nothing positively acknowledged is lost: every unit whose ingest resolved is there after reopening, byte for byte
  await store.verify(fail);
  // and every MLLP frame and HTTP body answered positively was stored whole (a batch, or a frame of several MSH, is stored message by message)
  for (const raw of positives) {
    if (store.stored.has(sha256(raw))) continue;
    const text = raw.toString('latin1');
    if (/(^|[\r\n])(FHS|BHS)\|/.test(text) || (text.match(/(^|[\r\n])MSH/g) ?? []).length > 1) continue;
    fail(`an input answered positively is not in the store: base64 ${raw.subarray(0, 512).toString('base64')}`);
  }
  round.positive += positives.length;
  await store.dispose();
  round.rssEndMb = mb(process.memoryUsage().rss);
  round.rssPeakMb = Math.max(round.rssPeakMb, round.rssEndMb);
  const growth = round.rssPeakMb - round.rssStartMb;
  if (growth > (options.maxRssGrowthMb ?? 512))
    fail(`memory is not bounded: RSS grew by ${growth.toFixed(0)} MB during the round (limit ${options.maxRssGrowthMb ?? 512} MB)`);
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
