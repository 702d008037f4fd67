import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X12Parser } from 'node-x12';
import { ackModeOf } from '../../parsers/hl7v2/index.js';
import { forNodeX12, hl7AckLines, hl7Answer, ourFields, ourMessages, positive, x12Answer } from './summary.js';

/**
 * The conformance corpus: public sample files from other projects' test data (test/fixtures/
 * conformance, SOURCES.tsv says where each comes from, at which commit, under which license, and its
 * SHA-256). Every file is answered as its row says: valid files get a wholly positive answer, bad
 * ones the rejection written there. Two independent readers check us: Debian's python3-hl7 reads
 * every field of every valid HL7 message, and node-x12 in strict mode checks X12 envelopes.
 */

const ROOT = fileURLToPath(new URL('../fixtures/conformance/', import.meta.url));
type Row = {
  file: string;
  verdict: 'valid' | 'bad';
  answer: string;
  repository: string;
  path: string;
  commit: string;
  license: string;
  sha256: string;
};

function rows(): Row[] {
  const [header, ...lines] = readFileSync(join(ROOT, 'SOURCES.tsv'), 'utf8').trimEnd().split('\n');
  const names = header!.split('\t');
  return lines.map((line) => Object.fromEntries(line.split('\t').map((v, i) => [names[i], v])) as Row);
}

/** The repository column of files written for the corpus (their path column names the failure class). */
const WRITTEN_HERE = 'written-here';
const corpus = rows();
const hl7 = corpus.filter((r) => r.file.startsWith('hl7/'));
const x12 = corpus.filter((r) => r.file.startsWith('x12/'));
const bytes = (r: Row) => readFileSync(join(ROOT, r.file));

/**
 * Where node-x12 1.7.1 strict and Interlace disagree on whether an interchange envelope is sound,
 * and why Interlace is right. Checked both ways: a file listed here must still disagree.
 */
const NODE_X12_DIFFERS: Record<string, string> = {
  'x12/pyx12-mult_isa.txt': 'an 835 of ST and SE alone (no BPR, TRN, N1 loops): node-x12 reads envelopes, not the 835 set',
  'x12/pyx12-mult_trn.txt': 'an 835 of ST and SE alone (no BPR, TRN, N1 loops): node-x12 reads envelopes, not the 835 set',
  'x12/oopfactory-INS-835-5010-Example1.txt':
    'its last CLP ends after CLP02 (CLP03 and CLP04 are mandatory): node-x12 does not check elements',
  'x12/node-x12-271.edi': 'truncated (no SE, GE, IEA): node-x12 strict accepts a truncated file',
  'x12/pyx12-explicit_missing.txt': 'no SE, GE or IEA: node-x12 strict accepts a truncated file',
  'x12/oopfactory-INS-277-5010-FromBogeyone.txt': 'truncated in the middle of a set: node-x12 strict accepts it',
  'x12/pyx12-bad_2010AA_bug.txt': 'ISA03 01 (password) with an empty ISA04: node-x12 does not check ISA elements (TA105 013)',
  'x12/pyx12-per_repeat.txt': 'ISA03 01 (password) with an empty ISA04: node-x12 does not check ISA elements (TA105 013)',
  'x12/oopfactory-ORD-846-Example1.txt': 'ISA11 is a space in 00401 (expected U): node-x12 does not check ISA elements (TA105 016)',
  'x12/oopfactory-INS-271-5010-Example312.txt': 'ISA11 and ISA16 are both ^: node-x12 does not check delimiter conflicts (TA105 026)',
  'x12/oopfactory-INS-837I-5010-Spec3.1.1.txt': 'ISA11 and ISA16 are both ^: node-x12 does not check delimiter conflicts (TA105 026)',
  'x12/oopfactory-Acknowledgments-TechnicalAcknowledgmentSample1.txt':
    'an interchange carrying only a TA1: node-x12 refuses a TA1 outside a functional group, where the standard puts it',
  'x12/oopfactory-ORD-820-Example5Wikipedia.txt':
    'GE02 is "987600111 " (a trailing space): Interlace compares control numbers without padding, node-x12 compares the raw text',
};

