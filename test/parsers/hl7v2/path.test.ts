import { expect } from 'chai';
import { MappingError } from '../../../lib/errors.js';
import {
  findSegment,
  get,
  getRaw,
  getRepetitions,
  messageHeader,
  parsePath,
  segmentsOf,
  serializeToString,
  set,
} from '../../../parsers/hl7v2/index.js';
import { parseSample, parseText } from './helpers.js';

describe('hl7v2 path access', () => {
  const dft = parseSample('dft-p03-hip-implant.hl7');

  it('parses paths as HL7 counts them', () => {
    expect(parsePath('PID-3[2].1.2')).to.deep.include({
      segment: 'PID',
      occurrence: 1,
      field: 3,
      repetition: 2,
      component: 1,
      subcomponent: 2,
    });
    expect(parsePath('FT1[3]-7.1')).to.deep.include({ segment: 'FT1', occurrence: 3, field: 7, component: 1 });
  });

  it('refuses what is not a path, naming it', () => {
    for (const bad of ['PID', 'PID-0', 'pid-3', 'PID-3.x', 'PID-3[0]', 'PID.3']) {
      expect(() => parsePath(bad))
        .to.throw(MappingError, /is not an HL7 path/)
        .with.property('code', 'invalid-path');
    }
  });

  it('reads fields, repetitions, components and subcomponents', () => {
    expect(get(dft, 'PID-3')).to.equal('MRN0012345');
    expect(get(dft, 'PID-3[2]')).to.equal('900112233');
    expect(get(dft, 'PID-3[2].4')).to.equal('SSA');
    expect(get(dft, 'FT1-7.1')).to.equal('100234');
    expect(get(dft, 'FT1[5]-7.2')).to.equal('SCREW CANCELLOUS 6.5 X 30MM & WASHER');
    expect(get(dft, 'FT1-11.1.2')).to.equal('USD');
    expect(get(dft, 'FT1-11.1')).to.equal('2450.00');
    expect(get(dft, 'FT1-99')).to.equal('');
    expect(get(dft, 'ZZZ-1')).to.equal('');
    expect(get(dft, 'MSH-1')).to.equal('|');
    expect(get(dft, 'MSH-3')).to.equal('ORSYS');
  });

  it('returns encoded text with getRaw and every repetition with getRepetitions', () => {
    expect(getRaw(dft, 'PID-3')).to.equal('MRN0012345^^^MAINHOSP^MR~900112233^^^SSA^SS');
    expect(getRaw(dft, 'PID-3[2]')).to.equal('900112233^^^SSA^SS');
    expect(getRaw(dft, 'FT1[5]-7.2')).to.equal('SCREW CANCELLOUS 6.5 X 30MM \\T\\ WASHER');
    expect(getRepetitions(dft, 'PID-3')).to.deep.equal(['MRN0012345', '900112233']);
    expect(getRepetitions(dft, 'PID-3.4')).to.deep.equal(['MAINHOSP', 'SSA']);
  });

  it('iterates segments by id and finds occurrences', () => {
    expect(segmentsOf(dft, 'FT1')).to.have.length(5);
    expect(segmentsOf(dft, 'ZIM')).to.have.length(5);
    expect(findSegment(dft, 'FT1', 4)!.fields[1]).to.equal('4');
    expect(findSegment(dft, 'FT1', 6)).to.equal(undefined);
  });

  it('writes deep positions, padding with empty fields and components, escaping the value', () => {
    const m = parseText('MSH|^~\\&|A|B|C|D|20261121||ADT^A08|X|P|2.5\rPID|1\r');
    set(m, 'PID-3[2].4.2', 'a&b');
    expect(serializeToString(m)).to.equal('MSH|^~\\&|A|B|C|D|20261121||ADT^A08|X|P|2.5\rPID|1||~^^^&a\\T\\b\r');
    expect(get(m, 'PID-3[2].4.2')).to.equal('a&b');
  });

  it('appends a segment one past the last occurrence and refuses gaps and MSH-1/2', () => {
    const m = parseText('MSH|^~\\&|A|B|C|D|20261121||ADT^A08|X|P|2.5\rNTE|1|x\r');
    set(m, 'NTE[2]-3', 'second');
    expect(serializeToString(m).endsWith('NTE|1|x\rNTE|||second\r')).to.equal(true);
    expect(() => set(m, 'NTE[4]-3', 'x')).to.throw(MappingError, /does not exist/);
    expect(() => set(m, 'MSH-2', '^~')).to.throw(MappingError, /delimiters/);
  });

  it('gives the header helpers', () => {
    const h = messageHeader(parseSample('enhanced-mode.hl7'));
    expect(h).to.deep.equal({
      controlId: 'ENH0001',
      sender: 'ORSYS^MAINHOSP',
      receiver: 'ERP^MAINHOSP',
      messageType: 'ADT^A08',
      version: '2.5.1',
      type: 'ADT',
      event: 'A08',
      timestamp: '20261121143005',
      processingId: 'P',
      acceptAckType: 'AL',
      applicationAckType: 'NE',
    });
    expect(messageHeader(parseSample('latin1-8859-1.hl7')).charset).to.equal('8859/1');
  });
});
