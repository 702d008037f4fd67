import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { batchMessages, parseBatch, serializeBatch, set } from '../../../parsers/hl7v2/index.js';

const CORPUS = fileURLToPath(new URL('../../fixtures/conformance/hl7/', import.meta.url));

const MSG1 = 'MSH|^~\\&|A|B|C|D|20240101||ADT^A08|M1|P|2.5\rPID|1||123';
const MSG2 = 'MSH|^~\\&|A|B|C|D|20240101||ADT^A08|M2|P|2.5\rPID|1||456';

describe('hl7v2 serializeBatch: byte for byte', () => {
  const layouts: Array<[string, string]> = [
    ['blank lines between messages', `FHS|^~\\&|A\rBHS|^~\\&|A\r${MSG1}\r\r\r${MSG2}\r\rBTS|2\rFTS|1\r`],
    ['segments outside any message', `BHS|^~\\&|A\rNTE|stray note\r${MSG1}\rZZZ|orphan\rBTS|1\r`],
    ['mixed separators (CRLF, LF, CR) and no final separator', `BHS|^~\\&|A\r\n${MSG1.replace('\r', '\n')}\r\n${MSG2}\nBTS|2`],
    ['a BOM, leading whitespace and trailing blank lines', `\ufeff \r\n${MSG1}\r${MSG2}\r\n\r\n\r\n`],
    ['a blank line inside a message', `${MSG1.replace('\r', '\r\r')}\r${MSG2}\r`],
  ];
  for (const [what, text] of layouts) {
    it(`gives back the input with ${what}`, () => {
      const raw = Buffer.from(text, 'utf8');
      const { batch } = parseBatch(raw);
      expect(serializeBatch(batch!).equals(raw), JSON.stringify(serializeBatch(batch!).toString('latin1'))).to.equal(true);
    });
  }

  it('gives back every multi-message file of the conformance corpus unchanged', () => {
    const files = readdirSync(CORPUS).filter((f) => /^python-hl7-sample_(batch|file|bad)/.test(f));
    expect(files.length).to.be.at.least(10);
    for (const f of files) {
      const raw = readFileSync(CORPUS + f);
      expect(serializeBatch(parseBatch(raw).batch!).equals(raw), f).to.equal(true);
    }
  });

  it('writes a changed message from its fields and keeps the rest of the layout', () => {
    const raw = Buffer.from(`BHS|^~\\&|A\r\n\r\n${MSG1.replace('\r', '\r\n')}\r\n\r\n${MSG2}\r\nBTS|2\r\n`, 'latin1');
    const { batch } = parseBatch(raw);
    set(batchMessages(batch!)[0]!, 'PID-3', '999');
    const out = serializeBatch(batch!).toString('latin1');
    expect(out).to.equal(`BHS|^~\\&|A\r\n\r\n${MSG1.replace('|123', '|999')}\r\n\r\n${MSG2}\r\nBTS|2\r\n`);
  });

  it('writes a batch whose messages were removed from its structure', () => {
    const { batch } = parseBatch(Buffer.from(`BHS|^~\\&|A\r${MSG1}\r\r${MSG2}\rBTS|2\r`, 'latin1'));
    batch!.batches[0]!.messages.pop();
    expect(serializeBatch(batch!).toString('latin1')).to.equal(`BHS|^~\\&|A\r${MSG1}\rBTS|2\r`);
  });
});
