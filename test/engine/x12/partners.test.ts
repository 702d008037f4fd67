import { expect } from 'chai';
import { partnerSchema } from '../../../engine/config/partner-schema.js';
import { overdueMetrics, PartnerDirectory, UNKNOWN_SENDER_COUNTERS } from '../../../engine/x12/index.js';

const OWN = { interchangeId: 'INTERLACEHOSP', qualifier: 'ZZ', applicationCode: 'INTERLACE', defaultAck: '997' } as const;

function partner(id: string, qualifier: string, isaId: string, extra: Record<string, unknown> = {}) {
  return partnerSchema.parse({
    id,
    name: id,
    isa: { qualifier, id: isaId },
    gs: { id: 'GS' + id.slice(0, 4).toUpperCase() },
    version: '005010',
    transport: { type: 'file', inbound: 'in', outbound: 'out' },
    ...extra,
  });
}

describe('X12 partner directory', () => {
  const dir = new PartnerDirectory(
    [
      partner('duns-co', '01', '123456789', { acknowledgments: { send: '999', ta1: 'always' }, duplicateWindow: '7d' }),
      partner('zz-co', 'ZZ', '123456789', { acknowledgments: { send: 'none', ta1: 'never' } }),
      partner('sftp-co', 'ZZ', 'SFTPCO', {
        transport: { type: 'sftp', host: 'h', user: 'u', password: 'p', inbound: '/i', outbound: '/o' },
      }),
    ],
    OWN,
    86_400_000,
  );

  it('finds the sender by ISA06 and prefers the partner whose ISA05 qualifier matches', () => {
    expect(dir.bySender('ZZ', '123456789')?.id).to.equal('zz-co');
    expect(dir.bySender('01', '123456789 ')?.id).to.equal('duns-co');
    expect(dir.bySender('12', '123456789')?.id).to.equal('duns-co'); // no qualifier match: the first with that id
    expect(dir.bySender('ZZ', 'NOBODY')).to.equal(undefined);
  });

  it('answers as the partner file says, else with the engine defaults and a separate counter', () => {
    expect(dir.answerPolicy('01', '123456789')).to.deep.equal({
      partner: 'duns-co',
      counterKey: 'duns-co',
      kind: '999',
      ta1: 'always',
      required: [],
      duplicateWindowMs: 7 * 86_400_000,
    });
    expect(dir.answerPolicy('ZZ', '123456789')).to.include({ kind: 'none', ta1: 'never', duplicateWindowMs: 86_400_000 });
    expect(dir.answerPolicy('ZZ', 'NOBODY')).to.deep.equal({
      counterKey: UNKNOWN_SENDER_COUNTERS,
      kind: '997',
      ta1: 'auto',
      required: [],
      duplicateWindowMs: 86_400_000,
    });
  });

  it('gives destinations a profile with both parties, and none without our own identity', () => {
    const p = dir.profile('duns-co')!;
    expect(p.us).to.deep.equal({ qualifier: 'ZZ', id: 'INTERLACEHOSP', applicationCode: 'INTERLACE' });
    expect(p.partner).to.deep.equal({ qualifier: '01', id: '123456789', applicationCode: 'GSDUNS' });
    expect(p.transport).to.deep.equal({ type: 'file', outbound: 'out', inbound: 'in' });
    expect(p).to.include({ version: '005010', expect: '999', deadlineMs: 86_400_000 });
    expect(dir.profile('sftp-co')!.transport).to.include({ type: 'sftp', host: 'h', inbound: '/i', outbound: '/o' });
    expect(dir.profile('nobody')).to.equal(undefined);
    expect(new PartnerDirectory([partner('a', 'ZZ', 'A')], undefined).profile('a')).to.equal(undefined);
  });

  it('sends to each partner from the identity its file names (us), else from our default identity', () => {
    const own = {
      ...OWN,
      identities: [
        { qualifier: '01', interchangeId: '987654321', applicationCode: 'EASTCAMPUS' },
        { qualifier: 'ZZ', interchangeId: 'WESTCAMPUS', applicationCode: 'WEST' },
      ],
    };
    const d = new PartnerDirectory(
      [
        partner('east', 'ZZ', 'EASTSUP', { us: { id: '987654321' } }),
        partner('west', 'ZZ', 'WESTSUP', { us: { qualifier: 'ZZ', id: 'WESTCAMPUS' } }),
        partner('plain', 'ZZ', 'PLAIN'),
        partner('wrong', 'ZZ', 'WRONG', { us: { qualifier: '12', id: 'WESTCAMPUS' } }),
      ],
      own,
    );
    expect(d.profile('east')!.us).to.deep.equal({ qualifier: '01', id: '987654321', applicationCode: 'EASTCAMPUS' });
    expect(d.profile('west')!.us).to.deep.equal({ qualifier: 'ZZ', id: 'WESTCAMPUS', applicationCode: 'WEST' });
    expect(d.profile('plain')!.us).to.deep.equal({ qualifier: 'ZZ', id: 'INTERLACEHOSP', applicationCode: 'INTERLACE' });
    expect(d.profile('wrong')).to.equal(undefined); // the loader refuses such a file (unknown-identity)
    // Only identities first: the first one is the default.
    const only = new PartnerDirectory([partner('plain', 'ZZ', 'PLAIN')], {
      qualifier: 'ZZ',
      defaultAck: '999',
      identities: own.identities,
    });
    expect(only.profile('plain')!.us.id).to.equal('987654321');
  });

  it('checks whom an interchange is addressed to once engine.yaml lists identities: 009 for a foreign id, 007 for our id under another qualifier', () => {
    const own = { ...OWN, identities: [{ qualifier: '01', interchangeId: '987654321', applicationCode: 'EASTCAMPUS' }] };
    const ids = new PartnerDirectory([], own).identities;
    expect(ids.finding({ receiverQualifier: 'ZZ', receiverId: 'INTERLACEHOSP   ' })).to.equal(undefined);
    expect(ids.finding({ receiverQualifier: '01', receiverId: '987654321' })).to.equal(undefined);
    expect(ids.finding({ receiverQualifier: 'ZZ', receiverId: 'SOMEONEELSE' })?.code).to.equal('x12-receiver-unknown');
    expect(ids.finding({ receiverQualifier: 'ZZ', receiverId: '987654321' })?.code).to.equal('x12-receiver-qualifier');
    // A mixed unit is rejected whole: the other interchanges say why.
    const unit = ids.unitFindings([
      { receiverQualifier: 'ZZ', receiverId: 'INTERLACEHOSP' },
      { receiverQualifier: 'ZZ', receiverId: 'SOMEONEELSE' },
    ]);
    expect(unit.map((f) => f.map((d) => d.code))).to.deep.equal([['x12-unit-rejected'], ['x12-receiver-unknown']]);
    // The single interchangeId form (no list) does not check: every addressee is taken as ours.
    expect(dir.identities.finding({ receiverQualifier: 'ZZ', receiverId: 'SOMEONEELSE' })).to.equal(undefined);
  });

  it('writes one metrics line per partner, zero included, with label values escaped', () => {
    const text = overdueMetrics({ 'duns-co': 3, 'we"ird\n': 1 }, dir.ids());
    const lines = text.split('\n').filter((l) => l.startsWith('interlace_acks_overdue{'));
    expect(lines).to.deep.equal([
      'interlace_acks_overdue{partner="duns-co"} 3',
      'interlace_acks_overdue{partner="sftp-co"} 0',
      'interlace_acks_overdue{partner="we_ird_"} 1',
      'interlace_acks_overdue{partner="zz-co"} 0',
    ]);
    expect(text.endsWith('\n')).to.equal(true);
  });
});
