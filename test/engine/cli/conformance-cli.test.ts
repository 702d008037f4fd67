import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/interlace.js');

/** Runs the command line and keeps stdout as bytes (an X12 answer is bytes, not text). */
function interlace(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

describe('interlace command line: real-world files', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'interlace-conformance-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('ack writes an interchange whose terminator is 0xE2 back with that single byte and a 106-byte ISA', () => {
    const text = readFileSync(join(ROOT, 'samples/x12/850/850-004010.x12'), 'latin1').replace(/\r?\n/g, '').replace(/~/g, '\xe2');
    const file = join(tmp, 'e2.x12');
    writeFileSync(file, Buffer.from(text, 'latin1'));
    const r = interlace(['ack', file, '--config', join(ROOT, 'config')]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.subarray(0, 3).toString('latin1')).to.equal('ISA');
    expect(r.stdout[105]).to.equal(0xe2);
    expect(r.stdout.includes(Buffer.from([0xc3, 0xa2])), 'no UTF-8 encoded 0xE2').to.equal(false);
  });

  it('ack answers an interchange sent as UTF-16BE with a byte order mark in UTF-16BE, mark included', () => {
    const text = readFileSync(join(ROOT, 'samples/x12/850/850-004010.x12'), 'latin1');
    const file = join(tmp, 'utf16.x12');
    writeFileSync(file, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
    const r = interlace(['ack', file, '--config', join(ROOT, 'config')]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.subarray(0, 2)).to.deep.equal(Buffer.from([0xfe, 0xff]));
    const answer = Buffer.from(r.stdout.subarray(2)).swap16().toString('utf16le');
    expect(answer.slice(0, 4)).to.equal('ISA*');
    expect(answer).to.match(/~AK5\*A~AK9\*A\*1\*1\*1~/);
    expect(answer.endsWith('~IEA*1*000000001~\n')).to.equal(true);
  });

  const corpus = (name: string) => join(ROOT, 'test/fixtures/conformance', name);

  for (const [what, file] of [
    ['an 837 claim (X12)', 'x12/oopfactory-INS-837P-4010-Spec4.1.1PatientIsSubscriber.txt'],
    ['an ORU^R01 (HL7)', 'hl7/fhir-converter-ORU-R01-01.hl7'],
    ['a VXU^V04 (HL7)', 'hl7/fhir-converter-VXU-V04-01.hl7'],
    ['an SIU^S12 (HL7)', 'hl7/fhir-converter-SIU-S12-01.hl7'],
  ] as const) {
    it(`parse exits 0 on ${what}, valid but not mapped, with a note that no canonical document was produced`, () => {
      const r = interlace(['parse', corpus(file)]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/note: no canonical document was produced: /);
      const out = JSON.parse(r.stdout.toString('utf8')) as {
        canonical: unknown[];
        notes: string[];
        diagnostics: Array<{ severity: string }>;
      };
      expect(out.canonical).to.deep.equal([]);
      expect(out.notes.length).to.be.greaterThan(0);
      expect(out.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    });
  }

  it('parse exits 1 on malformed input, with the error and no note', () => {
    const r = interlace(['parse', corpus('hl7/linuxforhealth-sample_unix.hl7')]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/MSH.*bad-delimiters: MSH-2/);
    expect(r.stderr).not.to.match(/note:/);
  });

  it('parse reads a plain file of several HL7 messages one after the other, message by message', () => {
    const file = join(tmp, 'two.hl7');
    writeFileSync(
      file,
      Buffer.concat([
        readFileSync(corpus('hl7/fhir-converter-ADT-A01-01.hl7')),
        Buffer.from('\r'),
        readFileSync(corpus('hl7/fhir-converter-SIU-S12-01.hl7')),
      ]),
    );
    const r = interlace(['parse', file]);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout.toString('utf8')) as { batch: boolean; messages: Array<{ header: { messageType: string } }> };
    expect(out.batch).to.equal(true);
    expect(out.messages.map((m) => m.header.messageType)).to.deep.equal(['ADT^A01', 'SIU^S12']);
  });

  it('parse reads a FHIR resource whose resourceType comes late, and keeps names out of the canonical documents', () => {
    const file = join(tmp, 'patient.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'p1',
        text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(4000)}</div>` },
        name: [{ family: 'Doe' }],
        resourceType: 'Patient',
      }),
    );
    const r = interlace(['parse', file]);
    expect(r.stderr).not.to.match(/kind|does not read FHIR/);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout.toString('utf8')) as { format: string; canonical: unknown[] };
    expect(out.format).to.equal('fhir');
    expect(out.canonical).to.deep.equal([
      {
        kind: 'patient',
        identifiers: [{ value: 'Patient/p1' }],
        source: { format: 'fhir', messageType: 'Patient', version: 'R4', controlId: 'p1' },
      },
    ]);
  });
});
