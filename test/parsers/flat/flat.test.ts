import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import {
  csv,
  fixed,
  flatLayoutSchema,
  flatUnits,
  parseFlat,
  splitRecords,
  writeFlat,
  type FlatLayout,
} from '../../../parsers/flat/index.js';
import { newSummary } from '../../../parsers/flat/stream.js';
import { readDate, readDecimal } from '../../../parsers/flat/values.js';

const root = new URL('../../../', import.meta.url);
const sample = (p: string) => readFileSync(new URL(`samples/flat/${p}`, root));

const itemLayout = (extra: Record<string, unknown> = {}): FlatLayout =>
  flatLayoutSchema.parse({
    columns: [
      { name: 'item_id', required: true },
      { name: 'description', maxLength: 60 },
      { name: 'price', type: 'decimal', scale: 2 },
      { name: 'conversion', type: 'integer' },
    ],
    ...extra,
  });

async function units(text: string | Buffer, layout: FlatLayout, chunk = 7, format: 'csv' | 'fixed' = 'csv') {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const summary = newSummary('t.csv', format);
  const out = [];
  for await (const u of flatUnits(Readable.from(chunks), { format, layout, encoding: 'utf-8', file: 't.csv', summary })) out.push(u);
  return { units: out, summary };
}

describe('flat files: records', () => {
  it('cuts at line feeds outside quotes, keeps exact bytes and the starting line', () => {
    const raw = Buffer.from('a,b\r\n"x\ny",2\n"q""",3\nlast');
    const records = splitRecords(raw, 0x22, 1024);
    expect(records.map((r) => [r.line, r.raw.toString()])).to.deep.equal([
      [1, 'a,b\r\n'],
      [2, '"x\ny",2\n'],
      [4, '"q""",3\n'],
      [5, 'last'],
    ]);
    expect(Buffer.concat(records.map((r) => r.raw)).equals(raw)).to.equal(true);
  });

  it('cuts a record longer than the limit and resumes at the next line', () => {
    const records = splitRecords(Buffer.from(`1,${'x'.repeat(50)}\n2,ok\n`), 0x22, 16);
    expect(records.map((r) => [r.line, r.overflow ?? false, r.raw.length])).to.deep.equal([
      [1, true, 16],
      [2, false, 5],
    ]);
  });
});

describe('flat files: values', () => {
  it('reads decimals exactly, padding to the scale and refusing more digits', () => {
    expect(readDecimal('12.5', 2, false)).to.deep.equal({ ok: true, value: '12.50' });
    expect(readDecimal('-0012.500', 2, false)).to.deep.equal({ ok: true, value: '-12.50' });
    expect(readDecimal('001250', 2, true)).to.deep.equal({ ok: true, value: '12.50' });
    expect(readDecimal('12.345', 2, false).ok).to.equal(false);
    expect(readDecimal('1e3', undefined, false).ok).to.equal(false);
    expect(readDecimal('.', undefined, false).ok).to.equal(false);
  });

  it('reads dates in the declared format and refuses impossible ones', () => {
    expect(readDate('12/31/2026', 'MM/DD/YYYY')).to.deep.equal({ ok: true, value: '2026-12-31' });
    expect(readDate('20260229', 'YYYYMMDD').ok).to.equal(false);
    expect(readDate('20240229', 'YYYYMMDD')).to.deep.equal({ ok: true, value: '2024-02-29' });
    expect(readDate('2026-13-01', 'YYYY-MM-DD').ok).to.equal(false);
  });
});

