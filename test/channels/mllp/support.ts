import net from 'node:net';
import { mllp, type MllpSourceConfig } from '../../../channels/mllp/index.js';
import { encodeFrame, FrameDecoder } from '../../../channels/mllp/framing.js';
import type { IngestInput, IngestResult, Source, SourceContext } from '../../../channels/types.js';
import { StoreError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';

export type RecordedAnswer = { messageId: string; kind: string; code: string; detail?: string; raw?: Buffer };

/**
 * A SourceContext that records what the source stored and answered. `hook` runs inside `ingest`
 * before it resolves: make it wait on a gate to delay the store, or throw to make it fail.
 */
export class RecordingContext implements SourceContext {
  channel = 'test-mllp';
  log = silentLogger;
  inputs: IngestInput[] = [];
  answers: RecordedAnswer[] = [];
  hook: ((input: IngestInput) => Promise<void> | void) | undefined;
  private seen = new Map<string, string>();
  private ingested: (() => void)[] = [];

  async ingest(input: IngestInput): Promise<IngestResult> {
    this.inputs.push(input);
    for (const wake of this.ingested.splice(0)) wake();
    if (this.hook) await this.hook(input);
    const messageId = `m${this.inputs.indexOf(input) + 1}`;
    const key = input.rejected ? undefined : `${input.sender}|${input.controlId}`;
    const original = key ? this.seen.get(key) : undefined;
    if (key && !original) this.seen.set(key, messageId);
    return { messageId, duplicate: original !== undefined, originalMessageId: original };
  }

  recordAnswer(messageId: string, answer: { kind: string; code: string; detail?: string; raw?: Buffer }): void {
    this.answers.push({ messageId, ...answer });
  }

  /** Resolves once `ingest` has been called `count` times in all. */
  async ingestCalls(count: number): Promise<void> {
    while (this.inputs.length < count) await new Promise<void>((resolve) => this.ingested.push(resolve));
  }
}

/** A promise with its resolve exposed: `await gate.promise` in a hook, `gate.open()` in the test. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export const storeFailure = () => {
  throw new StoreError('store-write-failed', 'test: the store refused the write');
};

/** Starts an MLLP source on 127.0.0.1 port 0. */
export async function startSource(
  ctx: SourceContext,
  overrides: Record<string, unknown> = {},
): Promise<{ source: Source; port: number; config: MllpSourceConfig }> {
  const config = mllp.schema.parse({ type: 'mllp', host: '127.0.0.1', port: 0, ...overrides });
  const source = mllp.create(config, ctx);
  await source.start();
  return { source, port: source.address!()!.port, config };
}

/** A raw TCP peer that writes whatever bytes it is given and collects the frames it receives. */
export class RawPeer {
  readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private readonly decoder = new FrameDecoder({ maxMessageBytes: 1024 * 1024 });
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const e of this.decoder.push(chunk)) if (e.kind === 'frame') this.frames.push(e.payload);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  send(message: string | Buffer): void {
    this.write(encodeFrame(Buffer.isBuffer(message) ? message : Buffer.from(message, 'latin1')));
  }

  /** Resolves with the first `count` frames received; rejects if the connection closes first. */
  async receive(count: number): Promise<Buffer[]> {
    while (this.frames.length < count) {
      if (this.socket.destroyed) throw new Error(`connection closed after ${this.frames.length} of ${count} frames`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.frames.slice(0, count);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** An HL7 v2.5.1 message with the given control id; `msh15` sets enhanced mode. */
export function hl7(controlId: string, options: { msh15?: string; version?: string; type?: string; extra?: string } = {}): string {
  const msh = [
    'MSH',
    '^~\\&',
    'SENDAPP',
    'SENDFAC',
    'RECVAPP',
    'RECVFAC',
    '20260101120000',
    '',
    options.type ?? 'ADT^A01^ADT_A01',
    controlId,
    'P',
    options.version ?? '2.5.1',
  ];
  if (options.msh15 !== undefined) msh.push('', '', options.msh15, 'NE');
  return `${msh.join('|')}\rEVN|A01|20260101120000\rPID|1||12345^^^HOSP^MR||DOE^JANE\r${options.extra ?? ''}`;
}

/** The fields of one segment of an ACK (0 is the segment id). */
export function segment(ack: Buffer, id: string): string[] | undefined {
  const line = ack
    .toString('latin1')
    .split('\r')
    .find((s) => s.startsWith(`${id}|`));
  return line?.split('|');
}

/** MSA-1 and MSA-2 of an ACK. */
export function msa(ack: Buffer): { code: string; controlId: string } {
  const f = segment(ack, 'MSA') ?? [];
  return { code: f[1] ?? '', controlId: f[2] ?? '' };
}

/** Waits one turn of the event loop and a little I/O time, to let anything that would happen happen. */
export const settle = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));
