import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { transactionSets } from '../../../../parsers/x12/sets/index.js';
import { joinSet, loadSample, splitSet } from './x12-text.js';

const dirs = ['850', '855', '856', '810', '835'] as const;

async function sampleFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    const files = await readdir(new URL(`../../../../samples/x12/${dir}/`, import.meta.url));
    out.push(...files.filter((f) => f.endsWith('.x12')).map((f) => `${dir}/${f}`));
  }
  return out;
}

describe('x12 sets: samples', () => {
  it('has a 004010 and a 005010 sample and a CRLF sample for every set', async () => {
    const files = await sampleFiles();
    for (const dir of dirs) {
      expect(
        files.some((f) => f.startsWith(`${dir}/`) && f.includes('004010')),
        `${dir} 004010`,
      ).to.equal(true);
      expect(
        files.some((f) => f.startsWith(`${dir}/`) && f.includes('005010')),
        `${dir} 005010`,
      ).to.equal(true);
      expect(
        files.some((f) => f.startsWith(`${dir}/`) && f.includes('crlf')),
        `${dir} crlf`,
      ).to.equal(true);
    }
  });

  it('every sample is a complete interchange: ISA of 106 characters, correct SE/GE/IEA counts', async () => {
    for (const file of await sampleFiles()) {
      const x = await loadSample(file);
      expect(x.isa, file).to.have.length(106);
      expect(x.problems, file).to.deep.equal([]);
      expect(x.sets, file).to.have.length(1);
      expect(x.segments.at(-1)!.id, file).to.equal('IEA');
      const version = x.sets[0]!.version;
      expect(x.isa.slice(84, 89), file).to.equal(version.startsWith('005') ? '00501' : '00401');
      expect(file.includes(version), `${file} is named after GS08 ${version}`).to.equal(true);
    }
  });

  it('CRLF samples carry CR LF after every segment terminator', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const file of (await sampleFiles()).filter((f) => f.includes('crlf'))) {
      const text = await readFile(new URL(`../../../../samples/x12/${file}`, import.meta.url), 'latin1');
      const terminators = text.split('~').length - 1;
      expect(text.split('~\r\n').length - 1, file).to.equal(terminators);
    }
  });

  it('maps every sample without diagnostics and round-trips X12 → canonical → X12 → canonical', async () => {
    for (const file of await sampleFiles()) {
      const x = await loadSample(file);
      const set = x.sets[0]!;
      const mapper = transactionSets.find((m) => m.id === set.id)!;
      const first = mapper.toCanonical(set);
      expect(first.diagnostics, file).to.deep.equal([]);
      expect(first.documents, file).to.have.length(1);
      const version = set.version.startsWith('005') ? '005010' : '004010';
      const body = mapper.fromCanonical(first.documents[0]!, { version, component: x.delimiters.component });
      expect(
        body.some((s) => s[0] === 'ST' || s[0] === 'SE'),
        file,
      ).to.equal(false);
      const text = joinSet(set.id, set.controlNumber, body, x.delimiters);
      const second = mapper.toCanonical(splitSet(text, x.delimiters, set.version, set.functionalId));
      expect(second.diagnostics, file).to.deep.equal([]);
      expect(second.documents, file).to.deep.equal(first.documents);
    }
  });

  it('a CRLF sample maps to the same document as its twin without line breaks', async () => {
    const pairs = [
      ['850/850-004010.x12', '850/850-004010-crlf.x12'],
      ['855/855-005010.x12', '855/855-005010-crlf.x12'],
      ['856/856-sopi-004010.x12', '856/856-sopi-004010-crlf.x12'],
      ['810/810-005010.x12', '810/810-005010-crlf.x12'],
      ['835/835-005010.x12', '835/835-005010-crlf.x12'],
    ];
    for (const [plain, crlf] of pairs) {
      const [a, b] = [await loadSample(plain!), await loadSample(crlf!)];
      const mapper = transactionSets.find((m) => m.id === a.sets[0]!.id)!;
      const [docA, docB] = [mapper.toCanonical(a.sets[0]!).documents[0]!, mapper.toCanonical(b.sets[0]!).documents[0]!];
      expect({ ...docB, source: undefined }).to.deep.equal({ ...docA, source: undefined });
    }
  });

  it('lists the five mappers with their ST01, GS01 and canonical kind', () => {
    expect(transactionSets.map((m) => [m.id, m.functionalId, m.kind])).to.deep.equal([
      ['850', 'PO', 'purchase-order'],
      ['855', 'PR', 'po-ack'],
      ['856', 'SH', 'ship-notice'],
      ['810', 'IN', 'invoice'],
      ['835', 'HP', 'claim-payment'],
    ]);
  });
});
