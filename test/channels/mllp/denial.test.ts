import { expect } from 'chai';
import net from 'node:net';
import type { MllpSource } from '../../../channels/mllp/source.js';
import { encodeFrame } from '../../../channels/mllp/framing.js';
import { LISTENER_DEFAULTS } from '../../../lib/listener-guard.js';
import { sleep, until } from '../../support/until.js';
import { hl7, msa, RawPeer, RecordingContext, startSource } from './support.js';

function connectFrom(localAddress: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

const closed = (s: net.Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

/** Probes from the hardening review: one peer trying to take the listener's memory or its connection slots. */
describe('mllp source: denial of service by one peer', () => {
  const sockets: net.Socket[] = [];
  let source: MllpSource | undefined;
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await source?.stop();
    source = undefined;
  });
  async function start(ctx: RecordingContext, overrides: Record<string, unknown> = {}) {
    const started = await startSource(ctx, overrides);
    source = started.source as MllpSource;
    return started.port;
  }

  it('stops reading a client that writes frames and never reads its ACKs; memory held stays bounded; all answered once it reads', async () => {
    const ctx = new RecordingContext();
    const port = await start(ctx);
    const client = await connectFrom('127.0.0.1', port);
    sockets.push(client);
    client.pause(); // never reads
    const frame = encodeFrame(Buffer.from(hl7('FLOOD', { extra: `NTE|1||${'x'.repeat(200)}\r` }), 'latin1'));
    let sent = 0;
    const batch = Buffer.concat(Array.from({ length: 200 }, () => frame));
    await until('the listener to pause reading the connection', () => {
      if (source!.connectionStats()[0]?.paused) return true;
      if (client.writableLength < 1024 * 1024) {
        client.write(batch);
        sent += 200;
      }
      return false;
    });
    const storedAtPause = ctx.inputs.length;
    await sleep(500);
    const stats = source!.connectionStats()[0]!;
    expect(stats.paused, 'reading resumed although the client still reads nothing').to.equal(true);
    expect(ctx.inputs.length - storedAtPause, 'frames kept being taken while paused').to.be.at.most(
      LISTENER_DEFAULTS.maxPendingAnswers + 400,
    );
    expect(stats.unsentBytes, 'ACK bytes held for the client').to.be.below(LISTENER_DEFAULTS.maxUnsentBytes + 512 * 1024);
    expect(stats.pendingAnswers).to.be.at.most(LISTENER_DEFAULTS.maxPendingAnswers + 400);
    const recordedSent = ctx.answers.filter((a) => a.code === 'AA').length;
    expect(recordedSent, 'answers recorded as sent that never left the engine').to.be.at.most(ctx.inputs.length - stats.pendingAnswers + 1);

    // the client starts reading: every frame it wrote is answered, in order
    let acks = 0;
    let buffered = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      let end: number;
      while ((end = buffered.indexOf(0x1c)) >= 0) {
        acks += 1;
        buffered = buffered.subarray(end + 2);
      }
    });
    client.resume();
    await until(`${sent} ACKs (got ${acks})`, () => acks === sent, 120_000);
    expect(ctx.inputs).to.have.length(sent);
    await until('every answer recorded as sent', () => ctx.answers.length === sent);
  });

  it('stops reading a connection whose frames waiting to be stored pass 4 MiB, so a slow store cannot be flooded', async () => {
    const ctx = new RecordingContext();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    ctx.hook = () => held;
    const port = await start(ctx, { maxMessageBytes: '2MiB' });
    const peer = await RawPeer.connect(port);
    const big = (i: number) => Buffer.from(hl7(`BIG-${i}`, { extra: `NTE|1||${'x'.repeat(900 * 1024)}\r` }), 'latin1');
    for (let i = 0; i < 12; i++) peer.send(big(i));
    await until('the listener to pause on pending bytes', () => source!.connectionStats()[0]?.paused === true);
    await sleep(300);
    const stats = source!.connectionStats()[0]!;
    expect(stats.pendingBytes, 'bytes of frames held for the store').to.be.at.most(LISTENER_DEFAULTS.maxPendingBytes + 2 * 1024 * 1024);
    expect(ctx.inputs.length, 'frames taken while the store holds them').to.be.below(12);
    release();
    const acks = await peer.receive(12);
    expect(acks.map((a) => msa(a).controlId)).to.deep.equal(Array.from({ length: 12 }, (_, i) => `BIG-${i}`));
    peer.destroy();
  });

  it('closes a connection that sends a lone start byte (0x0B) once frameTimeout passes', async () => {
    const ctx = new RecordingContext();
    const port = await start(ctx, { frameTimeout: '300ms', idleTimeout: '1h' });
    const peer = await RawPeer.connect(port);
    peer.write(Buffer.from([0x0b]));
    const started = Date.now();
    await Promise.race([peer.closed, sleep(30_000).then(() => Promise.reject(new Error('a lone 0x0B held the connection for 30 s')))]);
    expect(Date.now() - started).to.be.at.least(250);
    expect(ctx.inputs).to.have.length(0);
  });

  it('closes a connection idle inside a frame, and one idle with unread ACKs, after idleTimeout', async () => {
    const ctx = new RecordingContext();
    const port = await start(ctx, { frameTimeout: 0, idleTimeout: '300ms' });
    const partial = await RawPeer.connect(port);
    partial.write(Buffer.from(`\x0b${hl7('PARTIAL').slice(0, 40)}`, 'latin1'));
    await Promise.race([partial.closed, sleep(30_000).then(() => Promise.reject(new Error('partial frame held the connection')))]);
    expect(ctx.inputs).to.have.length(0);

    const reader = await connectFrom('127.0.0.1', port);
    sockets.push(reader);
    reader.on('error', () => undefined);
    reader.pause(); // never reads
    const batch = Buffer.concat(
      Array.from({ length: 200 }, (_, i) =>
        encodeFrame(Buffer.from(hl7(`UNREAD-${i}`, { extra: `NTE|1||${'x'.repeat(200)}\r` }), 'latin1')),
      ),
    );
    await until('the listener to pause reading the non-reading connection', () => {
      if (source!.connectionStats().some((c) => c.paused)) return true;
      if (reader.writableLength < 1024 * 1024) reader.write(batch);
      return false;
    });
    // the client reads nothing, so it would not notice the close either: look at the listener's side
    await until('the listener to close the connection whose ACKs stay unread', () => source!.connectionStats().length === 0, 30_000);
    await until('the unsent ACKs to be recorded as not sent', () => ctx.answers.some((a) => a.detail?.startsWith('not sent')));
  });

  it('limits connections per peer address: one address cannot take every slot', async () => {
    const ctx = new RecordingContext();
    const port = await start(ctx, { maxConnections: 20, maxConnectionsPerAddress: 3, frameTimeout: '1h', idleTimeout: '1h' });
    // an attacker from 127.0.0.2 opens many connections, each holding a partial frame
    const hostile = await Promise.all(Array.from({ length: 8 }, () => connectFrom('127.0.0.2', port)));
    sockets.push(...hostile);
    for (const s of hostile) {
      s.on('error', () => undefined);
      s.write(Buffer.from([0x0b]));
    }
    const refused = await Promise.all(hostile.map((s) => Promise.race([closed(s).then(() => true), sleep(2000).then(() => false)])));
    expect(refused.filter(Boolean), 'connections from one address beyond maxConnectionsPerAddress').to.have.length(5);
    // a normal sender from another address is served at once
    const peer = await RawPeer.connect(port);
    peer.send(hl7('NORMAL-1'));
    const [ack] = await peer.receive(1);
    expect(msa(ack!)).to.deep.equal({ code: 'AA', controlId: 'NORMAL-1' });
    peer.destroy();
  });

  it('records an ACK as not sent when the peer is gone before it could be written', async () => {
    const ctx = new RecordingContext();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    ctx.hook = () => held;
    const port = await start(ctx);
    const peer = await RawPeer.connect(port);
    peer.send(hl7('GONE-1'));
    await ctx.ingestCalls(1);
    peer.destroy();
    await sleep(50);
    release();
    await until('the answer to be recorded', () => ctx.answers.length === 1);
    expect(ctx.answers[0]!.detail).to.match(/^not sent/);
  });
});
