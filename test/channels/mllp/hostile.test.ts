import { expect } from 'chai';
import type { Source } from '../../../channels/types.js';
import { hl7, msa, RawPeer, RecordingContext, segment, settle, startSource } from './support.js';
import { seeded as prng } from '../../../lib/prng.js';

describe('mllp source: hostile input', () => {
  let ctx: RecordingContext;
  let source: Source;
  let port: number;
  const peers: RawPeer[] = [];
  const connect = async () => {
    const p = await RawPeer.connect(port);
    peers.push(p);
    return p;
  };

  beforeEach(async () => {
    ctx = new RecordingContext();
    ({ source, port } = await startSource(ctx, { maxMessageBytes: '64KiB', maxConnections: 250, maxConnectionsPerAddress: 250 }));
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) p.destroy();
    await source.stop();
  });

  it('discards binary garbage outside frames and still answers the next frame', async () => {
    const rnd = prng(7);
    const garbage = Buffer.from(Array.from({ length: 20_000 }, () => Math.floor(rnd() * 256)).filter((b) => b !== 0x0b));
    const peer = await connect();
    peer.write(garbage);
    peer.send(hl7('AFTER-GARBAGE'));
    const [ack] = await peer.receive(1);
    expect(msa(ack!)).to.deep.equal({ code: 'AA', controlId: 'AFTER-GARBAGE' });
    expect(ctx.inputs).to.have.length(1);
  });

  it('answers AR to a frame of binary garbage and stores its raw bytes as rejected', async () => {
    const rnd = prng(11);
    const body = Buffer.from(Array.from({ length: 5000 }, () => Math.floor(rnd() * 256)).filter((b) => b !== 0x0b && b !== 0x1c));
    const peer = await connect();
    peer.send(body);
    const [ack] = await peer.receive(1);
    expect(msa(ack!).code).to.equal('AR');
    expect(ctx.inputs[0]!.raw.equals(body)).to.equal(true);
    expect(ctx.inputs[0]!.rejected).to.not.equal(undefined);
  });

  it('refuses a 10 MB frame with AR naming size and limit, stores nothing, and keeps the connection usable', async () => {
    const peer = await connect();
    const big = Buffer.alloc(10 * 1024 * 1024, 'A');
    Buffer.from(hl7('BIG-1'), 'latin1').copy(big);
    peer.send(big);
    peer.send(hl7('SMALL-1'));
    const [nak, ack] = await peer.receive(2);
    expect(msa(nak!)).to.deep.equal({ code: 'AR', controlId: 'BIG-1' });
    const text = segment(nak!, 'MSA')![3]!;
    expect(text)
      .to.include(String(big.length))
      .and.include(String(64 * 1024));
    expect(segment(nak!, 'ERR')!.join('|')).to.include('mllp-frame-too-large');
    expect(msa(ack!)).to.deep.equal({ code: 'AA', controlId: 'SMALL-1' });
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['SMALL-1']);
  });

  it('ignores a peer that closes mid-frame and serves the next connection', async () => {
    const peer = await connect();
    peer.write(Buffer.from(`\x0b${hl7('HALF')}`.slice(0, 40), 'latin1'));
    await settle(20);
    peer.destroy();
    await peer.closed;
    const other = await connect();
    other.send(hl7('WHOLE'));
    expect(msa((await other.receive(1))[0]!).controlId).to.equal('WHOLE');
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['WHOLE']);
  });

  it('resynchronises on a start byte inside a frame and answers only the whole message', async () => {
    const peer = await connect();
    peer.write(Buffer.from(`\x0bMSH|^~\\&|partial`, 'latin1'));
    peer.send(hl7('RESYNC'));
    const [ack] = await peer.receive(1);
    expect(msa(ack!).controlId).to.equal('RESYNC');
    await settle(20);
    expect(peer.frames).to.have.length(1);
  });

  it('answers a frame ended by 0x1C alone', async () => {
    const peer = await connect();
    peer.write(Buffer.from(`\x0b${hl7('NO-CR')}\x1c`, 'latin1'));
    expect(msa((await peer.receive(1))[0]!).controlId).to.equal('NO-CR');
  });

  it('serves 200 connections at once, each getting the ACK of its own message', async () => {
    const all = await Promise.all(Array.from({ length: 200 }, () => connect()));
    all.forEach((p, i) => p.send(hl7(`MANY-${i}`)));
    const acks = await Promise.all(all.map((p) => p.receive(1)));
    acks.forEach(([ack], i) => expect(msa(ack!)).to.deep.equal({ code: 'AA', controlId: `MANY-${i}` }));
    expect(ctx.inputs).to.have.length(200);
  });

  it('one connection erroring does not affect another', async () => {
    const good = await connect();
    const bad = await connect();
    bad.write(Buffer.from(`\x0b${hl7('RESET')}`, 'latin1'));
    bad.socket.resetAndDestroy();
    await bad.closed;
    good.send(hl7('STILL-OK'));
    expect(msa((await good.receive(1))[0]!).controlId).to.equal('STILL-OK');
  });
});

describe('mllp source: limits', () => {
  it('closes connections beyond maxConnections and keeps serving the first', async () => {
    const ctx = new RecordingContext();
    const { source, port } = await startSource(ctx, { maxConnections: 1 });
    const first = await RawPeer.connect(port);
    const second = await RawPeer.connect(port);
    await second.closed;
    first.send(hl7('FIRST'));
    expect(msa((await first.receive(1))[0]!).controlId).to.equal('FIRST');
    first.destroy();
    await source.stop();
  });

  it('closes an idle connection after idleTimeout', async () => {
    const ctx = new RecordingContext();
    const { source, port } = await startSource(ctx, { idleTimeout: '200ms' });
    const peer = await RawPeer.connect(port);
    peer.send(hl7('IDLE'));
    await peer.receive(1);
    await peer.closed;
    expect(ctx.inputs).to.have.length(1);
    await source.stop();
  });

  it('refuses to start on a port already in use, with a clear error', async () => {
    const ctx = new RecordingContext();
    const { source, port } = await startSource(ctx);
    const err = await startSource(ctx, { port }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    await source.stop();
    expect(err?.code).to.equal('mllp-listen-failed');
    expect(err?.message).to.include(String(port)).and.include('EADDRINUSE');
  });
});
