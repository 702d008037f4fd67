import { expect } from 'chai';
import type { Invoice } from '../../../../model/index.js';
import { computedInvoiceTotal, invoice810 } from '../../../../parsers/x12/sets/index.js';
import { formatExact } from '../../../../parsers/x12/sets/common/decimal.js';
import { loadSample, setOf } from './x12-text.js';

async function sample(file: string): Promise<Invoice> {
  const x = await loadSample(`810/${file}`);
  const { documents, diagnostics } = invoice810.toCanonical(x.sets[0]!);
  expect(diagnostics).to.deep.equal([]);
  return documents[0] as Invoice;
}

const big = 'BIG*20261122*INV-1*20261118*PO-1';

describe('x12 sets: 810 invoice', () => {
  it('maps BIG, CUR, REF, N1 loops, ITD terms and DTM', async () => {
    const inv = await sample('810-004010.x12');
    expect(inv.number).to.equal('INV-NW-2026-33017');
    expect(inv.invoiceDate).to.equal('2026-11-22');
    expect(inv.purchaseOrder).to.deep.equal({ type: 'purchase-order', number: '4500012345', date: '2026-11-18' });
    expect(inv.currency).to.equal('USD');
    expect(inv.references).to.deep.equal([
      { qualifier: 'IA', value: 'V100234' },
      { qualifier: 'BM', value: 'BOL-88120457' },
    ]);
    expect(inv.parties!.map((p) => [p.role, p.identifiers?.[0]?.system, p.identifiers?.[0]?.value])).to.deep.equal([
      ['remit-to', 'assigned-by-seller', 'NW-77812'],
      ['bill-to', 'assigned-by-buyer', 'LGH-AP'],
      ['ship-to', 'DUNS', '123456789'],
    ]);
    expect(inv.parties![0]!.address).to.deep.equal({
      lines: ['PO BOX 4410'],
      city: 'GRAND RAPIDS',
      state: 'MI',
      postalCode: '49501',
      country: 'US',
    });
    expect(inv.terms).to.deep.equal({ type: '01', discountPercent: '2', discountDays: 10, netDays: 30, description: '2% 10 NET 30' });
    expect(inv.dates).to.deep.equal([{ qualifier: '011', date: '2026-11-21' }]);
  });

  it('maps IT1 lines with PID and line SAC, and the summary TDS (implied decimals), TXI, SAC, CTT', async () => {
    const inv = await sample('810-004010.x12');
    expect(inv.lines).to.have.length(3);
    expect(inv.lines[0]).to.deep.equal({
      line: '1',
      item: {
        buyerItem: 'ORTH-44120',
        vendorItem: 'NW-HS-12-52',
        identifiers: [{ type: 'UK', system: 'GTIN', value: '00812345000014' }],
        description: 'FEMORAL STEM CEMENTLESS SIZE 12',
      },
      quantity: { value: '2', unit: 'EA' },
      unitPrice: { amount: '1850.00' },
    });
    expect(inv.lines[1]!.allowancesCharges).to.deep.equal([
      { type: 'allowance', code: 'C310', amount: { amount: '50.40' }, percent: '10', description: 'CONTRACT DISCOUNT' },
    ]);
    expect(inv.lines[2]!.item.identifiers).to.deep.equal([{ type: 'N4', system: 'NDC', value: '12345678901' }]);
    expect(inv.total).to.deep.equal({ amount: '4231.99' });
    expect(inv.taxes).to.deep.equal([{ type: 'ST', amount: { amount: '1.89' }, percent: '6' }]);
    expect(inv.allowancesCharges).to.deep.equal([{ type: 'charge', code: 'D240', amount: { amount: '45.00' }, description: 'FREIGHT' }]);
    expect(inv.totals).to.deep.equal({ lineCount: 3 });
    expect(formatExact(computedInvoiceTotal(inv)!)).to.equal('4231.99');
  });

  it('maps the 005010 invoice: net-only terms, line charge, summary allowance and charge', async () => {
    const inv = await sample('810-005010.x12');
    expect(inv.terms).to.deep.equal({ type: '05', netDays: 45 });
    expect(inv.lines.map((l) => [l.line, l.quantity.value, l.unitPrice.amount])).to.deep.equal([
      ['10', '1', '1920.00'],
      ['40', '30', '9.85'],
      ['30', '4', '61.20'],
    ]);
    expect(inv.lines[2]!.allowancesCharges).to.deep.equal([{ type: 'charge', code: 'D500', amount: { amount: '12.50' } }]);
    expect(inv.allowancesCharges!.map((a) => [a.type, a.amount?.amount])).to.deep.equal([
      ['allowance', '30.00'],
      ['charge', '38.50'],
    ]);
    expect(inv.taxes).to.deep.equal([{ type: 'LS', amount: { amount: '17.80' }, percent: '5' }]);
    expect(inv.total.amount).to.equal('2499.10');
  });

  it('reads TDS01 with 2 implied decimals exactly: 12550 → 125.50, 5 → 0.05, -500 → -5.00', () => {
    const total = (tds: string) => {
      const { documents, diagnostics } = invoice810.toCanonical(setOf('810', [big, 'IT1*1*1*EA*1*PE', `TDS*${tds}`]));
      return [(documents[0] as Invoice | undefined)?.total.amount, diagnostics.map((d) => d.code)];
    };
    expect(total('12550')).to.deep.equal(['125.50', ['x12-total-mismatch']]);
    expect(total('100')).to.deep.equal(['1.00', []]);
    expect(total('5')).to.deep.equal(['0.05', ['x12-total-mismatch']]);
    expect(total('-500')).to.deep.equal(['-5.00', ['x12-total-mismatch']]);
  });

  it('writes TDS with implied decimals and refuses an amount it cannot write exactly', async () => {
    const inv = await sample('810-004010.x12');
    const body = invoice810.fromCanonical(inv, { version: '004010' });
    expect(body).to.deep.include(['TDS', '423199']);
    expect(body).to.deep.include(['TXI', 'ST', '1.89', '6']);
    expect(body).to.deep.include(['SAC', 'C', 'D240', '', '', '4500', '', '', '', '', '', '', '', '', '', 'FREIGHT']);
    expect(() => invoice810.fromCanonical({ ...inv, total: { amount: '10.005' } }, { version: '004010' })).to.throw(
      /total is "10.005"; expected a decimal with at most 2 decimals/,
    );
    expect(invoice810.fromCanonical({ ...inv, total: { amount: '10.500' } }, { version: '004010' })).to.deep.include(['TDS', '1050']);
  });

  it('warns when TDS differs from lines + allowances/charges + taxes, naming both figures', () => {
    const { documents, diagnostics } = invoice810.toCanonical(
      setOf('810', [big, 'IT1*1*3*EA*10.25*PE', 'SAC*A*C310***100', 'TDS*3100', 'TXI*ST*1.50', 'SAC*C*D240***200', 'CTT*1']),
    );
    expect(documents).to.have.length(1);
    expect(diagnostics).to.deep.equal([
      {
        severity: 'warning',
        code: 'x12-total-mismatch',
        message: 'TDS01 is 31.00 but the lines, allowances/charges and taxes add up to 33.25',
        location: { segment: 'TDS', segmentIndex: 5, field: 1 },
      },
    ]);
  });

  it('reports a non-numeric TDS, IT1 quantity and price, and a missing BIG02', () => {
    const { documents, diagnostics } = invoice810.toCanonical(setOf('810', ['BIG*20261122', 'IT1*1*x*EA*y', 'TDS*12.50']));
    expect(documents).to.deep.equal([]);
    expect(diagnostics.map((d) => [d.code, d.location?.segment, d.location?.field])).to.deep.equal([
      ['x12-element-missing', 'BIG', 2],
      ['x12-element-invalid-number', 'IT1', 2],
      ['x12-element-invalid-number', 'IT1', 4],
      ['x12-element-invalid-number', 'TDS', 1],
    ]);
    expect(diagnostics[3]!.message).to.equal('TDS01 is "12.50"; expected the total invoice amount as digits with 2 implied decimals');
  });

  it('reports a missing BIG, IT1 and TDS', () => {
    const { documents, diagnostics } = invoice810.toCanonical(setOf('810', ['CUR*SE*USD']));
    expect(documents).to.deep.equal([]);
    expect(diagnostics.map((d) => d.message)).to.deep.equal([
      'BIG is missing; expected the beginning segment with the invoice number and date',
      'IT1 is missing; expected at least one invoice line',
      'TDS is missing; expected the total monetary value of the invoice',
    ]);
  });

  it('warns when CTT01 differs from the IT1 count', () => {
    const { diagnostics } = invoice810.toCanonical(setOf('810', [big, 'IT1*1*1*EA*1', 'TDS*100', 'CTT*4']));
    expect(diagnostics.map((d) => [d.code, d.message])).to.deep.equal([['x12-count-mismatch', 'CTT01 is 4 but the set has 1 IT1 lines']]);
  });
});
