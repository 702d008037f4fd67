import { expect } from 'chai';
import type { Diagnostic } from '../../../lib/errors.js';
import { parseX12, X12Reader } from '../../../parsers/x12/reader.js';
import type { X12Document, X12ReadSet } from '../../../parsers/x12/document.js';
import { withDuplicateCheck } from '../../../parsers/x12/validate.js';
import { ISA_501, prng, randomChunks, sample } from './helpers.js';

function findings(raw: Buffer, strict = false): Array<[string, string, unknown]> {
  return parseX12(raw, { strict }).diagnostics.map((d) => [d.severity, d.code, d.location]);
}

function doc(raw: Buffer): X12Document {
  const outcome = parseX12(raw);
  expect(outcome.message, 'a document').to.not.equal(undefined);
  return outcome.message!;
}

describe('x12 envelope reader', () => {
  it('groups segments into interchanges, groups and sets', () => {
    const d = doc(sample('envelope/multi-interchange.x12'));
    expect(d.interchanges).to.have.length(2);
    const [first, second] = d.interchanges;
    expect(first!.header).to.deep.equal({
      senderQualifier: 'ZZ',
      senderId: 'HOSPITALERP',
      receiverQualifier: 'ZZ',
      receiverId: 'SUPPLIERCO',
      date: '240115',
      time: '0930',
      version: '00501',
      controlNumber: '000000101',
      ackRequested: false,
      usage: 'P',
    });
    expect(second!.groups[0]!.sets.map((s) => [s.id, s.controlNumber, s.segmentCount, s.complete])).to.deep.equal([
      ['850', '0001', 6, true],
      ['850', '0002', 6, true],
    ]);
    const set = first!.groups[0]!.sets[0]!;
    expect(set.segments.map((s) => s.id)).to.deep.equal(['ST', 'BEG', 'N1', 'PO1', 'PO1', 'CTT', 'SE']);
    expect([set.version, set.functionalId, set.position]).to.deep.equal(['005010', 'PO', 3]);
    expect(parseX12(sample('envelope/multi-interchange.x12')).diagnostics).to.deep.equal([]);
  });

  it('reads every envelope sample without findings', () => {
    for (const name of ['multi-group', 'pipe-caret-newline', 'control-characters', 'bom-crlf']) {
      const outcome = parseX12(sample(`envelope/${name}.x12`));
      expect(outcome.diagnostics, name).to.deep.equal([]);
      expect(outcome.message!.interchanges[0]!.groups.length, name).to.be.greaterThan(0);
    }
    expect(doc(sample('envelope/multi-group.x12')).interchanges[0]!.groups.map((g) => [g.controlNumber, g.receiverCode])).to.deep.equal([
      ['201', 'SUPPCO'],
      ['202', 'SUPPCO2'],
    ]);
  });

  it('hands out each set as soon as its SE is read, before the rest of the input arrives', () => {
    const raw = sample('envelope/multi-interchange.x12').toString('latin1');
    const cut = raw.indexOf('SE*', raw.indexOf('ST*850*0002')) + 'SE*6*0002~'.length;
    const seen: string[] = [];
    const reader = new X12Reader({ set: (s) => seen.push(`${s.controlNumber}:${s.segments.length}`) });
    reader.push(Buffer.from(raw.slice(0, cut), 'latin1'));
    expect(seen).to.deep.equal(['0001:7', '0001:6', '0002:6']);
    reader.push(Buffer.from(raw.slice(cut), 'latin1'));
    reader.end();
    expect(seen).to.have.length(3);
  });

  it('streams: interchange summaries drop segments unless retained; chunking does not matter', () => {
    const raw = sample('envelope/multi-interchange.x12');
    const random = prng(3);
    const summaries: number[] = [];
    const sets: X12ReadSet[] = [];
    const reader = new X12Reader({ set: (s) => sets.push(s), interchange: (ic) => summaries.push(ic.groups[0]!.sets[0]!.segments.length) });
    for (const c of randomChunks(raw, random, 17)) reader.push(c);
    reader.end();
    expect(summaries).to.deep.equal([0, 0]);
    expect(sets.map((s) => s.segments.length)).to.deep.equal([7, 6, 6]);
  });

  it('reports a wrong SE01 on the set', () => {
    const d = doc(sample('bad/wrong-se01.x12'));
    const set = d.interchanges[0]!.groups[0]!.sets[0]!;
    expect(set.diagnostics.map((x) => [x.code, x.message, x.location])).to.deep.equal([
      ['x12-se-count-mismatch', "SE01 is '6'; expected 7 (segments ST…SE inclusive)", { segment: 'SE', segmentIndex: 9, field: 1 }],
    ]);
  });

  it('reports a wrong IEA02 and a wrong GE01', () => {
    expect(findings(sample('bad/wrong-iea02.x12'))).to.deep.equal([
      ['warning', 'x12-iea-control-mismatch', { segment: 'IEA', segmentIndex: 17, field: 2 }],
    ]);
    expect(findings(sample('bad/wrong-ge01.x12'))).to.deep.equal([
      ['error', 'x12-ge-count-mismatch', { segment: 'GE', segmentIndex: 16, field: 1 }],
    ]);
  });

  it('reports a truncated file: missing SE, GE and IEA', () => {
    const outcome = parseX12(sample('bad/truncated.x12'));
    expect(outcome.diagnostics.map((x) => x.code).sort()).to.deep.equal(['x12-ge-missing', 'x12-iea-missing', 'x12-se-missing']);
    const set = outcome.message!.interchanges[0]!.groups[0]!.sets[0]!;
    expect(set.complete).to.equal(false);
    expect(set.diagnostics[0]!.message).to.equal('ST at segment 3 has no SE before the end of the input (segment 6); expected SE');
  });

  it('validates ISA formats and mandatory elements', () => {
    const bad = ISA_501.replace('240115', '241345').replace('000000777', '00000077A').replace('*0*P*', '*2*X*');
    const codes = parseX12(Buffer.from(`${bad}IEA*0*00000077A~`, 'latin1')).diagnostics.map((d) => `${d.code}:${d.location?.field}`);
    expect(codes).to.deep.equal([
      'x12-isa-element-invalid:9',
      'x12-isa-element-invalid:13',
      'x12-isa-element-invalid:14',
      'x12-isa-element-invalid:15',
    ]);
    const empty = ISA_501.replace('*ZZ*HOSPITALERP    *', '**HOSPITALERP    *');
    expect(parseX12(Buffer.from(`${empty}IEA*0*000000777~`, 'latin1')).diagnostics.map((d) => `${d.code}:${d.location?.field}`)).to.include(
      'x12-isa-element-empty:5',
    );
  });

  it('reports empty mandatory GS/ST elements, a bad GS06, a duplicate ST02 and an unknown segment id', () => {
    const raw = `${ISA_501}GS*PO**R*20240101*1200*12A*X*005010~ST*850*0001~9ZQ*1~SE*3*0001~ST*850*0001~SE*2*0001~ST**~SE*2~GE*3*12A~IEA*1*000000777~`;
    const codes = parseX12(Buffer.from(raw, 'latin1')).diagnostics.map(
      (d) => `${d.code}@${d.location?.segmentIndex}:${d.location?.field ?? ''}`,
    );
    expect(codes).to.deep.equal([
      'x12-gs-element-empty@2:2',
      'x12-gs-control-invalid@2:6',
      'x12-unknown-segment@4:',
      'x12-st-control-duplicate@6:2',
      'x12-st-element-empty@8:1',
      'x12-st-element-empty@8:2',
    ]);
  });

  it('reports segments outside a set and outside any interchange, once per run', () => {
    const raw = `${ISA_501}N1*ST*X~GS*PO*S*R*20240101*1200*1*X*005010~GE*0*1~IEA*1*000000777~N1*A~N1*B~GS*PO~`;
    const outcome = parseX12(Buffer.from(raw, 'latin1'));
    expect(outcome.diagnostics.map((d) => d.code).sort()).to.deep.equal(['x12-segment-outside-interchange', 'x12-segment-outside-set']);
  });

  it('closes an interchange at a new ISA when its IEA is missing', () => {
    const raw = Buffer.concat([sample('bad/truncated.x12'), sample('envelope/multi-group.x12')]);
    const outcome = parseX12(raw);
    expect(outcome.message!.interchanges).to.have.length(2);
    expect(outcome.message!.interchanges[0]!.diagnostics.map((d) => d.message)).to.deep.equal([
      'ISA at segment 1 has no IEA before a new ISA (segment 1); expected IEA',
    ]);
    expect(outcome.message!.interchanges[1]!.diagnostics).to.deep.equal([]);
  });

  it('flags a duplicate ISA13 from the same sender through a caller-kept history', () => {
    const d = doc(sample('bad/duplicate-isa13.x12'));
    const history = new Set<string>();
    const checked = withDuplicateCheck(d, (sender, control) => {
      const key = `${sender}/${control}`;
      const seen = history.has(key);
      history.add(key);
      return seen;
    });
    expect(checked.interchanges.map((ic) => ic.diagnostics.map((x: Diagnostic) => x.code))).to.deep.equal([
      [],
      ['x12-duplicate-interchange'],
    ]);
    expect(d.interchanges[1]!.diagnostics, 'the input document is not changed').to.deep.equal([]);
  });

  it('keeps a short ISA as a warning, an error in strict mode', () => {
    expect(findings(sample('bad/short-isa.x12'))).to.deep.equal([['warning', 'x12-isa-length', { segment: 'ISA', segmentIndex: 1 }]]);
    expect(findings(sample('bad/short-isa.x12'), true)).to.deep.equal([['error', 'x12-isa-length', { segment: 'ISA', segmentIndex: 1 }]]);
  });

  it('returns no message when no ISA could be read', () => {
    const outcome = parseX12(Buffer.from('MSH|^~\\&|hl7 is not x12\r'));
    expect(outcome.message).to.equal(undefined);
    expect(outcome.diagnostics.map((d) => d.code)).to.deep.equal(['x12-no-isa']);
  });
});
