import { expect } from 'chai';
import { fromImplied, normalizeDecimal, toImplied } from '../../../../parsers/x12/sets/common/decimal.js';
import { setDiagnosticCodes, setFindings } from '../../../../parsers/x12/sets/index.js';

describe('x12 sets: numbers and codes', () => {
  it('reads R values into canonical decimals without floating point', () => {
    expect(normalizeDecimal('.5')).to.equal('0.5');
    expect(normalizeDecimal('+3')).to.equal('3');
    expect(normalizeDecimal('10.')).to.equal('10');
    expect(normalizeDecimal('007.250')).to.equal('7.250');
    expect(normalizeDecimal('-0')).to.equal('0');
    expect(normalizeDecimal('0.1000000000000000055511151231257827')).to.equal('0.1000000000000000055511151231257827');
    for (const bad of ['', '.', '-', '1,5', '1e3', '12a', '1.2.3', ' ']) expect(normalizeDecimal(bad), bad).to.equal(undefined);
  });

  it('converts implied decimals exactly both ways, including amounts beyond 2^53', () => {
    expect(fromImplied('12550', 2)).to.equal('125.50');
    expect(fromImplied('7', 2)).to.equal('0.07');
    expect(fromImplied('-1', 2)).to.equal('-0.01');
    expect(fromImplied('900719925474099312', 2)).to.equal('9007199254740993.12');
    expect(fromImplied('12.50', 2)).to.equal(undefined);
    expect(toImplied('125.5', 2)).to.equal('12550');
    expect(toImplied('0.07', 2)).to.equal('7');
    expect(toImplied('-5', 2)).to.equal('-500');
    expect(toImplied('9007199254740993.12', 2)).to.equal('900719925474099312');
    expect(toImplied('1.005', 2)).to.equal(undefined);
    expect(toImplied('1.000', 2)).to.equal('100');
  });

  it('maps every segment-level code to an AK304/IK304 value and every element code to AK403/IK403, or none', () => {
    for (const [code, entry] of Object.entries(setDiagnosticCodes)) {
      expect(code).to.match(/^x12-[a-z0-9-]+$/);
      if (entry.ack !== undefined) expect(entry.ack, code).to.match(entry.level === 'segment' ? /^[1-8]$/ : /^([1-9]|1[0-3])$/);
    }
    expect(setDiagnosticCodes['x12-segment-missing'].ack).to.equal('3');
    expect(setDiagnosticCodes['x12-element-missing'].ack).to.equal('1');
  });

  it("offers the codes in the envelope reader's finding shape for the 997/999 builder", () => {
    expect(setFindings['x12-segment-missing']).to.include({ level: 'segment', ak304: '3' });
    expect(setFindings['x12-element-invalid-date']).to.include({ level: 'element', ak304: '8', ak403: '8' });
    expect(setFindings['x12-hl-orphan-parent']).to.include({ level: 'element', ak403: '7' });
    expect(setFindings['x12-total-mismatch']!.level).to.equal('document');
    expect(Object.keys(setFindings)).to.deep.equal(Object.keys(setDiagnosticCodes));
  });
});
