import { expect } from 'chai';
import type { Diagnostic } from '../../../lib/errors.js';
import { ackCode, ackModeOf, ackWanted, buildAck, parseHl7 } from '../../../parsers/hl7v2/index.js';
import { parseSample, parseText, sample } from './helpers.js';

const NOW = new Date(Date.UTC(2026, 10, 21, 14, 5, 2));

function segments(ack: Buffer, encoding: BufferEncoding = 'latin1'): string[][] {
  const text = ack.toString(encoding);
  expect(text.endsWith('\r')).to.equal(true);
  expect(text).to.not.include('\n');
  return text
    .slice(0, -1)
    .split('\r')
    .map((s) => s.split('|'));
}

const missingItem: Diagnostic = {
  severity: 'error',
  code: 'required-field-missing',
  message: 'FT1-7.1 is empty; expected an item number',
  location: { segment: 'FT1', segmentIndex: 7, field: 7, component: 1 },
};

describe('hl7v2 ACK builder', () => {
  it('original mode: AA with the MSH built from the original', () => {
    const original = parseSample('adt-a01-admit.hl7');
    expect(ackModeOf(original)).to.deep.equal({ mode: 'original' });
    const [msh, msa, ...rest] = segments(buildAck({ original, code: 'AA', controlId: 'IL-1', now: NOW }));
    expect(msh).to.deep.equal([
      'MSH',
      '^~\\&',
      'INTERLACE',
      'MAINHOSP',
      'ADTSYS',
      'MAINHOSP',
      '20261121140502+0000',
      '',
      'ACK^A01^ACK',
      'IL-1',
      'P',
      '2.5.1',
    ]);
    expect(msa).to.deep.equal(['MSA', 'AA', 'ADT000101']);
    expect(rest).to.deep.equal([]);
  });

  it('enhanced mode: reads MSH-15/16 and answers the commit with CA/CE/CR', () => {
    const original = parseSample('enhanced-mode.hl7');
    const mode = ackModeOf(original);
    expect(mode).to.deep.equal({ mode: 'enhanced', accept: 'AL', application: 'NE' });
    expect(ackWanted(mode.accept, true)).to.equal(true);
    expect(ackWanted(mode.application, true)).to.equal(false);
    expect(ackCode(mode.mode, 'ok')).to.equal('CA');
    expect(ackCode(mode.mode, 'error')).to.equal('CE');
    expect(ackCode(mode.mode, 'reject')).to.equal('CR');
    expect(ackCode(mode.mode, 'error', 'application')).to.equal('AE');
    expect(ackCode('original', 'reject')).to.equal('AR');
    const [msh, msa] = segments(buildAck({ original, code: 'CA', controlId: 'IL-2', now: NOW }));
    expect(msh![8]).to.equal('ACK^A08^ACK');
    expect(msh![14] ?? '').to.equal('');
    expect(msa).to.deep.equal(['MSA', 'CA', 'ENH0001']);
  });

  it('ER and SU conditions ask for acknowledgments only on error / success', () => {
    expect(ackWanted('ER', true)).to.equal(false);
    expect(ackWanted('ER', false)).to.equal(true);
    expect(ackWanted('SU', true)).to.equal(true);
    expect(ackWanted('SU', false)).to.equal(false);
    const m = parseText('MSH|^~\\&|A|B|C|D|20261121||ADT^A08|X|P|2.5|||ER|\rPID|1\r');
    expect(ackModeOf(m)).to.deep.equal({ mode: 'enhanced', accept: 'ER', application: 'AL' });
  });

  it('v2.5+: one ERR per error with location, 0357 code, severity and message', () => {
    const original = parseSample('dft-p03-hip-implant.hl7');
    const warning: Diagnostic = {
      severity: 'warning',
      code: 'bad-escape',
      message: 'x',
      location: { segment: 'PID', segmentIndex: 3, field: 5 },
    };
    const ack = segments(buildAck({ original, code: 'CE', controlId: 'IL-3', errors: [missingItem, warning], text: 'see ERR', now: NOW }));
    expect(ack[0]![8]).to.equal('ACK^P03^ACK');
    expect(ack[0]![17]).to.equal('8859/1');
    expect(ack[1]).to.deep.equal(['MSA', 'CE', 'OR20261121-0042', 'see ERR']);
    expect(ack).to.have.length(3);
    expect(ack[2]).to.deep.equal([
      'ERR',
      '',
      'FT1^2^7^1^1',
      '101^Required field missing^HL70357',
      'E',
      'required-field-missing',
      '',
      '',
      'FT1-7.1 is empty; expected an item number',
    ]);
  });

  it('includes warnings as W when asked, and escapes delimiters in messages', () => {
    const original = parseSample('adt-a01-admit.hl7');
    const warning: Diagnostic = {
      severity: 'warning',
      code: 'bad-escape',
      message: 'PID-5 a|b',
      location: { segment: 'PID', segmentIndex: 3, field: 5 },
    };
    const ack = segments(buildAck({ original, code: 'AA', controlId: 'IL-4', errors: [warning], includeWarnings: true, now: NOW }));
    expect(ack[2]).to.deep.equal(['ERR', '', 'PID^1^5^1', '102^Data type error^HL70357', 'W', 'bad-escape', '', '', 'PID-5 a\\F\\b']);
  });

  it('before v2.5: ERR-1 SEG^seq^field^code&text&HL70357 and MSH-9 without structure before 2.3.1', () => {
    const original = parseSample('adt-a04-register.hl7');
    const error: Diagnostic = { ...missingItem, location: { segment: 'PV1', segmentIndex: 4, field: 19 } };
    const ack = segments(buildAck({ original, code: 'AE', controlId: 'IL-5', errors: [error], now: NOW }));
    expect(ack[0]![8]).to.equal('ACK^A04');
    expect(ack[0]![11]).to.equal('2.3');
    expect(ack[2]).to.deep.equal(['ERR', 'PV1^1^19^101&Required field missing&HL70357']);
  });

  it('uses the original delimiters and character set', () => {
    const original = parseSample('custom-delimiters.hl7');
    const text = buildAck({ original, code: 'AA', controlId: 'IL-6', now: NOW }).toString('latin1');
    expect(text).to.equal('MSH#$*@!#ERP#MAINHOSP#ORSYS#MAINHOSP#20261121140502+0000##ACK$P03$ACK#IL-6#P#2.5.1\rMSA#AA#CUSTOM001\r');
    const trunc = parseSample('v27-truncation.hl7');
    expect(buildAck({ original: trunc, code: 'AA', controlId: 'X', now: NOW }).toString('latin1')).to.match(/^MSH\|\^~\\&#\|/);
  });

  it('best effort from raw bytes when the original could not be parsed', () => {
    const raw = Buffer.from('MSH|^~\\&|LAB|H1|IL|H1|2026||ORU^R01|CTRL9|T|2.4\rOBX|\u0000\u0001garbage');
    const ack = segments(
      buildAck({ raw, code: 'AR', controlId: 'IL-7', errors: [{ severity: 'error', code: 'binary-content', message: 'bad' }], now: NOW }),
    );
    expect(ack[0]!.slice(2, 12)).to.deep.equal(['IL', 'H1', 'LAB', 'H1', '20261121140502+0000', '', 'ACK^R01^ACK', 'IL-7', 'T', '2.4']);
    expect(ack[1]).to.deep.equal(['MSA', 'AR', 'CTRL9']);
    expect(ack[2]).to.deep.equal(['ERR', '^^^102&Data type error&HL70357']);
  });

  it('defaults when nothing readable is there', () => {
    const raw = sample('bad/binary-garbage.bin');
    const { message } = parseHl7(raw);
    const ack = segments(buildAck({ original: message, raw, code: 'AR', controlId: 'IL-8', now: NOW }));
    expect(ack[0]).to.deep.equal(['MSH', '^~\\&', '', '', '', '', '20261121140502+0000', '', 'ACK', 'IL-8', 'P', '2.5.1']);
    expect(ack[1]).to.deep.equal(['MSA', 'AR', '']);
  });

  it('reads the header of a message with broken delimiters from the raw bytes, with default delimiters', () => {
    const raw = sample('bad/wrong-delimiters.hl7');
    const ack = segments(buildAck({ raw, code: 'AR', controlId: 'IL-9', now: NOW }));
    expect(ack[0]![1]).to.equal('^~\\&');
    expect(ack[1]).to.deep.equal(['MSA', 'AR', '']);
  });

  it('caps ERR segments at 20', () => {
    const original = parseSample('adt-a01-admit.hl7');
    const many = Array.from({ length: 50 }, () => missingItem);
    expect(segments(buildAck({ original, code: 'AE', controlId: 'X', errors: many, now: NOW }))).to.have.length(22);
  });
});

describe('hl7v2 ACK builder, raw header in UTF-8', () => {
  it('copies non-ASCII header fields read from raw bytes without double encoding', () => {
    const raw = Buffer.from('MSH|^~\\&|APP|Hôpital|IL|H1|2026||ADT^A01|C1|P|2.5|||||FRA|UNICODE UTF-8\r\u0000', 'utf8');
    const ack = buildAck({ raw, code: 'AR', controlId: 'X', now: new Date(0) });
    expect(ack.toString('utf8').split('|').slice(2, 6)).to.deep.equal(['IL', 'H1', 'APP', 'Hôpital']);
  });
});