describe('flat files: CSV parser', () => {
  it('reads the sample item master into canonical items with every item-master field', () => {
    const layout = flatLayoutSchema.parse({
      columns: [
        { name: 'item_id', required: true },
        { name: 'description' },
        { name: 'stock_uom' },
        { name: 'purchase_uom' },
        { name: 'conversion', type: 'integer' },
        { name: 'vendor_part' },
        { name: 'mfr_part' },
        { name: 'manufacturer' },
        { name: 'gtin' },
        { name: 'charge_code' },
        { name: 'gl_account' },
        { name: 'hcpcs' },
        { name: 'price', type: 'decimal', scale: 2 },
        { name: 'contract_id' },
        { name: 'consignment', type: 'boolean' },
        { name: 'implant', type: 'boolean' },
        { name: 'supplier' },
      ],
      target: {
        kind: 'item',
        fields: {
          number: 'item_id',
          unit: 'stock_uom',
          purchaseUnit: 'purchase_uom',
          conversionFactor: 'conversion',
          vendorPartNumber: 'vendor_part',
          manufacturerPartNumber: 'mfr_part',
          chargeCode: 'charge_code',
          contractId: 'contract_id',
        },
      },
    });
    const parsed = csv.parse(sample('item-master.csv'), { layout });
    expect(parsed.diagnostics).to.deep.equal([]);
    const { documents } = csv.toCanonical(parsed.message!);
    expect(documents).to.have.length(5);
    expect(documents[4]).to.deep.equal({
      kind: 'item',
      number: '200145',
      description: 'SCREW CANCELLOUS 6.5 X 30MM',
      unit: 'EA',
      manufacturer: 'Acme Ortho',
      vendorPartNumber: 'AC-65030',
      manufacturerPartNumber: 'SCR-6530',
      gtin: '00888123450005',
      chargeCode: 'C-SUP-0200',
      price: { amount: '95.00' },
      supplier: 'acme-medical',
      contractId: 'CT-2026-SUP',
      consignment: false,
      implant: false,
      conversions: [{ unit: 'BX', factor: '10' }],
      source: { format: 'csv' },
    });
    expect(csv.header(parsed.message!).messageType).to.equal('item');
  });

  it('reads a price/contract file into canonical prices (item, supplier, contract, price with currency, unit, validity)', () => {
    const layout = flatLayoutSchema.parse({
      columns: [
        { name: 'item', required: true },
        { name: 'vendor' },
        { name: 'contract' },
        { name: 'contract_price', type: 'decimal', scale: 4, required: true },
        { name: 'currency' },
        { name: 'uom' },
        { name: 'valid_from', type: 'date', format: 'MM/DD/YYYY' },
        { name: 'valid_to', type: 'date', format: 'MM/DD/YYYY' },
      ],
      target: {
        kind: 'price',
        fields: {
          itemNumber: 'item',
          supplier: 'vendor',
          contractId: 'contract',
          price: 'contract_price',
          unit: 'uom',
          effectiveFrom: 'valid_from',
          effectiveTo: 'valid_to',
        },
      },
    });
    const text = [
      'item,vendor,contract,contract_price,currency,uom,valid_from,valid_to',
      '100234,acme-medical,CT-2026-ORTHO,2450.0000,USD,EA,01/01/2026,12/31/2026',
      '300410,northwind-surgical,CT-2026-TRAUMA,410.125,USD,EA,03/01/2026,',
      '300520,summit-surgical,CT-2026-SPORTS,,USD,EA,01/01/2026,12/31/2026',
      '',
    ].join('\n');
    const parsed = csv.parse(Buffer.from(text), { layout });
    const { documents } = csv.toCanonical(parsed.message!);
    expect(documents).to.deep.equal([
      {
        kind: 'price',
        itemNumber: '100234',
        supplier: 'acme-medical',
        contractId: 'CT-2026-ORTHO',
        price: { amount: '2450.0000', currency: 'USD' },
        unit: 'EA',
        effectiveFrom: '2026-01-01',
        effectiveTo: '2026-12-31',
        source: { format: 'csv' },
      },
      {
        kind: 'price',
        itemNumber: '300410',
        supplier: 'northwind-surgical',
        contractId: 'CT-2026-TRAUMA',
        price: { amount: '410.1250', currency: 'USD' },
        unit: 'EA',
        effectiveFrom: '2026-03-01',
        source: { format: 'csv' },
      },
    ]);
    // the row without a price is reported with its line and column, and gives no document
    expect(parsed.diagnostics.map((d) => [d.code, d.location?.line, d.location?.column])).to.deep.equal([['flat-required-empty', 4, 4]]);
  });

  it('reports each bad row with file, line, column and reason while good rows proceed', () => {
    const text =
      'item_id,description,price,conversion\n1,ok,1.50,2\n2,bad price,1.234,2\n,no id,1,1\n3,"unclosed,1,1\n4,after,2,3\n5,wide,1,1,9\n';
    const r = parseFlat('csv', Buffer.from(text), itemLayout(), { label: 'items.csv' });
    expect(r.message!.rows.map((x) => [x.line, x.values.item_id])).to.deep.equal([
      [2, '1'],
      [6, '4'],
    ]);
    expect(r.message!.summary).to.deep.equal({ rowsRead: 6, accepted: 2, rejected: 4 });
    expect(r.diagnostics.map((d) => d.message)).to.deep.equal([
      'items.csv:3:3 column price: "1.234" has 3 digits after the point; expected at most 2',
      'items.csv:4:1 column item_id: is empty; the column is required',
      `items.csv:5 not valid CSV: missing closing: '"'`,
      'items.csv:7 the row has 5 cells; expected 4 (as many as the header row)',
    ]);
    expect(r.diagnostics.every((d) => d.severity === 'warning')).to.equal(true);
    expect(parseFlat('csv', Buffer.from(text), itemLayout(), { strict: true }).diagnostics.every((d) => d.severity === 'error')).to.equal(
      true,
    );
  });

  it('refuses a file whose header lacks a required column, naming it', () => {
    const r = parseFlat('csv', Buffer.from('sku,price\n1,2\n'), itemLayout(), { label: 'x.csv' });
    expect(r.message).to.equal(undefined);
    expect(r.diagnostics[0]!.message).to.equal('x.csv:1 the header row has no column "item_id"; expected it (required column item_id)');
  });

  it('reads latin1, a BOM, semicolons, skipped banner lines and columns without a header', () => {
    const layout = flatLayoutSchema.parse({
      delimiter: ';',
      header: false,
      skipLines: 1,
      columns: [{ name: 'item_id', required: true }, { name: 'description' }],
    });
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), iconv.encode('EXPORT 2026-12-01\n77;Schraube Ø4\n', 'latin1')]);
    const r = parseFlat('csv', raw, layout, { fallbackEncoding: 'latin1' });
    expect(r.message!.rows.map((x) => x.values)).to.deep.equal([{ item_id: '77', description: 'Schraube Ø4' }]);
  });

  it('never reads binary garbage or a huge line as rows', () => {
    const layout = itemLayout({ header: false, maxRecordBytes: 64 });
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131) % 256;
    const r = parseFlat('csv', garbage, layout);
    expect(r.message!.rows).to.have.length(0);
    expect(r.diagnostics.some((d) => d.severity === 'error')).to.equal(true);
    expect(csv.parse(Buffer.from('x'), {}).diagnostics[0]!.code).to.equal('flat-layout-missing');
  });
});

