import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { parseX12, writeInterchange, x12 } from '../../../../parsers/x12/index.js';
import { transactionSets } from '../../../../parsers/x12/sets/index.js';
import { loadSample } from './x12-text.js';

async function samples(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ['850', '855', '856', '810']) {
    const files = await readdir(new URL(`../../../../samples/x12/${dir}/`, import.meta.url));
    out.push(...files.filter((f) => f.endsWith('.x12')).map((f) => `${dir}/${f}`));
  }
  return out;
}

describe('x12 sets: with the envelope reader and writer', () => {
  it('the engine reader accepts every sample and the registry maps it like the test splitter does', async () => {
    for (const file of await samples()) {
      const raw = await readFile(new URL(`../../../../samples/x12/${file}`, import.meta.url));
      const parsed = x12.parse(raw);
      expect(
        parsed.diagnostics.filter((d) => d.severity === 'error'),
        file,
      ).to.deep.equal([]);
      const mapped = x12.toCanonical(parsed.message!);
      expect(mapped.diagnostics, file).to.deep.equal([]);
      const own = await loadSample(file);
      const expected = transactionSets.find((m) => m.id === own.sets[0]!.id)!.toCanonical(own.sets[0]!).documents;
      expect(mapped.documents, file).to.deep.equal(expected);
    }
  });

  it('round-trips every sample through fromCanonical, writeInterchange and the reader', async () => {
    for (const file of await samples()) {
      const own = await loadSample(file);
      const set = own.sets[0]!;
      const mapper = transactionSets.find((m) => m.id === set.id)!;
      const [doc] = mapper.toCanonical(set).documents;
      const v5 = set.version.startsWith('005');
      const text = writeInterchange({
        sender: { qualifier: 'ZZ', id: 'NWMEDSUPPLY' },
        receiver: { qualifier: 'ZZ', id: 'LAKESHOREGEN' },
        date: new Date('2026-11-21T14:30:00Z'),
        controlNumber: 900,
        usageIndicator: 'T',
        ackRequested: false,
        version: v5 ? '00501' : '00401',
        delimiters: { element: '*', component: '>', segment: '~', ...(v5 && { repetition: '^' }) },
        groups: [
          {
            functionalId: mapper.functionalId,
            senderCode: 'NWMEDSUPPLY',
            receiverCode: 'LAKESHOREGEN',
            controlNumber: 900,
            version: set.version,
            sets: [
              { id: set.id, controlNumber: set.controlNumber, segments: mapper.fromCanonical(doc!, { version: v5 ? '005010' : '004010' }) },
            ],
          },
        ],
      });
      const reparsed = parseX12(Buffer.from(text, 'latin1'));
      expect(
        reparsed.diagnostics.filter((d) => d.severity === 'error'),
        file,
      ).to.deep.equal([]);
      const again = x12.toCanonical(reparsed.message!);
      expect(again.diagnostics, file).to.deep.equal([]);
      expect(again.documents, file).to.deep.equal([doc]);
    }
  });
});
