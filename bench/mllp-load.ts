/**
 * Our own MLLP load generator.
 *
 * N messages over C connections; each connection sends one message, waits for its ACK, then sends
 * the next (no pipelining), so the rate measured is what a sender that waits for every ACK sees.
 * Every message is a realistic DFT^P03 (PID, PV1, three FT1 lines with implant traceability) with
 * its own MSH-10. An ACK counts when MSA-1 is AA or CA and MSA-2 is the MSH-10 just sent.
 *
 *   node bin/run-ts.js bench/mllp-load.ts PORT [MESSAGES] [CONNECTIONS]
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { figure, summarize } from './figures.js';
import { encodeFrame, FrameDecoder } from '../channels/mllp/framing.js';

export type LoadOptions = {
  host?: string;
  port: number;
  messages: number;
  connections: number;
  /** Prefix of every MSH-10, so runs (and warm-ups) never reuse a control id. Up to 8 characters. */
  runId: string;
  /** Called with each control id just before it is sent (for end-to-end timing). */
  onSend?: (controlId: string, at: number) => void;
  /** Give up on a connection whose ACK takes longer than this (default 30 s). */
  ackTimeoutMs?: number;
  /** Given messages (control id, HL7 v2 text) sent in this order instead of generated ones; `messages` and `runId` are then unused. */
  frames?: ReadonlyArray<readonly [string, Buffer]>;
};

export type LoadResult = {
  sent: number;
  /** ACKs with MSA-1 AA/CA and MSA-2 equal to the MSH-10 sent. */
  acked: number;
  /** ACKs that arrived but were negative or named another control id. */
  refused: number;
  /** Messages left unanswered (connection error or timeout). */
  failed: number;
  seconds: number;
  rate: number;
  /** Milliseconds from writing a frame to reading its ACK, positive ACKs only. */
  p50: number;
  p99: number;
  max: number;
  /** MSH-10 of every positively acknowledged message. */
  ackedIds: string[];
};

/**
 * One DFT^P03 with three FT1 lines (and their ZIM traceability segments), MSH-10 = `controlId`. It is
 * dated `at` (now), as an OR system sends today's cases, so reconciliation's deadlines (hours, days)
 * lie ahead; each implant's serial carries the control id, so no two messages bill one implant.
 */