describe('flat files: fixed-width parser', () => {
  const layout = flatLayoutSchema.parse({
    header: false,
    columns: [
      { name: 'location', start: 1, width: 6, required: true },
      { name: 'item', start: 7, width: 8, required: true },
      { name: 'par', start: 15, width: 6, type: 'decimal', scale: 2 },
      { name: 'updated', start: 21, width: 8, type: 'date', format: 'YYYYMMDD' },
    ],
    target: { kind: 'par-level', fields: { itemNumber: 'item' } },
  });

  it('reads positions, implied decimals and dates into par levels', () => {
    const r = fixed.parse(sample('par-levels.txt'), { layout });
    expect(r.diagnostics).to.deep.equal([]);
    const docs = fixed.toCanonical(r.message!).documents;
    expect(docs[0]).to.deep.equal({ kind: 'par-level', location: 'OR-01', itemNumber: '100234', par: '4.00', source: { format: 'fixed' } });
    expect(docs).to.have.length(4);
  });

  it('writes what it reads: fixed-width and CSV round trips', async () => {
    const rows = fixed.toTree(fixed.parse(sample('par-levels.txt'), { layout }).message!) as { rows: Record<string, unknown>[] };
    const text = await writeFlat(
      'fixed',
      { columns: layout.columns.map((c) => (c.name === 'par' ? { ...c, pad: '0' as const } : c)), lineBreak: '\n' },
      rows.rows,
    );
    const again = fixed.parse(Buffer.from(text), { layout });
    expect((fixed.toTree(again.message!) as { rows: unknown[] }).rows).to.deep.equal(rows.rows);
    const csvText = await writeFlat('csv', { columns: itemLayout().columns }, [
      { item_id: '1', description: 'a, "quoted" one', price: '2.5', conversion: 3 },
    ]);
    expect(csvText).to.equal('item_id,description,price,conversion\r\n1,"a, ""quoted"" one",2.50,3\r\n');
    expect(parseFlat('csv', Buffer.from(csvText), itemLayout()).message!.rows[0]!.values).to.deep.equal({
      item_id: '1',
      description: 'a, "quoted" one',
      price: '2.50',
      conversion: 3,
    });
  });

  it('refuses to cut a value that does not fit its field', async () => {
    let err: Error | undefined;
    await writeFlat('fixed', { columns: layout.columns }, [{ location: 'TOO-LONG-LOC', item: '1' }]).catch((e: Error) => (err = e));
    expect(err?.message).to.equal('row 1 column location: "TOO-LONG-LOC" is 12 characters; the field is 6 wide');
  });
});

