import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partnerSchema } from '../../../engine/config/partner-schema.js';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { PartnerDirectory, UNKNOWN_SENDER_COUNTERS, X12Inbound } from '../../../engine/x12/index.js';
import { silentLogger } from '../../../lib/log.js';
import { parseX12 } from '../../../parsers/x12/index.js';
import { partnerAck, partnerTa1 } from './support.js';

const sample = (p: string) => readFileSync(new URL(`../../../samples/x12/${p}`, import.meta.url));
const OWN = { interchangeId: 'INTERLACEHOSP', qualifier: 'ZZ', applicationCode: 'INTERLACE', defaultAck: '999' } as const;

function acme(extra: Record<string, unknown> = {}) {
  return partnerSchema.parse({
    id: 'acme-medical',
    name: 'Acme',
    isa: { qualifier: 'ZZ', id: 'ACMEMEDICAL' },
    gs: { id: 'ACMEMED' },
    version: '004010',
    acknowledgments: { send: '997' },
    transport: { type: 'file', inbound: 'in', outbound: 'out' },
    duplicateWindow: '30d',
    ...extra,
  });
}

describe('X12 inbound: answers and correlation', () => {
  let dir: string;
  let store: SqliteStore;
  let inbound: X12Inbound;
  const hour = 3_600_000;

  /** Stores `raw` on a channel like the file source does and runs the answer hook on it. */
  async function receive(raw: Buffer | string, channel = 'acme-in') {
    const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
    const ic = parseX12(bytes).message?.interchanges[0];
    const result = await store.ingest(channel, { raw: bytes, controlId: ic?.header.controlNumber, sender: ic?.header.senderId }, 24 * hour);
    const answer = await inbound.answer(channel, bytes, result);
    return { result, answer: answer?.toString('latin1'), parsed: answer ? parseX12(answer).message : undefined };
  }

  let poMessage: string;
  /** An 850 we sent (a stored message): ISA13 7, GS06 7, sets 0001 and 0002 (two POs), expecting 997 and 855. */
  async function sent850() {
    poMessage = (await store.ingest('po-out', { raw: Buffer.from('{}') }, 0)).messageId;
    const due = Date.now() + hour;
    await store.recordX12Outbound({
      partner: 'acme-medical',
      kind: '850',
      isa13: '000000007',
      messageId: poMessage,
      deliveryId: `${poMessage}:acme`,
      sets: [
        { gs06: '7', st02: '0001', setId: '850', poNumber: '4500012345' },
        { gs06: '7', st02: '0002', setId: '850', poNumber: 'A-2' },
      ],
      expect: [
        { expected: '997', dueAt: due },
        { expected: '855', dueAt: due },
      ],
    });
  }
  const open = async () => (await store.x12Expectations(poMessage)).filter((e) => !e.satisfiedAt).map((e) => `${e.expected}/${e.st02}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-x12in-'));
    store = new SqliteStore({ path: join(dir, 'messages.db') });
    inbound = new X12Inbound({ store, partners: new PartnerDirectory([acme()], OWN, 24 * hour), log: silentLogger });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 997 that lists no AK2 answers every set of the group', async () => {
    await sent850();
    const { answer } = await receive(partnerAck({ kind: '997', isa13: 50, gs06: '7', sets: [], group: 'A' }));
    expect(answer).to.equal(undefined); // acknowledgments are not acknowledged
    expect(await open()).to.deep.equal(['855/0001', '855/0002']);
    const acks = (await store.getMessage(poMessage))!.acks.filter((a) => a.direction === 'received');
    expect(acks.map((a) => [a.kind, a.code, a.deliveryId])).to.deep.equal([
      ['997', 'A', `${poMessage}:acme`],
      ['997', 'A', `${poMessage}:acme`],
    ]);
    const done = (await store.x12Expectations(poMessage)).filter((e) => e.satisfiedAt);
    expect(done.map((e) => [e.expected, e.st02, e.satisfiedCode])).to.deep.equal([
      ['997', '0001', 'A'],
      ['997', '0002', 'A'],
    ]);
  });

  it('a TA1 rejecting our interchange closes its functional expectations; one accepting it does not', async () => {
    await sent850();
    await receive(partnerTa1(60, '000000007', 'A', '000'));
    expect(await open()).to.deep.equal(['997/0001', '855/0001', '997/0002', '855/0002']);
    await receive(partnerTa1(61, '000000007', 'R', '006'));
    expect(await open()).to.deep.equal(['855/0001', '855/0002']);
    const closed = (await store.x12Expectations(poMessage)).find((e) => e.expected === '997');
    expect(closed?.satisfiedCode).to.equal('R');
  });

  it('an 855 is recorded against the 850 of its PO number and satisfies the 855 expectation', async () => {
    await sent850();
    const { parsed } = await receive(sample('flows/acme-855.x12'));
    expect(parsed!.interchanges[0]!.groups[0]!.sets[0]!.segments.map((s) => s.elements.join('*'))).to.include('AK5*A');
    expect(await open()).to.deep.equal(['997/0001', '997/0002', '855/0002']);
    const e = (await store.x12Expectations(poMessage)).find((x) => x.expected === '855');
    expect(e?.satisfiedCode).to.equal('AC');
  });

  it('an 810 and an 856 are linked to the 850 of their PO number; one for an unknown PO is not', async () => {
    await sent850();
    const invoice = await receive(sample('flows/acme-810.x12'));
    const asn = await receive(sample('flows/acme-856.x12'));
    const unknown = await receive(
      sample('flows/acme-810.x12')
        .toString('latin1')
        .replace(/000000401/g, '000000402')
        .replace('*4500012345~', '*4599999999~'),
    );
    const db = new Database(join(dir, 'messages.db'), { readonly: true });
    const links = db
      .prepare(
        'SELECT l.message_id AS m, l.kind, l.po_number AS po, o.message_id AS po_message FROM x12_links l JOIN x12_outbound o ON o.id = l.outbound_id ORDER BY l.id',
      )
      .all();
    db.close();
    expect(links).to.deep.equal([
      { m: invoice.result.messageId, kind: '810', po: '4500012345', po_message: poMessage },
      { m: asn.result.messageId, kind: '856', po: '4500012345', po_message: poMessage },
    ]);
    expect(unknown.parsed!.interchanges[0]!.groups[0]!.sets[0]!.segments.map((x) => x.elements.join('*'))).to.include('AK5*A');
  });

  it('acknowledgments that answer nothing we sent change nothing', async () => {
    await sent850();
    await receive(partnerAck({ kind: '997', isa13: 70, gs06: '99', sets: [{ st02: '0001', status: 'A' }], group: 'A' }));
    await receive(partnerTa1(71, '000000999', 'R', '006'));
    expect(await open()).to.deep.equal(['997/0001', '855/0001', '997/0002', '855/0002']);
  });

  it('another partner cannot satisfy our expectations', async () => {
    await sent850();
    const foreign = partnerAck({ kind: '997', isa13: 72, gs06: '7', sets: [{ st02: '0001', status: 'A' }], group: 'A' }).replace(
      'ACMEMEDICAL    ',
      'OTHERCO        ',
    );
    await receive(foreign);
    expect(await open()).to.deep.equal(['997/0001', '855/0001', '997/0002', '855/0002']);
  });

  it('answers a sender without a partner file with the engine default (999) and its own counters', async () => {
    const { parsed } = await receive(sample('856/856-sopi-004010.x12'));
    const ic = parsed!.interchanges[0]!;
    expect(ic.groups[0]!.sets[0]!.id).to.equal('999');
    // From the identity the sample addresses (ISA08 LAKESHOREGEN), not our default one.
    expect(ic.header).to.include({ senderId: 'LAKESHOREGEN', receiverId: 'NWMEDSUPPLY', controlNumber: '000000001' });
    expect((await store.nextControlNumbers(UNKNOWN_SENDER_COUNTERS, { interchanges: 1 })).interchanges).to.deep.equal([2]);
    expect((await store.nextControlNumbers('acme-medical', { interchanges: 1 })).interchanges).to.deep.equal([1]);
  });

  it('a partner that wants no acknowledgment gets none', async () => {
    inbound = new X12Inbound({
      store,
      partners: new PartnerDirectory([acme({ acknowledgments: { send: 'none' } })], OWN),
      log: silentLogger,
    });
    expect((await receive(sample('flows/acme-856.x12'))).answer).to.equal(undefined);
  });

  it('detects an ISA13 already received from the partner on another channel within its window (TA1 025)', async () => {
    const first = await receive(sample('flows/acme-856.x12'), 'acme-in');
    expect(first.result.duplicate).to.equal(false);
    const again = await receive(sample('flows/acme-856.x12'), 'acme-other');
    expect(again.result.duplicate).to.equal(false); // per channel, the store does not see it…
    const ta1 = again.parsed!.interchanges[0]!.ta1.map((s) => s.elements.slice(4, 6).join(' ')); // …the partner window does
    expect(ta1).to.deep.equal(['R 025']);
  });

  it('hostile input: garbage, a truncated interchange and a bad ISA never throw, and get a clear answer where one is possible', async () => {
    expect((await receive(Buffer.from('\u0000\u00ff garbage, not X12 at all'))).answer).to.equal(undefined);
    expect((await receive(Buffer.alloc(0))).answer).to.equal(undefined);
    const truncated = await receive(sample('bad/truncated.x12'));
    expect(truncated.parsed!.interchanges[0]!.ta1.map((t) => t.elements.slice(4, 6).join(' '))).to.deep.equal(['R 023']); // IEA missing
    expect(truncated.parsed!.interchanges[0]!.header.senderId).to.equal('SUPPLIERCO'); // the identity it addressed
    const shortIsa = await receive(sample('bad/short-isa.x12'));
    expect(shortIsa.parsed!.interchanges[0]!.ta1.map((t) => t.elements.slice(4, 6).join(' '))).to.deep.equal(['E 024']);
    const segmentErrors = await receive(sample('bad/segment-errors.x12'));
    const ak = segmentErrors.parsed!.interchanges[0]!.groups[0]!.sets[0]!.segments.map((s) => s.elements[0]);
    expect(ak).to.include('IK3'); // errors reported segment by segment (default 999)
  });

  describe('our identities', () => {
    const EAST = { qualifier: '01', interchangeId: '987654321', applicationCode: 'EASTCAMPUS' };
    /** The sample 856 from Acme, addressed to ISA07/ISA08 and GS03 as given (fixed-width ISA kept). */
    const addressed = (qualifier: string, id: string, gs03: string) =>
      sample('flows/acme-856.x12')
        .toString('latin1')
        .replace('*ZZ*INTERLACEHOSP  *', `*${qualifier}*${id.padEnd(15)}*`)
        .replace('*ACMEMED*INTERLACE*', `*ACMEMED*${gs03}*`);
    beforeEach(() => {
      inbound = new X12Inbound({
        store,
        partners: new PartnerDirectory([acme()], { ...OWN, identities: [EAST] }, 24 * hour),
        log: silentLogger,
      });
    });

    it('answers from the identity the interchange addressed, never from our default one', async () => {
      const { parsed } = await receive(addressed('01', '987654321', 'EASTCAMPUS'));
      const ack = parsed!.interchanges[0]!;
      expect([ack.header.senderQualifier, ack.header.senderId.trim()]).to.deep.equal(['01', '987654321']);
      expect([ack.header.receiverQualifier, ack.header.receiverId.trim()]).to.deep.equal(['ZZ', 'ACMEMEDICAL']);
      expect([ack.groups[0]!.senderCode, ack.groups[0]!.receiverCode]).to.deep.equal(['EASTCAMPUS', 'ACMEMED']);
      expect(ack.groups[0]!.sets[0]!.id).to.equal('997');
      const { parsed: home } = await receive(addressed('ZZ', 'INTERLACEHOSP', 'INTERLACE').replace('000000301', '000000302'));
      expect(home!.interchanges[0]!.header.senderId.trim()).to.equal('INTERLACEHOSP');
    });

    it('an interchange addressed to an id that is not ours gets TA1 R 009 and nothing else, and is never correlated', async () => {
      await sent850();
      const a855 = sample('flows/acme-855.x12').toString('latin1').replace('*ZZ*INTERLACEHOSP  *', '*ZZ*OTHERHOSPITAL *');
      expect(a855).to.include('OTHERHOSPITAL');
      const { parsed } = await receive(a855);
      const ic = parsed!.interchanges[0]!;
      expect(ic.ta1.map((t) => t.elements.slice(4, 6).join(' '))).to.deep.equal(['R 009']);
      expect(ic.groups).to.have.length(0);
      expect(ic.header.senderId.trim()).to.equal('OTHERHOSPITAL'); // the envelope reversed: what they addressed
      expect(await open()).to.include('855/0001'); // the 855 answered nothing: it was not for us
    });

    it('our id under another qualifier gets TA1 R 007; a partner that takes no TA1 gets no answer at all', async () => {
      const { parsed } = await receive(addressed('ZZ', '987654321', 'EASTCAMPUS'));
      expect(parsed!.interchanges[0]!.ta1.map((t) => t.elements.slice(4, 6).join(' '))).to.deep.equal(['R 007']);
      inbound = new X12Inbound({
        store,
        partners: new PartnerDirectory([acme({ acknowledgments: { send: '997', ta1: 'never' } })], { ...OWN, identities: [EAST] }),
        log: silentLogger,
      });
      expect((await receive(addressed('ZZ', 'OTHERHOSPITAL', 'OTHER').replace('000000301', '000000303'))).answer).to.equal(undefined);
    });
  });
});
