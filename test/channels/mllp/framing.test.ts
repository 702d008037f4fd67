import { expect } from 'chai';
import { encodeFrame, FrameDecoder, OVERSIZED_HEAD_BYTES, type FrameEvent } from '../../../channels/mllp/framing.js';
import { seeded as prng } from '../../../lib/prng.js';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

function decode(chunks: Buffer[], max = 1024): FrameEvent[] {
  const d = new FrameDecoder({ maxMessageBytes: max });
  const out: FrameEvent[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.finish());
  return out;
}

const payloads = (events: FrameEvent[]) =>
  events.filter((e): e is Extract<FrameEvent, { kind: 'frame' }> => e.kind === 'frame').map((e) => e.payload.toString('latin1'));

describe('mllp framing', () => {
  it('encodeFrame wraps the payload in 0x0B … 0x1C 0x0D', () => {
    const f = encodeFrame(Buffer.from('MSH|x'));
    expect([...f]).to.deep.equal([VT, ...Buffer.from('MSH|x'), FS, CR]);
  });

  it('decodes one frame in one read with no other event', () => {
    expect(decode([encodeFrame(Buffer.from('MSH|a'))])).to.deep.equal([{ kind: 'frame', payload: Buffer.from('MSH|a') }]);
  });

  it('decodes several frames in one read, in order', () => {
    const stream = Buffer.concat(['A1', 'B22', 'C333'].map((s) => encodeFrame(Buffer.from(s))));
    const events = decode([stream]);
    expect(events.map((e) => e.kind)).to.deep.equal(['frame', 'frame', 'frame']);
    expect(payloads(events)).to.deep.equal(['A1', 'B22', 'C333']);
  });

  it('decodes a frame delivered byte by byte, the 0x1C/0x0D pair split included', () => {
    const frame = encodeFrame(Buffer.from('MSH|^~\\&|SENDER'));
    const events = decode([...frame].map((b) => Buffer.from([b])));
    expect(events).to.have.length(1);
    expect(payloads(events)).to.deep.equal(['MSH|^~\\&|SENDER']);
  });

  it('emits the frame on 0x1C without waiting for the 0x0D of the next read', () => {
    const d = new FrameDecoder({ maxMessageBytes: 100 });
    const first = d.push(Buffer.from([VT, 0x41, FS]));
    expect(payloads(first)).to.deep.equal(['A']);
    expect(d.push(Buffer.from([CR]))).to.deep.equal([]);
  });

  it('discards and reports junk before the start byte', () => {
    const events = decode([Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), encodeFrame(Buffer.from('X'))])]);
    expect(events[0]).to.deep.equal({ kind: 'junk', bytes: 16, whitespaceOnly: false });
    expect(payloads(events)).to.deep.equal(['X']);
  });

  it('reports newlines between frames as whitespace-only junk', () => {
    const events = decode([Buffer.concat([encodeFrame(Buffer.from('A')), Buffer.from('\r\n'), encodeFrame(Buffer.from('B'))])]);
    expect(events).to.deep.include({ kind: 'junk', bytes: 2, whitespaceOnly: true });
    expect(payloads(events)).to.deep.equal(['A', 'B']);
  });

  it('reports junk that arrives alone when the stream ends', () => {
    expect(decode([Buffer.from([1, 2, 3, 0xff])])).to.deep.equal([{ kind: 'junk', bytes: 4, whitespaceOnly: false }]);
  });

  it('resynchronises on a start byte inside a frame, reporting the discarded part', () => {
    const stream = Buffer.concat([Buffer.from([VT]), Buffer.from('partial'), encodeFrame(Buffer.from('whole'))]);
    const events = decode([stream]);
    expect(events[0]).to.deep.equal({ kind: 'restart', discardedBytes: 7 });
    expect(payloads(events)).to.deep.equal(['whole']);
  });

  it('tolerates a frame ended by 0x1C without 0x0D, and reports it', () => {
    const stream = Buffer.concat([Buffer.from([VT, 0x41, FS]), encodeFrame(Buffer.from('B'))]);
    const events = decode([stream]);
    expect(events.map((e) => e.kind)).to.deep.equal(['frame', 'missing-cr', 'frame']);
    expect(payloads(events)).to.deep.equal(['A', 'B']);
  });

  it('refuses an oversized frame without buffering it, then decodes the next frame', () => {
    const d = new FrameDecoder({ maxMessageBytes: 10_000 });
    const big = Buffer.alloc(10 * 1024 * 1024, 0x41);
    big.write('MSH|^~\\&|S', 0, 'latin1');
    const frame = encodeFrame(big);
    const events: FrameEvent[] = [];
    for (let i = 0; i < frame.length; i += 65536) {
      events.push(...d.push(frame.subarray(i, i + 65536)));
      // Buffered bytes never grow past the limit plus one read: the decoder only counts.
      expect((d as unknown as { parts: Buffer[] }).parts.reduce((n, p) => n + p.length, 0)).to.be.at.most(10_000 + 65536);
    }
    events.push(...d.push(encodeFrame(Buffer.from('next'))));
    expect(events.map((e) => e.kind)).to.deep.equal(['oversized', 'frame']);
    const o = events[0] as Extract<FrameEvent, { kind: 'oversized' }>;
    expect(o.size).to.equal(big.length);
    expect(o.limit).to.equal(10_000);
    expect(o.head.length).to.equal(OVERSIZED_HEAD_BYTES);
    expect(o.head.subarray(0, 10).toString('latin1')).to.equal('MSH|^~\\&|S');
    expect(payloads(events)).to.deep.equal(['next']);
  });

  it('accepts a frame of exactly maxMessageBytes and refuses one byte more', () => {
    expect(decode([encodeFrame(Buffer.alloc(8, 0x41))], 8).map((e) => e.kind)).to.deep.equal(['frame']);
    expect(decode([encodeFrame(Buffer.alloc(9, 0x41))], 8).map((e) => e.kind)).to.deep.equal(['oversized']);
  });

  it('keeps the head of an oversized frame split over many small reads', () => {
    const body = Buffer.from('MSH|^~\\&|ABCDEFGHIJ');
    const events = decode(
      [...encodeFrame(body)].map((b) => Buffer.from([b])),
      5,
    );
    expect(events).to.have.length(1);
    const o = events[0] as Extract<FrameEvent, { kind: 'oversized' }>;
    expect(o.kind).to.equal('oversized');
    expect(o.head.toString('latin1')).to.equal(body.toString('latin1'));
  });

  it('reports a frame cut off by the end of the stream', () => {
    expect(decode([Buffer.from([VT, 0x41, 0x42])])).to.deep.equal([{ kind: 'truncated', bytes: 2 }]);
  });

  it('decodes an empty frame as an empty payload', () => {
    expect(payloads(decode([encodeFrame(Buffer.alloc(0))]))).to.deep.equal(['']);
  });

  it('returns payloads that do not change when later reads reuse memory', () => {
    const d = new FrameDecoder({ maxMessageBytes: 100 });
    const chunk = Buffer.from([VT, 0x41, 0x42]);
    d.push(chunk);
    const [event] = d.push(Buffer.from([0x43, FS, CR]));
    expect((event as { payload: Buffer }).payload.toString()).to.equal('ABC');
  });

  for (const seed of [1, 2, 3, 42, 1234, 99991]) {
    it(`decodes a random stream of frames cut at random places identically (seed ${seed})`, () => {
      const rnd = prng(seed);
      const sent: string[] = [];
      const frames: Buffer[] = [];
      for (let i = 0; i < 200; i++) {
        const len = Math.floor(rnd() * 300);
        // Payload bytes avoid the three framing bytes, as HL7 text does.
        const body = Buffer.from(Array.from({ length: len }, () => 0x20 + Math.floor(rnd() * 0x5e)));
        sent.push(body.toString('latin1'));
        frames.push(encodeFrame(body));
      }
      const stream = Buffer.concat(frames);
      const chunks: Buffer[] = [];
      for (let pos = 0; pos < stream.length;) {
        const n = 1 + Math.floor(rnd() * (rnd() < 0.3 ? 3 : 700));
        chunks.push(stream.subarray(pos, pos + n));
        pos += n;
      }
      const events = decode(chunks, 300);
      expect(events.every((e) => e.kind === 'frame')).to.equal(true);
      expect(payloads(events)).to.deep.equal(sent);
    });
  }
});
