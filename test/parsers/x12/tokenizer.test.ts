import { expect } from 'chai';
import type { Diagnostic } from '../../../lib/errors.js';
import type { X12Segment } from '../../../parsers/x12/types.js';
import { X12Tokenizer, tokenize } from '../../../parsers/x12/tokenizer.js';
import { ISA_501, prng, randomChunks, sample } from './helpers.js';

function ids(raw: Buffer | string): string[] {
  return tokenize(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw).segments.map((s) => s.segment.id);
}

function streamed(chunks: Buffer[], maxSegmentLength?: number): { segments: X12Segment[]; diagnostics: Diagnostic[] } {
  const segments: X12Segment[] = [];
  const diagnostics: Diagnostic[] = [];
  const t = new X12Tokenizer(
    { segment: (s) => segments.push(s), diagnostic: (d) => diagnostics.push(d) },
    maxSegmentLength ? { maxSegmentLength } : {},
  );
  for (const c of chunks) t.push(c);
  t.end();
  return { segments, diagnostics };
}

describe('x12 tokenizer', () => {
  it('reads * > ^ ~ delimiters from a 00501 ISA, with ISA11 as the repetition separator', () => {
    const { segments, diagnostics } = tokenize(sample('envelope/multi-group.x12'));
    expect(diagnostics).to.deep.equal([]);
    expect(segments[0]!.delimiters).to.deep.equal({ element: '*', component: '>', repetition: '^', segment: '~' });
    expect(segments.map((s) => s.segment.id).slice(0, 4)).to.deep.equal(['ISA', 'GS', 'ST', 'BEG']);
    expect(segments[0]!.segment.elements).to.have.length(17);
    expect(segments.at(-1)!.segment).to.deep.equal({ id: 'IEA', elements: ['IEA', '2', '000000103'], position: 19 });
  });

  it('reads | ^ and newline as the terminator from a 00401 ISA (ISA11 U means no repetition separator)', () => {
    const { segments, diagnostics } = tokenize(sample('envelope/pipe-caret-newline.x12'));
    expect(diagnostics).to.deep.equal([]);
    expect(segments[0]!.delimiters).to.deep.equal({ element: '|', component: '^', segment: '\n' });
    expect(segments[5]!.segment.elements).to.deep.equal(['PO1', '1', '10', 'EA', '12.5', '', 'VC', 'ITEM-100']);
  });

  it('reads control characters as delimiters', () => {
    const { segments } = tokenize(sample('envelope/control-characters.x12'));
    expect(segments[0]!.delimiters).to.deep.equal({ element: '\x1d', component: '\x1f', repetition: '\x1e', segment: '\x1c' });
    expect(segments.map((s) => s.segment.id)).to.deep.equal(['ISA', 'GS', 'ST', 'BEG', 'N1', 'PO1', 'CTT', 'SE', 'GE', 'IEA']);
  });

  it('skips a UTF-8 BOM and leading whitespace and strips CR/LF after terminators', () => {
    const { segments, diagnostics } = tokenize(sample('envelope/bom-crlf.x12'));
    expect(diagnostics).to.deep.equal([]);
    expect(segments[1]!.segment.elements[0]).to.equal('GS');
    expect(segments.every((s) => s.segment.elements.every((e) => !e.includes('\r') && !e.includes('\n')))).to.equal(true);
    expect(ids(`\r\n \t${ISA_501}\nGS*PO~`)).to.deep.equal(['ISA', 'GS']);
  });

  it('strips a CR before a newline terminator', () => {
    const isa = ISA_501.replace(/~$/, '\r\n');
    const { segments } = tokenize(Buffer.from(`${isa}GS*PO*A\r\nST*850*1\r\n`, 'latin1'));
    expect(segments.map((s) => s.segment.elements.at(-1))).to.deep.equal(['>', 'A', '1']);
  });

  it('reads several interchanges with different delimiters in one input, positions restarting at each ISA', () => {
    const raw = Buffer.concat([
      sample('envelope/pipe-caret-newline.x12'),
      sample('envelope/control-characters.x12'),
      sample('envelope/multi-group.x12'),
    ]);
    const { segments, diagnostics } = tokenize(raw);
    expect(diagnostics).to.deep.equal([]);
    const isas = segments.filter((s) => s.segment.id === 'ISA');
    expect(isas.map((s) => s.delimiters.element)).to.deep.equal(['|', '\x1d', '*']);
    expect(isas.map((s) => s.segment.position)).to.deep.equal([1, 1, 1]);
    expect(segments.filter((s) => s.segment.id === 'IEA')).to.have.length(3);
  });

  it('skips a BOM and whitespace between concatenated files', () => {
    const raw = Buffer.concat([sample('envelope/bom-crlf.x12'), Buffer.from('\r\n'), sample('envelope/bom-crlf.x12')]);
    const { segments, diagnostics } = tokenize(raw);
    expect(diagnostics).to.deep.equal([]);
    expect(segments.filter((s) => s.segment.id === 'ISA')).to.have.length(2);
    const random = prng(11);
    for (let run = 0; run < 50; run++)
      expect(streamed(randomChunks(raw, random, 5)).segments).to.deep.equal(segments.map((s) => s.segment));
  });

  it('tolerates a short unpadded ISA with a warning naming the length', () => {
    const { segments, diagnostics } = tokenize(sample('bad/short-isa.x12'));
    expect(diagnostics.map((d) => [d.severity, d.code, d.message])).to.deep.equal([
      ['warning', 'x12-isa-length', 'ISA must be 106 characters, got 69'],
    ]);
    expect(segments[0]!.delimiters).to.deep.equal({ element: '*', component: '>', repetition: '^', segment: '~' });
    expect(segments[0]!.segment.elements[6]).to.equal('HOSPERP');
    expect(segments[1]!.segment.id).to.equal('GS');
  });

  it('gives identical segments for random chunkings (seeded property test)', () => {
    const raw = Buffer.concat([
      sample('envelope/bom-crlf.x12'),
      sample('envelope/control-characters.x12'),
      sample('bad/short-isa.x12'),
      sample('envelope/pipe-caret-newline.x12'),
      sample('envelope/multi-interchange.x12'),
    ]);
    const whole = tokenize(raw);
    const random = prng(20240115);
    for (let run = 0; run < 200; run++) {
      const maxChunk = 1 + Math.floor(random() * (run % 2 === 0 ? 8 : 300));
      const result = streamed(randomChunks(raw, random, maxChunk));
      expect(result.segments).to.deep.equal(whole.segments.map((s) => s.segment));
      expect(result.diagnostics).to.deep.equal(whole.diagnostics);
    }
  });

  it('reports garbage before the first ISA once and resynchronises on the ISA', () => {
    const raw = Buffer.concat([Buffer.from([0x00, 0xff, 0x13, 0x49, 0x53]), Buffer.from('junk'), sample('envelope/multi-group.x12')]);
    const { segments, diagnostics } = tokenize(raw);
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['x12-no-isa']);
    expect(diagnostics[0]!.message).to.equal('byte 0 is 0x00; expected ISA (skipping to the next ISA)');
    expect(segments[0]!.segment.id).to.equal('ISA');
    expect(segments).to.have.length(19);
  });

  it('refuses an over-long segment, then resynchronises at its terminator', () => {
    const raw = Buffer.from(`${ISA_501}GS*PO~ST*850*0001~BEG*${'X'.repeat(5000)}~PO1*1~SE*4*0001~`, 'latin1');
    const random = prng(7);
    for (const chunks of [[raw], randomChunks(raw, random, 100), randomChunks(raw, random, 3000)]) {
      const { segments, diagnostics } = streamed(chunks, 1000);
      expect(diagnostics.map((d) => [d.code, d.location])).to.deep.equal([['x12-segment-too-long', { segment: 'BEG', segmentIndex: 4 }]]);
      expect(segments.map((s) => `${s.id}@${s.position}`)).to.deep.equal(['ISA@1', 'GS@2', 'ST@3', 'PO1@5', 'SE@6']);
    }
  });

  it('reads an unterminated last segment with a warning, and reports empty input', () => {
    const { segments, diagnostics } = tokenize(Buffer.from(`${ISA_501}GS*PO*A`, 'latin1'));
    expect(segments.map((s) => s.segment.elements)).to.deep.include(['GS', 'PO', 'A']);
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['x12-unterminated-segment']);
    expect(tokenize(Buffer.from('  \r\n')).diagnostics.map((d) => d.code)).to.deep.equal(['x12-empty-input']);
  });

  it('reports an ISA without 16 separators and a delimiter conflict', () => {
    expect(tokenize(Buffer.from('ISA*00*01~')).diagnostics.map((d) => d.code)).to.deep.equal(['x12-isa-incomplete']);
    const conflict = ISA_501.replace('*>~', '*~~');
    const found = tokenize(Buffer.from(`${conflict}GS*PO~`, 'latin1')).diagnostics.map((d) => d.code);
    expect(found).to.include('x12-delimiter-conflict');
  });

  it('survives binary garbage without throwing and bounds its findings', () => {
    const random = prng(99);
    const garbage = Buffer.alloc(200_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
    const result = tokenize(garbage);
    expect(result.diagnostics.length).to.be.lessThan(50);
    expect(result.diagnostics[0]!.code).to.equal('x12-no-isa');
  });
  it('splits elements exactly as written: short values shared, any byte, no separator (seeded property test)', () => {
    const random = prng(8500);
    const pick = (alphabet: string): string => alphabet[Math.floor(random() * alphabet.length)]!;
    // Values of 0–14 characters from an alphabet with high latin1 bytes and control characters, so that
    // many distinct 2–3 character values compete for the same slots of the short-value table.
    const alphabet = 'AB01\xe9\xff\x01 .-';
    const value = (): string => Array.from({ length: Math.floor(random() * (random() < 0.7 ? 4 : 15)) }, () => pick(alphabet)).join('');
    const ids = ['PO1', 'N1', 'REF', 'DTM', 'XY', 'ZZZ'];
    const expected: string[][] = [];
    for (let n = 0; n < 3000; n++) {
      const elements = [ids[Math.floor(random() * ids.length)]!];
      const count = random() < 0.2 ? 0 : Math.floor(random() * 12);
      for (let k = 0; k < count; k++) elements.push(value());
      expected.push(elements);
    }
    // A long run without any element separator, then segments with many.
    for (let n = 0; n < 500; n++) expected.push(['XY']);
    expected.push(['PO1', '', '', 'AB', 'AB', 'BA', '\xff\xe9', '']);
    // More elements than the splitter remembers separator positions for.
    expected.push(['REF', ...Array.from({ length: 150 }, (_, i) => (i % 7 === 0 ? '' : String(i)))]);
    const body = expected.map((e) => `${e.join('*')}~`).join('');
    const raw = Buffer.from(`${ISA_501}${body}`, 'latin1');
    const whole = tokenize(raw);
    expect(whole.diagnostics).to.deep.equal([]);
    const read = whole.segments.slice(1).map((s) => s.segment);
    expect(read.map((s) => s.elements)).to.deep.equal(expected);
    expect(read.every((s) => s.id === s.elements[0])).to.equal(true);
    for (let run = 0; run < 30; run++) {
      const result = streamed(randomChunks(raw, random, 1 + Math.floor(random() * (run % 2 === 0 ? 20 : 5000))));
      expect(result.segments.slice(1).map((s) => s.elements)).to.deep.equal(expected);
    }
  });
  it('reads an input longer than its 64 KiB decoding window the same whole or chunked, whatever falls on the window edge', () => {
    const second = ISA_501.replace(/\*/g, '|').replace('|>~', '|:!');
    const filler = Array.from({ length: 1000 }, (_, i) => `REF*ZZ*${'V'.repeat(40)}${i}~\r\n`).join('');
    const head = `${ISA_501}\r\nGS*PO~${filler}`;
    const pad = 65_536 - 200 - head.length;
    // The second ISA starts from 136 bytes before the window edge to 64 bytes after it.
    for (let shift = 0; shift <= 200; shift += 2) {
      const raw = Buffer.from(
        `${head}REF*ZZ*${'P'.repeat(pad + shift)}~\r\nIEA*1*000000777~\r\n${second}\r\nGS|PO|A!\r\nIEA|1|000000777!`,
        'latin1',
      );
      const whole = tokenize(raw);
      expect(whole.diagnostics).to.deep.equal([]);
      expect(whole.segments.map((s) => s.segment.id).slice(-5)).to.deep.equal(['REF', 'IEA', 'ISA', 'GS', 'IEA']);
      expect(whole.segments.at(-2)!.segment.elements).to.deep.equal(['GS', 'PO', 'A']);
      expect(whole.segments.at(-5)!.segment.elements[2]).to.have.length(pad + shift);
      expect(streamed(randomChunks(raw, prng(shift), 997)).segments).to.deep.equal(whole.segments.map((s) => s.segment));
    }
  });
});