function nodeX12Bad(raw: Buffer): string | undefined {
  try {
    new X12Parser(true).parse(forNodeX12(raw));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('conformance corpus: public files from other projects', function () {
  this.timeout(300_000);

  it('holds at least 50 HL7 v2 messages and 50 X12 interchanges, valid and known-bad, each with its source and license', () => {
    const messages = hl7.reduce((n, r) => n + Math.max(1, ourMessages(bytes(r)).length), 0);
    const interchanges = x12.reduce((n, r) => n + r.answer.split(' || ').length, 0);
    expect(messages, 'HL7 v2 messages').to.be.at.least(50);
    expect(interchanges, 'X12 interchanges').to.be.at.least(50);
    for (const list of [hl7, x12]) {
      expect(list.filter((r) => r.verdict === 'valid').length).to.be.at.least(10);
      expect(list.filter((r) => r.verdict === 'bad').length).to.be.at.least(5);
    }
    const licenses = new Set(['MIT', 'BSD-3-Clause', 'Apache-2.0', 'CDDL-1.0']);
    for (const r of corpus) {
      if (r.repository === WRITTEN_HERE) {
        // Written for this corpus (a failure class no public suite had): Interlace's own license, no commit.
        expect([r.license, r.commit, r.verdict], r.file).to.deep.equal(['Apache-2.0', '-', 'bad']);
        expect(r.path, `${r.file}: the failure class it stands for`).to.match(/\w{3}/);
        continue;
      }
      expect(licenses.has(r.license), `${r.file} license ${r.license}`).to.equal(true);
      expect(r.commit, r.file).to.match(/^[0-9a-f]{40}$/);
      expect(r.repository, r.file).to.match(/^[\w.-]+\/[\w.-]+$/);
      expect(existsSync(join(ROOT, 'LICENSES', `${r.repository.replace('/', '+')}.txt`)), `license text of ${r.repository}`).to.equal(true);
    }
  });

  it('keeps every file byte for byte as published (SHA-256 in SOURCES.tsv)', () => {
    for (const r of corpus) expect(createHash('sha256').update(bytes(r)).digest('hex'), r.file).to.equal(r.sha256);
  });

  for (const [format, list, answerOf, positiveIs] of [
    ['X12', x12, x12Answer, 'wholly accepted (TA1 A, every AK9 and AK5 A)'],
    ['HL7', hl7, hl7Answer, 'AA/CA for every message'],
  ] as const) {
    it(`answers every ${format} file as its row says: valid ones ${positiveIs}, bad ones with the rejection written there`, () => {
      const wrong: string[] = [];
      for (const r of list) {
        const answer = answerOf(bytes(r));
        if (answer !== r.answer) wrong.push(`${r.file}: expected "${r.answer}", got "${answer}"`);
        if (positive(r.answer) !== (r.verdict === 'valid')) wrong.push(`${r.file}: the row says ${r.verdict} but "${r.answer}"`);
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  it('holds known-bad HL7 files of at least 30 distinct failure classes', () => {
    const bad = hl7.filter((r) => r.verdict === 'bad');
    const classes = new Set(bad.map((r) => (r.repository === WRITTEN_HERE ? r.path : `${r.answer} (${r.repository})`)));
    expect(bad.length).to.be.at.least(30);
    expect(classes.size, [...classes].join('\n')).to.be.at.least(30);
  });

  it('answers every known-bad HL7 file over MLLP with the MSA and ERR segments in hl7-acks/ (one sentence each, never a stack)', async () => {
    const wrong: string[] = [];
    for (const r of hl7.filter((row) => row.verdict === 'bad')) {
      const expected = readFileSync(join(ROOT, 'hl7-acks', `${r.file.slice(4).replace(/\.hl7$/, '')}.txt`), 'latin1');
      const got = await hl7AckLines(bytes(r));
      if (got !== expected) wrong.push(`${r.file}:\n  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(got)}`);
      const lines = got.split('\n').filter(Boolean);
      if (lines.length === 0) {
        // Nothing is sent only when the sender asked for no accept acknowledgment (MSH-15 NE).
        if (!ourMessages(bytes(r)).some((m) => ackModeOf(m).accept === 'NE')) wrong.push(`${r.file}: no acknowledgment`);
        continue;
      }
      if (!/^MSA\|(AR|AE|CR|CE)\|/.test(lines[0]!)) wrong.push(`${r.file}: ${lines[0]} is not a rejection`);
      const errs = lines.filter((l) => l.startsWith('ERR|'));
      if (errs.length === 0) wrong.push(`${r.file}: no ERR segment`);
      for (const err of errs) {
        const sentence = err.split('|')[8] ?? '';
        if (!/^[a-zA-Z0-9'].{10,}[^.]$/.test(sentence) || /\bat \S+ \(|Error:|\n/.test(sentence))
          wrong.push(`${r.file}: ERR-8 "${sentence}"`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('reads every field of every valid HL7 message as python3-hl7 does', function () {
    const valid = hl7.filter((r) => r.verdict === 'valid');
    const run = spawnSync(
      '/usr/bin/python3',
      [fileURLToPath(new URL('./python-hl7-fields.py', import.meta.url)), ...valid.map((r) => join(ROOT, r.file))],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
    );
    expect(run.status, `python3-hl7 (Debian python3-hl7) did not run: ${run.stderr}`).to.equal(0);
    const theirs = JSON.parse(run.stdout) as Record<string, string[][][] | { error: string }>;
    let fields = 0;
    let trailingBlanks = 0;
    const differ: string[] = [];
    for (const r of valid) {
      const other = theirs[join(ROOT, r.file)];
      if (!other || !Array.isArray(other)) {
        differ.push(`${r.file}: python3-hl7 could not read it (${JSON.stringify(other)})`);
        continue;
      }
      const ours = ourMessages(bytes(r)).map(ourFields);
      const trim = (m: string[][]) => m.filter((s) => s.length > 1 || s[0] !== '');
      if (ours.length !== other.length) differ.push(`${r.file}: ${ours.length} messages, python3-hl7 ${other.length}`);
      ours.forEach((m, i) => {
        const a = trim(m);
        const b = trim(other[i] ?? []);
        if (a.length !== b.length) differ.push(`${r.file} message ${i + 1}: ${a.length} segments, python3-hl7 ${b.length}`);
        a.forEach((seg, j) => {
          fields += seg.length;
          if (JSON.stringify(seg) === JSON.stringify(b[j])) return;
          // python3-hl7 drops blanks at the end of a segment; Interlace keeps every byte (raw is sacred).
          const trimmed = [...seg.slice(0, -1), seg.at(-1)!.replace(/\s+$/, '')];
          if (JSON.stringify(trimmed) === JSON.stringify(b[j])) trailingBlanks++;
          else differ.push(`${r.file} message ${i + 1} segment ${j + 1} (${seg[0]}) differs`);
        });
      });
    }
    expect(differ).to.deep.equal([]);
    expect(fields).to.be.greaterThan(5000);
    expect(trailingBlanks, 'segments ending in blanks (kept by Interlace, dropped by python3-hl7)').to.be.at.most(2);
  });

  it('agrees with node-x12 strict on every X12 envelope, except the differences listed with their reason', () => {
    const agreements: string[] = [];
    const unexplained: string[] = [];
    for (const r of x12) {
      const theirs = nodeX12Bad(bytes(r));
      const oursBad = r.verdict === 'bad';
      const reason = NODE_X12_DIFFERS[r.file];
      const agree = (theirs !== undefined) === oursBad;
      if (agree && reason === undefined) agreements.push(r.file);
      else if (!agree && reason === undefined)
        unexplained.push(`${r.file}: Interlace ${r.verdict} ("${r.answer}"), node-x12 ${theirs ?? 'accepts'}`);
      else if (agree && reason !== undefined) unexplained.push(`${r.file}: listed as a difference but both agree now`);
    }
    expect(unexplained).to.deep.equal([]);
    expect(agreements.length + Object.keys(NODE_X12_DIFFERS).length).to.equal(x12.length);
  });
});
