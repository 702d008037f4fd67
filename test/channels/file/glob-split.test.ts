import { expect } from 'chai';
import { globMatcher, globProblem, globToRegExp, splitInterchanges } from '../../../channels/file/index.js';
import { interchange, isa } from './support.js';

describe('file source glob', () => {
  it('matches *, ? and {a,b} and nothing else', () => {
    const m = globMatcher('*.{x12,edi}');
    expect(['po.x12', 'a.b.edi', '.x12'].map(m)).to.deep.equal([true, true, true]);
    expect(['po.x12.tmp', 'po.X12', 'po.txt', 'x12'].map(m)).to.deep.equal([false, false, false, false]);
    const q = globMatcher('PO_????.txt');
    expect([q('PO_0001.txt'), q('PO_001.txt'), q('PO_00012.txt')]).to.deep.equal([true, false, false]);
  });

  it('takes regular-expression characters literally', () => {
    const m = globMatcher('a+(b).[c]$');
    expect(m('a+(b).[c]$')).to.equal(true);
    expect(m('aa(b)x[c]')).to.equal(false);
    expect(globToRegExp('a,b').test('a,b')).to.equal(true);
  });

  it('matches when any pattern of a list matches', () => {
    const m = globMatcher(['*.x12', 'ORDERS_*']);
    expect([m('1.x12'), m('ORDERS_7.csv'), m('7.csv')]).to.deep.equal([true, true, false]);
  });

  it('reports broken patterns with what was expected', () => {
    expect(globProblem('*.{x12')).to.include('{ without }');
    expect(globProblem('a}')).to.include('} without {');
    expect(globProblem('{a,{b}}')).to.include('nests braces');
    expect(globProblem('in/*.x12')).to.include('path separator');
    expect(globProblem('')).to.include('empty');
    expect(globProblem('*.x12')).to.equal(undefined);
    expect(() => globToRegExp('{a')).to.throw(/without }/);
  });
});

describe('file source X12 interchange split', () => {
  it('cuts a file into interchanges whose bytes put together are the file', () => {
    const text = `\uFEFF${interchange('1', 'ALPHA', '\r\n')}\r\n${interchange('2', 'BETA')}\n${interchange('3')}\n`;
    const raw = Buffer.from(text, 'utf8');
    const units = splitInterchanges(raw);
    expect(units.map((u) => [u.controlNumber, u.senderId])).to.deep.equal([
      ['000000001', 'ALPHA'],
      ['000000002', 'BETA'],
      ['000000003', 'SENDER'],
    ]);
    expect(Buffer.concat(units.map((u) => u.raw)).equals(raw)).to.equal(true);
    expect(units[1]!.raw.toString('latin1').startsWith('ISA*')).to.equal(true);
    expect(units[2]!.raw.toString('latin1')).to.equal(`${interchange('3')}\n`);
  });

  it("uses each interchange's own separators", () => {
    const second = interchange('9', 'PIPE').replaceAll('*', '|').replaceAll('~', '\n');
    const units = splitInterchanges(Buffer.from(`${interchange('8')}${second}`, 'latin1'));
    expect(units.map((u) => u.controlNumber)).to.deep.equal(['000000008', '000000009']);
  });

  it('starts a new interchange at an ISA even when the previous one has no IEA', () => {
    const cut = interchange('1').replace(/IEA\*1\*000000001~$/, '');
    const units = splitInterchanges(Buffer.from(cut + interchange('2'), 'latin1'));
    expect(units.map((u) => u.controlNumber)).to.deep.equal(['000000001', '000000002']);
    expect(units[0]!.raw.toString('latin1')).to.equal(cut);
  });

  it('keeps a file that is not X12, or an ISA cut short, as one unit', () => {
    const notX12 = Buffer.from('MSH|^~\\&|A|B\r');
    expect(splitInterchanges(notX12)).to.deep.equal([{ raw: notX12 }]);
    const short = Buffer.from(isa('1').slice(0, 50), 'latin1');
    const units = splitInterchanges(short);
    expect(units).to.have.length(1);
    expect(units[0]!.controlNumber).to.equal(undefined);
    expect(units[0]!.raw.equals(short)).to.equal(true);
  });

  it('does not take ISA inside an element for a new interchange', () => {
    const text = interchange('1').replace('BEG*00*SA*PO1', 'BEG*00*SA*ISA*1');
    expect(splitInterchanges(Buffer.from(text, 'latin1'))).to.have.length(1);
  });
});
