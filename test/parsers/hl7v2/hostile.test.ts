import { expect } from 'chai';
import { buildAck, hl7v2, parseBatch, parseHl7, toTree } from '../../../parsers/hl7v2/index.js';
import { sample } from './helpers.js';

const HEAD = 'MSH|^~\\&|A|B|C|D|20261121||ADT^A08|H1|P|2.5.1\r';

function codes(raw: Buffer | string, strict = false): string[] {
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
  return parseHl7(buf, { strict }).diagnostics.map((d) => d.code);
}

/** A deterministic byte generator (no Math.random in tests). */
function* bytes(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield (x >>> 0) & 0xff;
  }
}

describe('hl7v2 hostile input: diagnostics, never a throw', () => {
  it('empty and whitespace-only input', () => {
    for (const raw of [Buffer.alloc(0), Buffer.from(' \r\n\r\n')]) {
      const { message, diagnostics } = parseHl7(raw);
      expect(message).to.equal(undefined);
      expect(diagnostics).to.deep.equal([
        { severity: 'error', code: 'empty-input', message: 'the input is empty; expected an HL7 message starting with MSH' },
      ]);
    }
  });

  it('missing MSH', () => {
    const { message, diagnostics } = parseHl7(sample('bad/no-msh.hl7'));
    expect(message).to.equal(undefined);
    expect(diagnostics[0]).to.deep.include({
      code: 'missing-msh',
      severity: 'error',
      message: "no MSH segment found; the input starts with 'EVN', expected MSH",
    });
  });

  it('binary garbage', () => {
    const { message, diagnostics } = parseHl7(sample('bad/binary-garbage.bin'));
    expect(message).to.equal(undefined);
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['missing-msh', 'binary-content']);
  });

  it('random bytes of many seeds and sizes', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const gen = bytes(seed);
      const raw = Buffer.from(Array.from({ length: (seed * 37) % 3000 }, () => gen.next().value as number));
      if (seed % 3 === 0) Buffer.from(HEAD).copy(raw, 0);
      const outcome = parseHl7(raw);
      expect(outcome.message !== undefined || outcome.diagnostics.some((d) => d.severity === 'error')).to.equal(true);
      if (outcome.message) {
        hl7v2.toCanonical(outcome.message);
        toTree(outcome.message);
      }
      parseBatch(raw);
      expect(buildAck({ original: outcome.message, raw, code: 'AR', controlId: 'X', errors: outcome.diagnostics })).to.be.instanceOf(
        Buffer,
      );
    }
  });

  it('a message truncated mid-segment', () => {
    const { message, diagnostics } = parseHl7(sample('bad/truncated-mid-segment.hl7'));
    expect(message!.segments.map((s) => s.id)).to.deep.equal(['MSH', 'EVN', 'PID', 'PV1', 'FT1', 'ZIM']);
    expect(diagnostics).to.deep.equal([
      {
        severity: 'warning',
        code: 'truncated-segment',
        message: 'the last segment (ZIM, segment 6) has no segment terminator; the message may be truncated',
        location: { segment: 'ZIM', segmentIndex: 6 },
      },
    ]);
  });

  it('a message truncated at every byte never throws', () => {
    const raw = sample('dft-p03-hip-implant.hl7');
    for (let end = 0; end <= raw.length; end += 3) {
      const { message, diagnostics } = parseHl7(raw.subarray(0, end));
      // A cut right after a segment separator looks like a complete (shorter) message.
      if (end < raw.length && raw[end - 1] !== 0x0d) expect(diagnostics.length).to.be.greaterThan(0);
      if (message) hl7v2.toCanonical(message);
    }
  });

  it('a truncated MSH: each missing required field is an error', () => {
    expect(codes(sample('bad/truncated-header.hl7'))).to.deep.equal([
      'required-field-missing',
      'required-field-missing',
      'required-field-missing',
      'required-field-missing',
      'required-field-missing',
      'truncated-segment',
    ]);
  });

  it('a 10 MB single segment is read and reported', () => {
    const big = `${HEAD}OBX|1|ED|DOC^Scan||^AP^^Base64^${'QUJD'.repeat(2.5 * 1024 * 1024)}\r`;
    const { message, diagnostics } = parseHl7(Buffer.from(big, 'latin1'));
    expect(message!.segments[1]!.fields[5]!.length).to.be.greaterThan(10_000_000);
    expect(diagnostics).to.have.length(1);
    expect(diagnostics[0]).to.deep.include({ code: 'segment-too-long', severity: 'warning' });
    expect(diagnostics[0]!.location).to.deep.equal({ segment: 'OBX', segmentIndex: 2 });
    expect(parseHl7(Buffer.from(big, 'latin1'), { maxSegmentLength: 20_000_000 }).diagnostics).to.deep.equal([]);
  });

  it('10 MB without any separator, and 10 MB of field separators', () => {
    expect(codes(Buffer.alloc(10 * 1024 * 1024, 0x41))).to.deep.equal(['missing-msh']);
    expect(codes(Buffer.concat([Buffer.from('MSH'), Buffer.alloc(10 * 1024 * 1024, 0x7c)]))).to.include('required-field-missing');
  });

  it('wrong delimiters', () => {
    const { message, diagnostics } = parseHl7(sample('bad/wrong-delimiters.hl7'));
    expect(message).to.not.equal(undefined);
    expect(diagnostics[0]).to.deep.include({ code: 'bad-delimiters', severity: 'error' });
    expect(diagnostics[0]!.location).to.deep.equal({ segment: 'MSH', segmentIndex: 1, field: 2 });
  });

  it('unsupported version and processing id (0357 codes 203 and 202)', () => {
    expect(codes(sample('bad/unsupported-version.hl7'))).to.deep.equal(['unsupported-version', 'unsupported-processing-id']);
  });

  it('content before MSH is an error, the message is still read', () => {
    const { message, diagnostics } = parseHl7(Buffer.from(`garbage line\r${HEAD}PID|1\r`));
    expect(message!.segments).to.have.length(2);
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['leading-content']);
  });

  it('invalid segment ids, control characters and blank lines', () => {
    const { diagnostics } = parseHl7(Buffer.from(`${HEAD}pid|1\rPID|1||A\u0001B\r\rPV1|1\r`, 'latin1'));
    expect(diagnostics.map((d) => [d.code, d.severity, d.location])).to.deep.equal([
      ['empty-segment', 'warning', { line: 4 }],
      ['invalid-segment-id', 'error', { segmentIndex: 2 }],
      ['binary-content', 'error', { segment: 'PID', segmentIndex: 3, field: 3 }],
    ]);
  });

  it('strict mode makes warnings errors', () => {
    const raw = Buffer.from(`${HEAD}PID|1`);
    expect(parseHl7(raw).diagnostics[0]!.severity).to.equal('warning');
    expect(parseHl7(raw, { strict: true }).diagnostics[0]!.severity).to.equal('error');
  });

  it('caps the number of findings', () => {
    const raw = Buffer.from(HEAD + 'x|1\r'.repeat(500));
    const { diagnostics } = parseHl7(raw, { maxDiagnostics: 10 });
    expect(diagnostics).to.have.length(11);
    expect(diagnostics[10]).to.deep.equal({
      severity: 'error',
      code: 'too-many-diagnostics',
      message: '490 more findings were not reported',
    });
  });

  it('never names patient data in findings', () => {
    const raw = Buffer.from(`${HEAD}PID|1||M1||SECRETNAME\u0002^X\r`, 'latin1');
    expect(JSON.stringify(parseHl7(raw).diagnostics)).to.not.include('SECRETNAME');
  });
});
