import { expect } from 'chai';
import type { Source } from '../../../channels/types.js';
import { hl7, msa, RawPeer, RecordingContext, segment, startSource } from './support.js';

/** Probe from the hardening review: MSH-18 values the decoder knows but HL7 does not. */
describe('mllp source: MSH-18 outside HL7 table 0211', () => {
  let source: Source;
  let port: number;
  let ctx: RecordingContext;
  beforeEach(async () => {
    ctx = new RecordingContext();
    ({ source, port } = await startSource(ctx));
  });
  afterEach(() => source.stop());

  const withCharset = (id: string, charset: string) => {
    const [msh, ...rest] = hl7(id, { extra: 'NTE|1||Zoë Müller\r' }).split('\r');
    return [`${msh}||||||${charset}`, ...rest].join('\r');
  };

  for (const charset of ['HEX', 'BASE64', 'UCS2', 'UTF-7', 'UTF-16LE', 'KLINGON']) {
    it(`answers MSH-18 ${charset} with an AR in plain ASCII that the sender can read, and stores the message as rejected`, async () => {
      const peer = await RawPeer.connect(port);
      peer.send(Buffer.from(withCharset(`CS-${charset}`, charset), 'latin1'));
      const [ack] = await peer.receive(1);
      peer.destroy();
      expect(
        [...ack!].every((b) => b < 0x80),
        'the ACK is not plain ASCII',
      ).to.equal(true);
      expect(msa(ack!)).to.deep.equal({ code: 'AR', controlId: `CS-${charset}` });
      expect(segment(ack!, 'MSH')![17], 'the refused character set is not declared on the ACK (MSH-18)').to.equal(undefined);
      expect(segment(ack!, 'ERR')!.join('|')).to.include('unknown-charset');
      expect(ctx.inputs[0]!.rejected).to.not.equal(undefined);
    });
  }

  it('still answers a table 0211 alias in that character set', async () => {
    const peer = await RawPeer.connect(port);
    peer.send(Buffer.from(withCharset('CS-OK', 'UNICODE UTF-8'), 'utf8'));
    const [ack] = await peer.receive(1);
    peer.destroy();
    expect(msa(ack!)).to.deep.equal({ code: 'AA', controlId: 'CS-OK' });
    expect(segment(ack!, 'MSH')![17]).to.equal('UNICODE UTF-8');
  });
});
