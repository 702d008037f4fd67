import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { json } from '../../../parsers/json/index.js';
import { parserFor } from '../../../parsers/index.js';

const po = readFileSync(new URL('../../../samples/json/purchase-order.json', import.meta.url));

describe('json format (canonical documents as JSON)', () => {
  it('is detected from its first byte, after a BOM or whitespace', () => {
    expect(parserFor('auto', po)?.format).to.equal('json');
    expect(json.detect(Buffer.from('\ufeff  [ ]'))).to.equal(true);
    expect(json.detect(Buffer.from('MSH|^~\\&|'))).to.equal(false);
  });

  it('reads a purchase order into the canonical model, with its number as control id', () => {
    const { message, diagnostics } = json.parse(po);
    expect(diagnostics).to.deep.equal([]);
    const { documents, diagnostics: mapping } = json.toCanonical(message!);
    expect(mapping).to.deep.equal([]);
    expect(documents).to.have.length(1);
    expect(documents[0]!.kind).to.equal('purchase-order');
    expect(json.header(message!)).to.deep.equal({ messageType: 'purchase-order', controlId: '4500012399' });
  });

  it('reads an array of documents', () => {
    const doc = JSON.parse(po.toString());
    const { message } = json.parse(Buffer.from(JSON.stringify([doc, { ...doc, number: 'PO-2' }])));
    expect(json.toCanonical(message!).documents.map((d) => (d as { number: string }).number)).to.deep.equal(['4500012399', 'PO-2']);
  });

  it('names the JSON path of every problem in a document that is not canonical', () => {
    const doc = JSON.parse(po.toString());
    doc.lines = [];
    delete doc.orderDate;
    const { message } = json.parse(Buffer.from(JSON.stringify([doc])));
    const { documents, diagnostics } = json.toCanonical(message!);
    expect(documents).to.deep.equal([]);
    const text = diagnostics.map((d) => `${d.code} ${d.message}`).join('\n');
    expect(text).to.match(/json-not-canonical \[0\]\.orderDate/);
    expect(text).to.match(/json-not-canonical \[0\]\.lines/);
  });

  it('refuses an unknown kind', () => {
    const { message } = json.parse(Buffer.from('{"kind":"spaceship","number":"1"}'));
    expect(json.toCanonical(message!).diagnostics[0]!.code).to.equal('json-not-canonical');
  });

  it('reports empty, malformed, truncated and hostile input without throwing', () => {
    expect(json.parse(Buffer.from('   ')).diagnostics[0]!.code).to.equal('json-empty');
    expect(json.parse(Buffer.from('{"kind": "purchase-order", "number": ')).diagnostics[0]!.code).to.equal('json-syntax');
    expect(json.parse(Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x01])).diagnostics[0]!.code).to.equal('json-syntax');
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(json.parse(Buffer.from(deep)).diagnostics[0]!.code).to.equal('json-too-deep');
  });
});
