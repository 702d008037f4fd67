import { expect } from 'chai';
import { get, getRaw, parseHl7, serialize, set, toTree } from '../../../parsers/hl7v2/index.js';
import { parseSample } from './helpers.js';

describe('hl7v2 delimiters, truncation character and nulls', () => {
  it('reads custom delimiters from MSH-1 / MSH-2 (MSH#$*@!)', () => {
    const m = parseSample('custom-delimiters.hl7');
    expect(m.delimiters).to.deep.equal({ field: '#', component: '$', repetition: '*', escape: '@', subcomponent: '!' });
    expect(get(m, 'MSH-1')).to.equal('#');
    expect(get(m, 'MSH-2')).to.equal('$*@!');
    expect(get(m, 'MSH-9.2')).to.equal('P03');
    expect(get(m, 'PID-3[2].1')).to.equal('ALT0001');
    expect(get(m, 'PID-3[2].4')).to.equal('OTHER');
    expect(get(m, 'FT1-7.2')).to.equal('GAUZE PACK 4#4');
    expect(get(m, 'FT1-11.1.2')).to.equal('USD');
  });

  it("writes values with the message's own delimiters", () => {
    const m = parseSample('custom-delimiters.hl7');
    set(m, 'FT1-7.2', 'PACK $5 # 2');
    expect(getRaw(m, 'FT1-7')).to.equal('300001$PACK @S@5 @F@ 2$SUPPLY');
    expect(get(m, 'FT1-7.2')).to.equal('PACK $5 # 2');
  });

  it('reads the v2.7 truncation character (5th character of MSH-2)', () => {
    const m = parseSample('v27-truncation.hl7');
    expect(m.delimiters.truncation).to.equal('#');
    expect(get(m, 'MSH-2')).to.equal('^~\\&#');
    expect(get(m, 'NTE-3')).to.equal('hash written as # and a long note cut off here#');
    set(m, 'NTE-3', 'a # b');
    expect(getRaw(m, 'NTE-3')).to.equal('a \\P\\ b');
  });

  it('keeps an explicit null "" distinct from an empty field', () => {
    const m = parseSample('adt-a08-update-nulls.hl7');
    expect(get(m, 'PID-11')).to.equal(null);
    expect(get(m, 'PID-12')).to.equal('');
    expect(get(m, 'PID-13')).to.equal(null);
    expect(get(m, 'PV1-8')).to.equal(null);
    const tree = toTree(m) as any;
    expect(tree.PID.PID_11).to.equal(null);
    expect(tree.PID).to.not.have.property('PID_12');
    set(m, 'PID-12', null);
    expect(getRaw(m, 'PID-12')).to.equal('""');
  });

  it('keeps subcomponents and Z-segments as received', () => {
    const m = parseSample('adt-a08-update-nulls.hl7');
    expect(get(m, 'ZPI-2.1.2')).to.equal('TIER');
    expect(get(m, 'ZPI-3')).to.equal('remark with \\ backslash');
    expect(serialize(m).toString('latin1')).to.include('ZPI|1|LOYALTY&TIER&GOLD|remark with \\E\\ backslash\r');
  });

  it('reports repeated or alphanumeric encoding characters', () => {
    const { message, diagnostics } = parseHl7(Buffer.from('MSH|^^\\&|A|B|C|D|20261121||ADT^A01|X|P|2.5\r'));
    expect(message).to.not.equal(undefined);
    expect(diagnostics.find((d) => d.code === 'bad-delimiters')).to.include({ severity: 'error' });
    const alpha = parseHl7(Buffer.from('MSH|ABCD|A|B\r'));
    expect(alpha.diagnostics.map((d) => d.code)).to.include('bad-delimiters');
  });

  it('reports a field separator that is a letter', () => {
    const { message, diagnostics } = parseHl7(Buffer.from('MSHX^~\\&XAXB\r'));
    expect(message).to.equal(undefined);
    expect(diagnostics[0]).to.include({ code: 'bad-delimiters', severity: 'error' });
    expect(diagnostics[0]!.location).to.include({ segment: 'MSH', field: 1 });
  });

  it('accepts a message with only three encoding characters, warning about it', () => {
    const raw = Buffer.from('MSH|^~\\|A|B|C|D|20261121||ADT^A08|X|P|2.3\rPID|1||a&b\r');
    const { message: m, diagnostics } = parseHl7(raw);
    expect(diagnostics.map((d) => [d.code, d.severity])).to.deep.equal([['bad-delimiters', 'warning']]);
    expect(m!.delimiters.subcomponent).to.equal('');
    expect(serialize(m!).equals(raw)).to.equal(true);
    expect(get(m!, 'PID-3')).to.equal('a&b');
  });
});
