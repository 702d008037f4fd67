import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { buildAck, buildAcks, readAcks, type AckOptions, type FunctionalAck, type InterchangeAck } from '../../../parsers/x12/acks.js';
import { parseX12 } from '../../../parsers/x12/reader.js';
import { withSetFindings } from '../../../parsers/x12/index.js';
import { withDuplicateCheck, withSupportCheck } from '../../../parsers/x12/validate.js';
import type { X12Document } from '../../../parsers/x12/document.js';
import { goldenPath, sample } from './helpers.js';

const WHEN = new Date('2024-02-01T10:30:00Z');

/** Our control numbers: interchange 700000001…, group 8001…, set 9001… */
function counters(): AckOptions['next'] {
  const n = { interchange: 700000000, group: 8000, set: 9000 };
  return (kind) => ++n[kind];
}

function read(path: string): X12Document {
  return parseX12(sample(path)).message!;
}

function golden(name: string, text: string): void {
  const path = goldenPath(name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, text);
  expect(text, name).to.equal(readFileSync(path, 'latin1'));
}

describe('x12 acknowledgments', () => {
  for (const name of ['wrong-se01', 'wrong-iea02', 'wrong-ge01', 'truncated', 'short-isa', 'segment-errors']) {
    for (const kind of ['997', '999'] as const) {
      it(`matches the golden ${kind} for bad/${name}`, () => {
        const acks = buildAcks(read(`bad/${name}.x12`), { kind, next: counters(), date: WHEN, segmentSuffix: '\n' });
        golden(`${name}.${kind}.x12`, acks.map((a) => a.text).join(''));
      });
    }
  }

  it('matches the golden TA1 for a duplicate ISA13 pair', () => {
    const history = new Set<string>();
    const doc = withDuplicateCheck(
      read('bad/duplicate-isa13.x12'),
      (sender, control) => history.has(`${sender}/${control}`) || (history.add(`${sender}/${control}`), false),
    );
    const acks = buildAcks(doc, { kind: '999', next: counters(), date: WHEN, segmentSuffix: '\n' });
    expect(acks.map((a) => a.ta1)).to.deep.equal([undefined, { status: 'R', noteCode: '025' }]);
    golden('duplicate-isa13.999.x12', acks.map((a) => a.text).join(''));
  });

  it('reverses the envelope and uses only our own control numbers', () => {
    const ack = buildAck(read('envelope/multi-group.x12').interchanges[0]!, { kind: '997', next: counters(), date: WHEN })!;
    const out = parseX12(Buffer.from(ack.text, 'latin1')).message!.interchanges[0]!;
    expect([out.header.senderId, out.header.receiverId]).to.deep.equal(['SUPPLIERCO', 'HOSPITALERP']);
    expect(out.header.controlNumber).to.equal('700000001');
    expect(ack.controlNumber).to.equal('700000001');
    expect(out.groups.map((g) => [g.functionalId, g.senderCode, g.receiverCode, g.controlNumber])).to.deep.equal([
      ['FA', 'SUPPCO', 'HOSPERP', '8001'],
      ['FA', 'SUPPCO2', 'HOSPERP', '8002'],
    ]);
    expect(out.groups.map((g) => g.sets[0]!.controlNumber)).to.deep.equal(['9001', '9002']);
    expect(ack.ta1, 'ISA14 = 1 asks for a TA1').to.deep.equal({ status: 'A', noteCode: '000' });
    expect(out.ta1.map((s) => s.elements)).to.deep.equal([['TA1', '000000103', '240115', '0932', 'A', '000']]);
  });

  it('writes a 4010 997 in the inbound delimiters for a 00401 interchange', () => {
    const ack = buildAck(read('envelope/pipe-caret-newline.x12').interchanges[0]!, { kind: '997', next: counters(), date: WHEN })!;
    expect(ack.text.slice(0, 106)).to.match(/\|U\|00401\|700000001\|0\|P\|\^\n$/);
    expect(ack.text).to.include(
      'GS|FA|SUPPCO|HOSPERP|20240201|1030|8001|X|004010\nST|997|9001\nAK1|PO|301\nAK2|850|0001\nAK5|A\nAK9|A|1|1|1\n',
    );
    expect(ack.ta1).to.equal(undefined);
  });

  it('never acknowledges an FA group, and sends nothing when there is nothing to say', () => {
    expect(buildAck(read('acks/997-004010.x12').interchanges[0]!, { kind: '997', next: counters() })).to.equal(undefined);
    const forced = buildAck(read('acks/997-004010.x12').interchanges[0]!, { kind: '997', next: counters(), ta1: 'always' })!;
    expect(forced.groups).to.deep.equal([]);
    expect(forced.text).to.not.include('AK1');
    expect(forced.text).to.include('TA1*000000901*240115*1000*A*000~');
  });

  it('reports accepted, partially accepted and rejected groups', () => {
    const options = { kind: '999' as const, next: counters(), date: WHEN };
    expect(buildAck(read('bad/segment-errors.x12').interchanges[0]!, options)!.groups).to.deep.equal([
      {
        groupControlNumber: '605',
        status: 'R',
        setStatuses: [
          { controlNumber: '0001', status: 'R' },
          { controlNumber: '', status: 'R' },
        ],
      },
    ]);
    expect(buildAck(read('bad/wrong-se01.x12').interchanges[0]!, options)!.groups[0]!.status).to.equal('P');
    expect(buildAck(read('bad/wrong-ge01.x12').interchanges[0]!, options)!.groups[0]!.status).to.equal('R');
    expect(buildAck(read('bad/short-isa.x12').interchanges[0]!, options)!.groups[0]!.status).to.equal('A');
  });

  it('reports set-mapper syntax findings (a missing BEG) through withSetFindings', () => {
    const raw = sample('envelope/multi-group.x12')
      .toString('latin1')
      .replace('BEG*00*SA*PO-2001**20240115~\n', '')
      .replace('SE*7*0001', 'SE*6*0001');
    const doc = parseX12(Buffer.from(raw, 'latin1')).message!;
    const plain = buildAck(doc.interchanges[0]!, { kind: '999', next: counters(), date: WHEN })!;
    expect(plain.groups.map((g) => g.status)).to.deep.equal(['A', 'A']);
    const ack = buildAck(withSetFindings(doc).interchanges[0]!, { kind: '999', next: counters(), date: WHEN })!;
    expect(ack.groups.map((g) => g.status)).to.deep.equal(['R', 'A']);
    const back = readAcks(parseX12(Buffer.from(ack.text, 'latin1')).message!).acks.find((a) => a.kind === '999') as FunctionalAck;
    expect(back.sets[0]!.errors.map((e) => e.code)).to.deep.equal(['3']);
    expect(doc.interchanges[0]!.groups[0]!.sets[0]!.diagnostics, 'the parsed document is not changed').to.deep.equal([]);
  });

  it('reports an over-long segment as AK3 code 8 and ignores an empty segment in the acknowledgment', () => {
    const isa = sample('envelope/multi-interchange.x12').toString('latin1').slice(0, 106);
    const raw = `${isa}\nGS*PO*HOSPERP*SUPPCO*20240115*0930*9*X*005010~ST*850*0001~BEG*00*SA*${'X'.repeat(3000)}~~CTT*0~SE*4*0001~GE*1*9~IEA*1*000000101~`;
    const doc = parseX12(Buffer.from(raw, 'latin1'), { maxSegmentLength: 1000 }).message!;
    expect(doc.interchanges[0]!.groups[0]!.sets[0]!.diagnostics.map((d) => d.code)).to.deep.equal([
      'x12-segment-too-long',
      'x12-empty-segment',
    ]);
    const ack = buildAck(doc.interchanges[0]!, { kind: '997', next: counters(), date: WHEN })!;
    expect(ack.text).to.include('AK2*850*0001~AK3*BEG*2**8~AK5*R*5~AK9*R*1*1*0~');
  });

  it('rejects unsupported sets, functional groups and versions (AK502 1, AK905 1 and 2)', () => {
    const doc = read('envelope/multi-interchange.x12');
    const sets = buildAck(withSupportCheck(doc, { sets: ['855'] }).interchanges[0]!, { kind: '997', next: counters(), date: WHEN })!;
    expect(sets.text).to.include('AK2*850*0001~AK5*R*1~AK9*R*1*1*0~');
    const groups = buildAck(withSupportCheck(doc, { functionalIds: ['PR'], versions: ['004010'] }).interchanges[0]!, {
      kind: '999',
      next: counters(),
      date: WHEN,
    })!;
    expect(groups.text).to.include('AK9*R*1*1*0*1*2~');
    const fine = buildAck(withSupportCheck(doc, { sets: ['850'], functionalIds: ['PO'], versions: ['005010'] }).interchanges[0]!, {
      kind: '997',
      next: counters(),
    })!;
    expect(fine.groups.map((g) => g.status)).to.deep.equal(['A']);
  });

  it('reads received 997, 999 and TA1 into structured answers', () => {
    const acks = [
      ...readAcks(read('acks/997-004010.x12')).acks,
      ...readAcks(read('acks/999-005010.x12')).acks,
      ...readAcks(read('acks/ta1.x12')).acks,
    ];
    const [k997, k999, ta1] = acks as [FunctionalAck, FunctionalAck, InterchangeAck];
    expect(k997).to.deep.equal({
      kind: '997',
      ackControlNumber: '0001',
      functionalId: 'PO',
      groupControlNumber: '101',
      accepted: 'P',
      included: 2,
      received: 2,
      acceptedCount: 1,
      groupCodes: [],
      sets: [
        { setId: '850', controlNumber: '0001', status: 'A', codes: [], errors: [] },
        {
          setId: '850',
          controlNumber: '0002',
          status: 'R',
          codes: ['5'],
          errors: [{ segment: 'PO1', position: 4, code: '8', elements: [{ position: '2', code: '7' }] }],
        },
      ],
    });
    expect([k999.kind, k999.version, k999.groupControlNumber, k999.sets[1]!.errors]).to.deep.equal([
      '999',
      '005010',
      '102',
      [{ segment: 'N1', position: 3, code: '8', elements: [{ position: '2', code: '1' }] }],
    ]);
    expect(ta1).to.deep.equal({
      kind: 'TA1',
      interchangeControlNumber: '000000101',
      date: '240115',
      time: '0930',
      status: 'R',
      noteCode: '001',
    });
  });

  it('round-trips: what we send reads back as the statuses we meant', () => {
    for (const kind of ['997', '999'] as const) {
      const ack = buildAck(read('bad/segment-errors.x12').interchanges[0]!, { kind, next: counters(), date: WHEN })!;
      const back = readAcks(parseX12(Buffer.from(ack.text, 'latin1')).message!);
      expect(back.diagnostics).to.deep.equal([]);
      const answer = back.acks[0] as FunctionalAck;
      expect([answer.kind, answer.accepted, answer.groupControlNumber]).to.deep.equal([kind, 'R', '605']);
      expect(answer.sets.map((s) => [s.controlNumber, s.status, s.codes])).to.deep.equal([
        ['0001', 'R', ['5']],
        ['', 'R', ['5', '7']],
      ]);
      expect(answer.sets[0]!.errors).to.deep.equal([{ segment: 'UNK', position: 3, code: '1', elements: [] }]);
      expect(answer.sets[1]!.errors).to.deep.equal([{ segment: 'ST', position: 1, code: '8', elements: [{ position: '2', code: '1' }] }]);
    }
  });

  it('reports a malformed received acknowledgment instead of throwing', () => {
    const raw = sample('acks/997-004010.x12')
      .toString('latin1')
      .replace('AK9*P*2*2*1~\n', '')
      .replace('AK2*850*0001~', 'AK3*PO1*1**8~AK2*850*0001~')
      .replace('SE*10', 'SE*10');
    const result = readAcks(parseX12(Buffer.from(raw, 'latin1')).message!);
    expect(result.diagnostics.map((d) => d.code)).to.deep.equal(['x12-ack-malformed', 'x12-ack-malformed']);
  });
});