export function dftP03(controlId: string, n: number, at = Date.now()): Buffer {
  const now = `${new Date(at).toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;
  const day = now.slice(0, 8);
  const account = `ACCT${String(100000 + (n % 900000))}`;
  const items = [
    ['100234', 'STEM FEMORAL CEMENTLESS SZ 12', 'IMPLANT', '1', '2450.00'],
    ['100567', 'SHELL ACETABULAR 54MM', 'IMPLANT', '1', '1380.00'],
    ['200145', 'SCREW CANCELLOUS 6.5 X 30MM', 'SUPPLY', '2', '95.00'],
  ];
  const segments = [
    `MSH|^~\\&|ORSYS|MAINHOSP|ERP|MAINHOSP|${now}||DFT^P03^DFT_P03|${controlId}|P|2.5.1|||AL|NE||8859/1`,
    `EVN|P03|${now}`,
    `PID|1||MRN${String(n).padStart(7, '0')}^^^MAINHOSP^MR||FICTIONAL^PATIENT^Q||19600101|F|||1 Nowhere Lane^^Testville^ZZ^00000|||||||${account}^^^MAINHOSP^AN`,
    `PV1|1|I|OR^OR03^1^MAIN|E|||90001^SURGEON^FAKE^^^DR||||SUR||||||||V${n}^^^MAINHOSP^VN|||||||||||||||||||||||||${day}070000+0000`,
  ];
  items.forEach(([item, text, kind, qty, price], i) => {
    const line = i + 1;
    segments.push(
      `FT1|${line}|TX${controlId}-${line}||${now}|${now}|CG|${item}^${text}^${kind}|||${qty}|${price}&USD|${price}&USD|OR^Operating Room|||OR^OR03^1^MAIN|||M16.11^Primary osteoarthritis, right hip^I10|90001^SURGEON^FAKE|||||27130^Total hip arthroplasty^CPT4`,
      `ZIM|${line}|LOT-${item}-${n % 97}|SN-${controlId}-${line}|20291031|(01)0088902412345${line}(17)291031(10)LOT-${item}|EA|FICTIONAL ORTHO INC`,
    );
  });
  return Buffer.from(segments.join('\r') + '\r', 'latin1');
}

/** MSA-1 and MSA-2 of an ACK, using the field separator its MSH declares; undefined when absent. */
export function readMsa(ack: Buffer): { code: string; controlId: string } | undefined {
  const text = ack.toString('latin1');
  const sep = text.startsWith('MSH') && text.length > 3 ? text[3]! : '|';
  const at = text.search(/(^|[\r\n])MSA/);
  if (at < 0) return undefined;
  const start = text[at] === 'M' ? at : at + 1;
  const end = text.slice(start).search(/[\r\n]/);
  const fields = text.slice(start, end < 0 ? undefined : start + end).split(sep);
  const component = (f: string | undefined) => (f ?? '').split('^')[0]!;
  return { code: component(fields[1]), controlId: component(fields[2]) };
}

type Tally = { acked: number; refused: number; failed: number; latencies: number[]; ackedIds: string[] };

/** One connection sending `ids` one after another; resolves when all are answered or it fails. */
function runConnection(o: LoadOptions, ids: Array<[string, number]>, tally: Tally): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: o.host ?? '127.0.0.1', port: o.port });
    socket.setNoDelay(true);
    const decoder = new FrameDecoder({ maxMessageBytes: 1 << 20 });
    let next = 0;
    let sentAt = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      tally.failed += ids.length - next;
      socket.destroy();
      resolve();
    };
    const sendNext = () => {
      if (next >= ids.length) {
        done = true;
        socket.end();
        resolve();
        return;
      }
      const [id, n] = ids[next]!;
      sentAt = performance.now();
      o.onSend?.(id, sentAt);
      socket.write(encodeFrame(o.frames ? o.frames[n]![1] : dftP03(id, n)));
    };
    socket.setTimeout(o.ackTimeoutMs ?? 30_000, finish);
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', sendNext);
    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind !== 'frame') continue;
        const ack = event.payload;
        if (done) return;
        const latency = performance.now() - sentAt;
        const msa = readMsa(ack);
        const id = ids[next]![0];
        next += 1;
        if (msa && (msa.code === 'AA' || msa.code === 'CA') && msa.controlId === id) {
          tally.acked += 1;
          tally.latencies.push(latency);
          tally.ackedIds.push(id);
        } else tally.refused += 1;
        sendNext();
      }
    });
  });
}

/** Runs the load and returns counts, rate and ACK latency percentiles. */
export async function runMllpLoad(o: LoadOptions): Promise<LoadResult> {
  const perConnection: Array<Array<[string, number]>> = Array.from({ length: o.connections }, () => []);
  const count = o.frames?.length ?? o.messages;
  for (let i = 0; i < count; i++)
    perConnection[i % o.connections]!.push([o.frames ? o.frames[i]![0] : `${o.runId}${i.toString(36).padStart(6, '0')}`, i]);
  const tally: Tally = { acked: 0, refused: 0, failed: 0, latencies: [], ackedIds: [] };
  const start = performance.now();
  await Promise.all(perConnection.map((ids) => runConnection(o, ids, tally)));
  const seconds = (performance.now() - start) / 1000;
  const { p50, p99, max } = summarize(tally.latencies);
  return {
    sent: count,
    acked: tally.acked,
    refused: tally.refused,
    failed: tally.failed,
    seconds,
    rate: tally.acked / seconds,
    p50,
    p99,
    max,
    ackedIds: tally.ackedIds,
  };
}

/** Prints a run's figures with a name suffix such as `c8`. */
export function printLoad(prefix: string, suffix: string, r: LoadResult): void {
  figure(`${prefix}_rate_${suffix}`, Math.round(r.rate), 'msg/s');
  figure(`${prefix}_p50_${suffix}`, r.p50, 'ms');
  figure(`${prefix}_p99_${suffix}`, r.p99, 'ms');
  figure(`${prefix}_max_${suffix}`, r.max, 'ms');
  if (r.refused + r.failed > 0) figure(`${prefix}_not_acked_${suffix}`, r.refused + r.failed, 'messages');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [port, messages = '5000', connections = '8'] = process.argv.slice(2);
  if (!port) {
    console.error('usage: node bin/run-ts.js bench/mllp-load.ts PORT [MESSAGES] [CONNECTIONS]');
    process.exit(2);
  }
  const runId = `L${(Date.now() % 36 ** 5).toString(36)}`;
  const r = await runMllpLoad({ port: Number(port), messages: Number(messages), connections: Number(connections), runId });
  printLoad('mllp_ack', `c${connections}`, r);
}
