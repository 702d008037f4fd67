import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Source } from '../../../channels/types.js';
import { hl7, RawPeer, RecordingContext, startSource } from './support.js';

const corpus = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/conformance/hl7/${name}`, import.meta.url)));

/** Segments of a frame, each split into fields. */
const segments = (frame: Buffer) =>
  frame
    .toString('latin1')
    .split('\r')
    .filter((s) => s !== '')
    .map((s) => s.split('|'));

describe('mllp source: batches and several messages in one frame (ADR 0007)', () => {
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

  it('stores each message of an FHS/BHS batch on its own and answers with a batch of ACKs, one per message', async () => {
    const peer = await connect();
    const batch = `FHS|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20260101120000||||F-1\rBHS|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20260101120000||||B-1\r${hl7('M-1')}${hl7('M-2')}BTS|2\rFTS|1\r`;
    peer.send(batch);
    const [frame] = await peer.receive(1);
    const segs = segments(frame!);
    expect(segs.map((s) => s[0])).to.deep.equal(['FHS', 'BHS', 'MSH', 'MSA', 'MSH', 'MSA', 'BTS', 'FTS']);
    expect(segs[1]!.slice(2, 6)).to.deep.equal(['RECVAPP', 'RECVFAC', 'SENDAPP', 'SENDFAC']);
    expect(segs[1]![11]).to.equal('B-1');
    expect(segs.filter((s) => s[0] === 'MSA').map((s) => [s[1], s[2]])).to.deep.equal([
      ['AA', 'M-1'],
      ['AA', 'M-2'],
    ]);
    expect(segs[6]).to.deep.equal(['BTS', '2']);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['M-1', 'M-2']);
    expect(ctx.inputs.every((i) => i.rejected === undefined)).to.equal(true);
    expect(ctx.answers.map((a) => [a.messageId, a.code])).to.deep.equal([
      ['m1', 'AA'],
      ['m2', 'AA'],
    ]);
  });

  it('answers each message of a batch in the mode it asks for: CA/CE with ERR in enhanced mode, nothing for NE', async () => {
    const peer = await connect();
    const bad = hl7('M-2', { msh15: 'AL' }).replace(
      'MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20260101120000||ADT^A01^ADT_A01|M-2',
      'MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20260101120000||ADT^A01^ADT_A01|',
    );
    peer.send(`BHS|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC\r${hl7('M-1', { msh15: 'AL' })}${bad}${hl7('M-3', { msh15: 'NE' })}BTS|3\r`);
    const [frame] = await peer.receive(1);
    const segs = segments(frame!);
    expect(segs.filter((s) => s[0] === 'MSA').map((s) => s[1])).to.deep.equal(['CA', 'CE']);
    const err = segs.find((s) => s[0] === 'ERR')!;
    expect(err.join('|')).to.match(/MSH-10|control id/i);
    expect(segs.at(-1)).to.deep.equal(['BTS', '2']);
    expect(ctx.inputs).to.have.length(3);
    expect(ctx.answers.map((a) => a.code)).to.deep.equal(['CA', 'CE', 'none']);
  });

  it('sends nothing for a batch whose messages all say NE/NE (python-hl7 sample file), and answers the next frame', async () => {
    const peer = await connect();
    peer.send(corpus('python-hl7-sample_file.hl7'));
    peer.send(hl7('AFTER'));
    const [frame] = await peer.receive(1);
    expect(
      segments(frame!)
        .find((s) => s[0] === 'MSA')!
        .slice(1, 3),
    ).to.deep.equal(['AA', 'AFTER']);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['12334456778890', 'AFTER']);
    expect(ctx.answers[0]).to.include({ code: 'none' });
  });

  it('refuses a batch with segments outside any message as a whole, stored as rejected, with an ERR naming the line', async () => {
    const peer = await connect();
    peer.send(corpus('python-hl7-sample_bad_batch.hl7'));
    const [frame] = await peer.receive(1);
    const segs = segments(frame!);
    expect(segs.find((s) => s[0] === 'MSA')![1]).to.equal('AR');
    expect(
      segs
        .filter((s) => s[0] === 'ERR')
        .map((s) => s.join('|'))
        .join('\n'),
    ).to.match(/segment 2 \(EVN\) is outside any message/);
    expect(ctx.inputs).to.have.length(1);
    expect(ctx.inputs[0]!.rejected?.diagnostics.map((d) => d.code)).to.include('batch-structure');
  });

  it('answers several bare messages in one frame with their ACKs one after the other', async () => {
    const peer = await connect();
    peer.send(`${hl7('B-1')}${hl7('B-2')}`);
    const [frame] = await peer.receive(1);
    const segs = segments(frame!);
    expect(segs.map((s) => s[0])).to.deep.equal(['MSH', 'MSA', 'MSH', 'MSA']);
    expect(segs.filter((s) => s[0] === 'MSA').map((s) => [s[1], s[2]])).to.deep.equal([
      ['AA', 'B-1'],
      ['AA', 'B-2'],
    ]);
  });
});
