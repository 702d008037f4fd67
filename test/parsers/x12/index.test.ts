import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { x12, X12_FINDINGS } from '../../../parsers/x12/index.js';
import { sample } from './helpers.js';

describe('x12 parser definition', () => {
  it('detects ISA after an optional BOM and whitespace, and nothing else', () => {
    expect(x12.format).to.equal('x12');
    expect(x12.detect(sample('envelope/bom-crlf.x12'))).to.equal(true);
    expect(x12.detect(Buffer.from('\r\n  ISA*00'))).to.equal(true);
    expect(x12.detect(Buffer.from('MSH|^~\\&|'))).to.equal(false);
    expect(x12.detect(Buffer.from('GS*PO'))).to.equal(false);
    expect(x12.detect(new Uint8Array())).to.equal(false);
  });

  it('gives a header with ISA13, ISA06, ISA08 and the set ids', () => {
    const doc = x12.parse(sample('envelope/multi-interchange.x12')).message!;
    expect(x12.header(doc)).to.deep.equal({
      controlId: '000000101',
      sender: 'HOSPITALERP',
      receiver: 'SUPPLIERCO',
      version: '005010',
      messageType: '850',
    });
    const acks = x12.parse(sample('acks/997-004010.x12')).message!;
    expect(x12.header(acks).messageType).to.equal('997');
  });

  it('gives a tree of interchanges, groups and sets with segments as arrays', () => {
    const tree = x12.toTree(x12.parse(sample('envelope/multi-group.x12')).message!) as {
      interchanges: Array<{
        header: { controlNumber: string };
        groups: Array<{ controlNumber: string; sets: Array<{ id: string; segments: string[][] }> }>;
      }>;
    };
    expect(tree.interchanges[0]!.header.controlNumber).to.equal('000000103');
    expect(tree.interchanges[0]!.groups.map((g) => g.controlNumber)).to.deep.equal(['201', '202']);
    expect(tree.interchanges[0]!.groups[1]!.sets[0]!.segments[3]).to.deep.equal(['PO1', '1', '10', 'EA', '12.5', '', 'VC', 'ITEM-100']);
    expect(JSON.parse(JSON.stringify(tree))).to.deep.equal(tree);
  });

  it('passes strict mode through', () => {
    expect(x12.parse(sample('bad/short-isa.x12'), { strict: true }).diagnostics[0]!.severity).to.equal('error');
    expect(x12.parse(sample('bad/short-isa.x12')).diagnostics[0]!.severity).to.equal('warning');
  });

  it('skips acknowledgment sets and reports a set no mapper knows', () => {
    const acks = x12.toCanonical(x12.parse(sample('acks/999-005010.x12')).message!);
    expect(acks).to.deep.equal({ documents: [], diagnostics: [] });
    const raw = sample('envelope/multi-group.x12')
      .toString('latin1')
      .replace(/ST\*850/g, 'ST*830');
    const result = x12.toCanonical(x12.parse(Buffer.from(raw, 'latin1')).message!);
    expect(result.documents).to.deep.equal([]);
    expect(result.diagnostics.map((d) => [d.code, d.location])).to.deep.equal([
      ['x12-set-unmapped', { segment: 'ST', segmentIndex: 3, field: 1 }],
      ['x12-set-unmapped', { segment: 'ST', segmentIndex: 12, field: 1 }],
    ]);
  });

  it('documents every finding code and every writer code in docs/x12.md', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/x12.md', import.meta.url)), 'utf8');
    const section = doc.slice(doc.indexOf('## Error codes'));
    expect(doc.indexOf('## Error codes')).to.be.greaterThan(-1);
    const sources = ['tokenizer', 'isa-header', 'reader', 'validate', 'writer', 'acks', 'ack-read', 'index', 'codes'].map((f) =>
      readFileSync(fileURLToPath(new URL(`../../../parsers/x12/${f}.ts`, import.meta.url)), 'utf8'),
    );
    const used = new Set([
      ...Object.keys(X12_FINDINGS),
      ...sources.flatMap((s) => s.match(/'x12-[a-z0-9-]+'/g) ?? []).map((c) => c.slice(1, -1)),
    ]);
    for (const code of used) expect(section, code).to.include(`| \`${code}\` |`);
  });
});
