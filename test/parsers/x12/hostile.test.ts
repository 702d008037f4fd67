import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Diagnostic } from '../../../lib/errors.js';
import { X12Reader, parseX12 } from '../../../parsers/x12/reader.js';
import { X12Tokenizer } from '../../../parsers/x12/tokenizer.js';
import { ISA_501, prng } from './helpers.js';

const MB = 1024 * 1024;
/** A generous bound on heap growth for streamed inputs of 100 MB and more (a memory bound, not a timing). */
const HEAP_BOUND = 200 * MB;

// Memory held, not garbage not yet collected: every reading follows a full collection (the flag is
// set at run time so the test needs no node option; it still passes within the whole suite, whose
// other tests leave garbage behind at unpredictable times).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Heap in use after a full collection. */
function heldHeap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

function heapGrowth(start: number): number {
  return heldHeap() - start;
}

describe('x12 hostile input', function () {
  this.timeout(300_000);

  it('refuses a 100 MB single segment with constant memory and reads on after it', () => {
    const start = heldHeap();
    let peak = 0;
    const diagnostics: Diagnostic[] = [];
    const ids: string[] = [];
    const tokenizer = new X12Tokenizer({ segment: (s) => ids.push(s.id), diagnostic: (d) => diagnostics.push(d) });
    tokenizer.push(Buffer.from(`${ISA_501}GS*PO*S*R*20240101*1200*1*X*005010~ST*850*0001~BEG*`, 'latin1'));
    const filler = Buffer.alloc(MB, 'A');
    for (let i = 0; i < 100; i++) {
      tokenizer.push(filler);
      if (i % 10 === 9) peak = Math.max(peak, heapGrowth(start));
    }
    tokenizer.push(Buffer.from('~SE*3*0001~GE*1*1~IEA*1*000000777~', 'latin1'));
    tokenizer.end();
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['x12-segment-too-long']);
    expect(ids).to.deep.equal(['ISA', 'GS', 'ST', 'SE', 'GE', 'IEA']);
    expect(peak).to.be.lessThan(HEAP_BOUND);
  });

  it('streams 10^6 segments with bounded memory and hands out every set', () => {
    const start = heldHeap();
    let peak = 0;
    let sets = 0;
    let segments = 0;
    const findings: Diagnostic[] = [];
    const reader = new X12Reader({
      set: (s) => {
        sets++;
        segments += s.segmentCount;
      },
      diagnostic: (d) => findings.push(d),
      interchange: (ic) => findings.push(...ic.diagnostics),
    });
    const setCount = 1000;
    const body = Array.from({ length: 997 }, (_, i) => `PO1*${i + 1}*1*EA*9.99**VC*ITEM-${i}~`).join('');
    reader.push(Buffer.from(`${ISA_501}GS*PO*S*R*20240101*1200*1*X*005010~`, 'latin1'));
    for (let n = 1; n <= setCount; n++) {
      const control = String(n).padStart(4, '0');
      reader.push(Buffer.from(`ST*850*${control}~BEG*00*SA*PO${n}~${body}SE*1000*${control}~`, 'latin1'));
      if (n % 100 === 0) peak = Math.max(peak, heapGrowth(start));
    }
    reader.push(Buffer.from(`GE*${setCount}*1~IEA*1*000000777~`, 'latin1'));
    reader.end();
    expect(findings).to.deep.equal([]);
    expect([sets, segments]).to.deep.equal([setCount, 1_000_000]);
    expect(Math.max(peak, heapGrowth(start))).to.be.lessThan(HEAP_BOUND);
  });

  it('streams 100 MB of binary garbage without throwing, with a bounded number of findings', () => {
    const start = heldHeap();
    const random = prng(1234);
    const chunk = Buffer.alloc(MB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = Math.floor(random() * 256);
    let documentFindings = 0;
    const reader = new X12Reader({ diagnostic: () => documentFindings++ });
    for (let i = 0; i < 100; i++) reader.push(chunk);
    reader.end();
    expect(documentFindings).to.be.greaterThan(0);
    expect(documentFindings).to.be.at.most(200);
    expect(heapGrowth(start)).to.be.lessThan(HEAP_BOUND);
  });

  it('survives garbage inside an interchange: bounded findings per envelope level', () => {
    const random = prng(5);
    const garbage = Buffer.alloc(2 * MB);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
    const raw = Buffer.concat([Buffer.from(`${ISA_501}GS*PO*S*R*20240101*1200*1*X*005010~ST*850*0001~`, 'latin1'), garbage]);
    const outcome = parseX12(raw);
    const set = outcome.message!.interchanges[0]!.groups[0]!.sets[0]!;
    expect(set.diagnostics.length).to.be.at.most(201);
    expect(set.diagnostics.at(-1)!.code).to.equal('x12-too-many-diagnostics');
    expect(outcome.diagnostics.length).to.be.lessThan(1000);
  });
});
