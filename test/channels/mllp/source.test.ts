import { expect } from 'chai';
import type { Source } from '../../../channels/types.js';
import { gate, hl7, msa, RawPeer, RecordingContext, segment, settle, startSource, storeFailure } from './support.js';

describe('mllp source: conformance', () => {
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
    ({ source, port } = await startSource(ctx));
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) p.destroy();
    await source.stop();
  });

  it('stores the raw bytes with ids, then answers AA naming the control id, and records the answer', async () => {
    const peer = await connect();
    const message = hl7('CTL-1');
    peer.send(message);
    const [ack] = await peer.receive(1);
    expect(msa(ack!)).to.deep.equal({ code: 'AA', controlId: 'CTL-1' });
    expect(ctx.inputs).to.have.length(1);
    const input = ctx.inputs[0]!;
    expect(input.raw.toString('latin1')).to.equal(message);
    expect(input).to.include({ controlId: 'CTL-1', sender: 'SENDAPP^SENDFAC', messageType: 'ADT^A01' });
    expect(input.origin).to.match(/^127\.0\.0\.1:\d+$/);
    expect(input.rejected).to.equal(undefined);
    expect(ctx.answers).to.have.length(1);
    expect(ctx.answers[0]).to.include({ messageId: 'm1', kind: 'hl7-ack', code: 'AA' });
    expect(ctx.answers[0]!.raw!.equals(ack!)).to.equal(true);
    // The ACK swaps sender and receiver.
    expect(segment(ack!, 'MSH')!.slice(2, 6)).to.deep.equal(['RECVAPP', 'RECVFAC', 'SENDAPP', 'SENDFAC']);
  });

  it('sends nothing before ingest resolves, and AA after', async () => {
    const store = gate();
    ctx.hook = () => store.promise;
    const peer = await connect();
    peer.send(hl7('CTL-SLOW'));
    await ctx.ingestCalls(1);
    await settle(100);
    expect(peer.frames).to.have.length(0);
    store.open();
    const [ack] = await peer.receive(1);
    expect(msa(ack!).code).to.equal('AA');
  });

  it('answers AR saying the message was not stored when ingest fails, never AA', async () => {
    ctx.hook = storeFailure;
    const peer = await connect();
    peer.send(hl7('CTL-FAIL'));
    const [ack] = await peer.receive(1);
    expect(msa(ack!)).to.deep.equal({ code: 'AR', controlId: 'CTL-FAIL' });
    expect(segment(ack!, 'MSA')![3]).to.match(/not stored/);
    expect(ctx.answers).to.have.length(0);
  });

  it('answers CR, not CA, in enhanced mode when ingest fails', async () => {
    ctx.hook = storeFailure;
    const peer = await connect();
    peer.send(hl7('CTL-FAIL-E', { msh15: 'AL' }));
    expect(msa((await peer.receive(1))[0]!).code).to.equal('CR');
  });

  it('answers pipelined messages in the order they arrived, even when later ones are stored first', async () => {
    const gates = [gate(), gate(), gate(), gate()];
    ctx.hook = (input) => gates[Number(input.controlId!.slice(2))]!.promise;
    const peer = await connect();
    peer.write(Buffer.concat(['P-0', 'P-1', 'P-2', 'P-3'].map((id) => Buffer.from(`\x0b${hl7(id)}\x1c\x0d`, 'latin1'))));
    await ctx.ingestCalls(4);
    for (const i of [3, 2, 1]) gates[i]!.open();
    await settle(100);
    expect(peer.frames).to.have.length(0);
    gates[0]!.open();
    const acks = await peer.receive(4);
    expect(acks.map((a) => msa(a).controlId)).to.deep.equal(['P-0', 'P-1', 'P-2', 'P-3']);
    expect(acks.every((a) => msa(a).code === 'AA')).to.equal(true);
  });

  it('answers 150 pipelined messages held by a slow store, all in order (reading pauses and resumes)', async () => {
    const store = gate();
    ctx.hook = () => store.promise;
    const peer = await connect();
    const ids = Array.from({ length: 150 }, (_, i) => `Q-${i}`);
    for (const id of ids) peer.send(hl7(id));
    await ctx.ingestCalls(1);
    store.open();
    const acks = await peer.receive(150);
    expect(acks.map((a) => msa(a).controlId)).to.deep.equal(ids);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(ids);
  });

  it('gives every ACK its own control id', async () => {
    const peer = await connect();
    for (let i = 0; i < 5; i++) peer.send(hl7(`U-${i}`));
    const acks = await peer.receive(5);
    const ids = acks.map((a) => segment(a, 'MSH')![9]);
    expect(new Set(ids).size).to.equal(5);
    expect(ids.every((id) => id !== undefined && id.length > 0 && id.length <= 20)).to.equal(true);
  });

  it('answers a duplicate positively again', async () => {
    const peer = await connect();
    peer.send(hl7('DUP-1'));
    peer.send(hl7('DUP-1'));
    const acks = await peer.receive(2);
    expect(acks.map((a) => msa(a).code)).to.deep.equal(['AA', 'AA']);
    expect(ctx.inputs).to.have.length(2);
  });

  it('enhanced mode: CA for MSH-15 AL, nothing for NE, ER on success or SU on error', async () => {
    const peer = await connect();
    peer.send(hl7('E-NE', { msh15: 'NE' }));
    peer.send(hl7('E-ER', { msh15: 'ER' }));
    peer.send(hl7('E-SU-BAD', { msh15: 'SU', version: '9.9' }));
    peer.send(hl7('E-AL', { msh15: 'AL' }));
    peer.send(hl7('E-SU', { msh15: 'SU' }));
    peer.send(hl7('E-ER-BAD', { msh15: 'ER', version: '9.9' }));
    const acks = await peer.receive(3);
    expect(acks.map((a) => msa(a))).to.deep.equal([
      { code: 'CA', controlId: 'E-AL' },
      { code: 'CA', controlId: 'E-SU' },
      { code: 'CR', controlId: 'E-ER-BAD' },
    ]);
    expect(ctx.inputs).to.have.length(6);
    const none = ctx.answers.filter((a) => a.code === 'none').map((a) => a.messageId);
    expect(none).to.deep.equal(['m1', 'm2', 'm3']);
  });

  it('stores a frame without MSH as rejected and answers AR with an ERR', async () => {
    const peer = await connect();
    const raw = Buffer.from('this is not hl7 at all', 'latin1');
    peer.send(raw);
    const [ack] = await peer.receive(1);
    expect(msa(ack!).code).to.equal('AR');
    expect(segment(ack!, 'ERR')).to.not.equal(undefined);
    expect(ctx.inputs[0]!.raw.equals(raw)).to.equal(true);
    expect(ctx.inputs[0]!.rejected!.diagnostics.map((d) => d.code)).to.include('missing-msh');
    expect(ctx.answers[0]).to.include({ code: 'AR' });
  });

  it('answers AR naming MSH-12 for an unsupported version', async () => {
    const peer = await connect();
    peer.send(hl7('V-99', { version: '9.9' }));
    const [ack] = await peer.receive(1);
    expect(msa(ack!)).to.deep.equal({ code: 'AR', controlId: 'V-99' });
    const err = segment(ack!, 'ERR')!;
    expect(err[2]).to.match(/^MSH\^1\^12/);
    expect(ctx.inputs[0]!.rejected).to.not.equal(undefined);
  });

  it('answers AE naming the field for a content error (MSH-10 missing), and stores it as rejected', async () => {
    const peer = await connect();
    peer.send(hl7(''));
    const [ack] = await peer.receive(1);
    expect(msa(ack!).code).to.equal('AE');
    expect(segment(ack!, 'ERR')![2]).to.match(/^MSH\^1\^10/);
    expect(ctx.inputs[0]!.rejected!.diagnostics.some((d) => d.code === 'required-field-missing')).to.equal(true);
  });

  it('keeps the message when the peer closes before the ACK, and keeps serving', async () => {
    const store = gate();
    ctx.hook = () => store.promise;
    const peer = await connect();
    peer.send(hl7('GONE-1'));
    await ctx.ingestCalls(1);
    peer.destroy();
    await peer.closed;
    await settle(100); // let the listener see the close
    store.open();
    ctx.hook = undefined;
    const other = await connect();
    other.send(hl7('NEXT-1'));
    expect(msa((await other.receive(1))[0]!)).to.deep.equal({ code: 'AA', controlId: 'NEXT-1' });
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['GONE-1', 'NEXT-1']);
    const gone = ctx.answers.find((a) => a.messageId === 'm1')!;
    expect(gone.detail).to.match(/not sent/);
  });

  it('stop() waits for frames in flight to be stored and answered, then closes connections', async () => {
    const store = gate();
    ctx.hook = () => store.promise;
    const peer = await connect();
    peer.send(hl7('STOP-1'));
    await ctx.ingestCalls(1);
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    peer.send(hl7('STOP-LATE')); // sent after stop began: not read, not stored, not answered
    await settle(50);
    expect(stopped).to.equal(false);
    expect(
      await RawPeer.connect(port).then(
        () => 'connected',
        () => 'refused',
      ),
    ).to.equal('refused');
    store.open();
    const [ack] = await peer.receive(1);
    expect(msa(ack!)).to.deep.equal({ code: 'AA', controlId: 'STOP-1' });
    await stopping;
    await peer.closed;
    expect(stopped).to.equal(true);
    expect(peer.frames).to.have.length(1);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['STOP-1']);
  });
});