describe('flat files: streaming into messages', () => {
  const text = 'item_id,description,price,conversion\n1,a,1.00,1\n1,b,2.00,1\n2,c,x,1\n2,d,1.00,1\n3,e,1.00,1\n';

  it('one message per row: each unit is the header plus its row, bad rows rejected with their line', async () => {
    const { units: u, summary } = await units(text, itemLayout());
    expect(u.map((x) => [x.firstLine, x.rejected ? 'rejected' : 'ok'])).to.deep.equal([
      [2, 'ok'],
      [3, 'ok'],
      [4, 'rejected'],
      [5, 'ok'],
      [6, 'ok'],
    ]);
    expect(u[0]!.raw.toString()).to.equal('item_id,description,price,conversion\n1,a,1.00,1\n');
    expect(u[2]!.rejected![0]!.message).to.equal('t.csv:4:3 column price: "x" is not a decimal number; expected e.g. 12.50');
    expect(summary).to.include({ rowsRead: 5, accepted: 4, rejected: 1, messages: 5 });
  });

  it('one message per group of adjacent rows; a group with a bad row is rejected whole', async () => {
    const { units: u, summary } = await units(text, itemLayout({ message: { groupBy: 'item_id' } }), 5);
    expect(u.map((x) => [x.firstLine, x.rows, x.rejected ? 'rejected' : 'ok'])).to.deep.equal([
      [2, 2, 'ok'],
      [4, 2, 'rejected'],
      [6, 1, 'ok'],
    ]);
    expect(csv.parse(u[0]!.raw, { layout: itemLayout() }).message!.rows.map((r) => r.values.description)).to.deep.equal(['a', 'b']);
    expect(summary).to.include({ rowsRead: 5, accepted: 3, rejected: 2, messages: 3 });
  });

  it('one message per file, the file unchanged, the summary counting its rows', async () => {
    const { units: u, summary } = await units(text, itemLayout({ message: 'file' }), 3);
    expect(u).to.have.length(1);
    expect(u[0]!.raw.toString()).to.equal(text);
    expect(summary).to.include({ rowsRead: 5, accepted: 4, rejected: 1, messages: 1 });
    expect(summary.problems).to.have.length(1);
  });

  it('a header without a required column refuses the file before any unit', async () => {
    const { units: u, summary } = await units('sku\n1\n', itemLayout());
    expect(u).to.deep.equal([]);
    expect(summary.refused![0]!.code).to.equal('flat-header-missing');
  });
});
