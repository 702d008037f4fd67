import { expect } from 'chai';
import { batchMessages, get, parseBatch, parseHl7 } from '../../../parsers/hl7v2/index.js';
import { sample } from './helpers.js';

describe('hl7v2 batches', () => {
  it('splits an FHS/BHS file into its messages', () => {
    const { batch, entries, diagnostics } = parseBatch(sample('batch-fhs-bhs.hl7'));
    expect(diagnostics).to.deep.equal([]);
    expect(entries.map((e) => get(e.message, 'MSH-10'))).to.deep.equal(['B1-MSG1', 'B1-MSG2']);
    expect(entries.every((e) => e.diagnostics.length === 0)).to.equal(true);
    expect(batch!.fileHeader!.fields[9]).to.equal('FILE0001');
    expect(batch!.batches).to.have.length(1);
    expect(batch!.batches[0]!.header!.fields[9]).to.equal('BATCH0001');
    expect(batch!.batches[0]!.trailer!.fields[1]).to.equal('2');
    expect(batchMessages(batch!)).to.have.length(2);
    expect(entries[1]!.message.segments.map((s) => s.id)).to.deep.equal(['MSH', 'EVN', 'PID', 'PV1']);
  });

  it('reports BTS-1 and FTS-1 counts that do not match', () => {
    const { entries, diagnostics } = parseBatch(sample('bad/batch-bad-counts.hl7'));
    expect(entries).to.have.length(1);
    const counts = diagnostics.filter((d) => d.code === 'batch-count-mismatch');
    expect(counts.map((d) => d.message)).to.deep.equal([
      'BTS-1 says 5 messages, the batch holds 1',
      'FTS-1 says 3 batches, the file holds 1',
    ]);
    expect(counts.map((d) => d.location?.segment)).to.deep.equal(['BTS', 'FTS']);
  });

  it('reads several messages one after another without batch headers', () => {
    const text = 'MSH|^~\\&|A|B|C|D|20261121||ADT^A08|M1|P|2.5\rPID|1\nMSH|^~\\&|A|B|C|D|20261121||ADT^A08|M2|P|2.5\rPID|2\r';
    const { entries, diagnostics } = parseBatch(Buffer.from(text));
    expect(diagnostics).to.deep.equal([]);
    expect(entries.map((e) => get(e.message, 'PID-1'))).to.deep.equal(['1', '2']);
  });

  it('reports segments outside any message and a BHS without BTS', () => {
    const text = 'BHS|^~\\&|A\rPID|1\rMSH|^~\\&|A|B|C|D|20261121||ADT^A08|M1|P|2.5\rPID|1\r';
    const { entries, diagnostics } = parseBatch(Buffer.from(text));
    expect(entries).to.have.length(1);
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['batch-structure', 'batch-structure']);
    expect(diagnostics[0]!.message).to.match(/outside any message/);
  });

  it('keeps per-message findings apart, with positions inside that message', () => {
    const text = 'BHS|^~\\&|A\rMSH|^~\\&|A|B|C|D|20261121||ADT^A08|M1|P|2.5\rMSH|^~\\&|A|B|C|D|20261121||ADT^A08||P|2.5\rBTS|2\r';
    const { entries } = parseBatch(Buffer.from(text));
    expect(entries[0]!.diagnostics).to.deep.equal([]);
    expect(entries[1]!.diagnostics[0]).to.deep.include({
      code: 'required-field-missing',
      message: 'MSH-10 is empty; expected a message control id',
    });
  });

  it('parseHl7 refuses a batch, pointing at parseBatch', () => {
    const { message, diagnostics } = parseHl7(sample('batch-fhs-bhs.hl7'));
    expect(message).to.equal(undefined);
    expect(diagnostics[0]).to.deep.include({ code: 'batch-input', severity: 'error' });
    expect(diagnostics[0]!.message).to.match(/parseBatch/);
  });

  it('never throws on empty or garbage batch input', () => {
    expect(parseBatch(Buffer.alloc(0)).diagnostics[0]!.code).to.equal('empty-input');
    expect(parseBatch(sample('bad/binary-garbage.bin')).diagnostics[0]!.code).to.equal('missing-msh');
  });
});
