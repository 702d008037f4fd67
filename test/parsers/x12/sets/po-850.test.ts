import { expect } from 'chai';
import type { PurchaseOrder } from '../../../../model/index.js';
import { po850 } from '../../../../parsers/x12/sets/index.js';
import { loadSample, setOf } from './x12-text.js';

async function sample(file: string): Promise<PurchaseOrder> {
  const x = await loadSample(`850/${file}`);
  const { documents, diagnostics } = po850.toCanonical(x.sets[0]!);
  expect(diagnostics).to.deep.equal([]);
  return documents[0] as PurchaseOrder;
}

const minimal = ['BEG*00*SA*PO-1**20261118', 'PO1*1*2*EA*10.00*PE*BP*A-1', 'CTT*1'];

describe('x12 sets: 850 purchase order', () => {
  it('maps the 004010 header: BEG, CUR, REF, PER, SAC, DTM, TD5', async () => {
    const po = await sample('850-004010.x12');
    expect(po.kind).to.equal('purchase-order');
    expect(po.number).to.equal('4500012345');
    expect(po.purpose).to.equal('00');
    expect(po.orderType).to.equal('SA');
    expect(po.release).to.equal(undefined);
    expect(po.orderDate).to.equal('2026-11-18');
    expect(po.currency).to.equal('USD');
    expect(po.references).to.deep.equal([
      { qualifier: 'DP', value: 'OR-SURG', description: 'ORTHOPAEDIC OPERATING ROOMS' },
      { qualifier: 'IA', value: 'V100234' },
    ]);
    expect(po.contacts).to.deep.equal([
      { role: 'BD', name: 'PURCHASING DESK', phone: '5555550142', email: 'purchasing@lakeshore.example' },
    ]);
    expect(po.allowancesCharges).to.deep.equal([{ type: 'charge', code: 'D240', amount: { amount: '45.00' } }]);
    expect(po.dates).to.deep.equal([{ qualifier: '002', date: '2026-11-24' }]);
    expect(po.carrier).to.deep.equal({ code: 'FDEG', method: 'U', routing: 'FEDEX GROUND' });
    expect(po.totals).to.deep.equal({ lineCount: 5, quantity: '40' });
    expect(po.source).to.deep.equal({ format: 'x12', messageType: '850', controlId: '0001', version: '004010' });
  });

  it('maps the N1 loops to parties with identifiers by qualifier, N2 into the name, N3/N4 address, PER contact', async () => {
    const po = await sample('850-004010.x12');
    expect(po.parties).to.have.length(3);
    expect(po.parties[0]).to.deep.equal({
      role: 'buyer',
      name: 'LAKESHORE GENERAL HOSPITAL',
      identifiers: [{ type: '92', system: 'assigned-by-buyer', value: 'LGH-001' }],
    });
    expect(po.parties[1]).to.deep.equal({
      role: 'ship-to',
      name: 'LAKESHORE GENERAL HOSPITAL CENTRAL RECEIVING DOCK 3',
      identifiers: [{ type: '1', system: 'DUNS', value: '123456789' }],
      address: { lines: ['400 HARBOR AVENUE', 'BUILDING C'], city: 'LAKESHORE', state: 'MI', postalCode: '49000', country: 'US' },
      contact: { name: 'RECEIVING SUPERVISOR', phone: '5555550170' },
    });
    expect(po.parties[2]).to.deep.equal({
      role: 'seller',
      name: 'NORTHWIND MEDICAL SUPPLY',
      identifiers: [{ type: '91', system: 'assigned-by-seller', value: 'NW-77812' }],
    });
  });

  it('maps PO1 lines: quantity, unit, price, basis, ids by qualifier, PID, PO4, SAC, DTM 002', async () => {
    const po = await sample('850-004010.x12');
    expect(po.lines.map((l) => l.line)).to.deep.equal(['1', '2', '3', '4', '5']);
    expect(po.lines[0]).to.deep.equal({
      line: '1',
      item: {
        buyerItem: 'ORTH-44120',
        vendorItem: 'NW-HS-12-52',
        identifiers: [{ type: 'UK', system: 'GTIN', value: '00812345000014' }],
        description: 'FEMORAL STEM CEMENTLESS SIZE 12',
      },
      quantity: { value: '2', unit: 'EA' },
      unitPrice: { amount: '1850.00' },
      priceBasis: 'PE',
      pack: { inner: '1', size: '1', unit: 'EA' },
      requestedDeliveryDate: '2026-11-23',
    });
    expect(po.lines[2]!.item.identifiers).to.deep.equal([{ type: 'UP', system: 'UPC', value: '812345000038' }]);
    expect(po.lines[2]!.pack).to.deep.equal({ inner: '36', size: '1', unit: 'EA' });
    const gloves = po.lines[3]!;
    expect(gloves.item.vendorItem).to.equal('NW-NGL-75');
    expect(gloves.unitPrice).to.deep.equal({ amount: '12.40' });
    expect(gloves.allowancesCharges).to.deep.equal([
      { type: 'allowance', code: 'C310', amount: { amount: '24.80' }, percent: '10', description: 'VOLUME DISCOUNT' },
    ]);
    const lidocaine = po.lines[4]!;
    expect(lidocaine.item.identifiers).to.deep.equal([{ type: 'N4', system: 'NDC', value: '12345678901' }]);
    expect(lidocaine.unitPrice).to.deep.equal({ amount: '3.15' });
    expect(lidocaine.requestedDeliveryDate).to.equal('2026-11-20');
  });

  it('maps the 005010 release order: BEG04 release, IN as the buyer item, MG, line SAC, HIN and DUNS ids', async () => {
    const po = await sample('850-005010.x12');
    expect(po.orderType).to.equal('RL');
    expect(po.release).to.equal('0007');
    expect(po.source?.version).to.equal('005010');
    expect(po.contacts).to.deep.equal([{ role: 'BD', name: 'PURCHASING DESK', email: 'purchasing@lakeshore.example' }]);
    expect(po.parties[0]!.identifiers).to.deep.equal([{ type: '21', system: 'HIN', value: 'HIN0004471' }]);
    expect(po.parties[2]!.identifiers).to.deep.equal([{ type: '1', system: 'DUNS', value: '987654321' }]);
    expect(po.lines.map((l) => l.line)).to.deep.equal(['10', '20', '30', '40']);
    expect(po.lines[0]!.item.buyerItem).to.equal('ORTH-44130');
    expect(po.lines[1]!.item.identifiers).to.deep.equal([{ type: 'MG', system: 'manufacturer-part', value: 'FH36-CC' }]);
    expect(po.lines[1]!.unitPrice).to.deep.equal({ amount: '412.75' });
    expect(po.lines[2]!.allowancesCharges).to.deep.equal([{ type: 'charge', code: 'D500', amount: { amount: '12.50' } }]);
    expect(po.lines[3]!.pack).to.deep.equal({ inner: '50', size: '1', unit: 'PR' });
    expect(po.totals).to.deep.equal({ lineCount: 4, quantity: '36' });
  });

  it('writes BEG, PO1 pairs and CTT as the standard lays them out', async () => {
    const po = await sample('850-004010.x12');
    const body = po850.fromCanonical(po, { version: '004010' });
    expect(body[0]).to.deep.equal(['BEG', '00', 'SA', '4500012345', '', '20261118']);
    expect(body).to.deep.include(['PO1', '1', '2', 'EA', '1850.00', 'PE', 'BP', 'ORTH-44120', 'VP', 'NW-HS-12-52', 'UK', '00812345000014']);
    expect(body).to.deep.include(['SAC', 'A', 'C310', '', '', '2480', '3', '10', '', '', '', '', '', '', '', 'VOLUME DISCOUNT']);
    expect(body.at(-1)).to.deep.equal(['CTT', '5', '40']);
  });

  it('reports a missing BEG with the set position, and returns no document', () => {
    const { documents, diagnostics } = po850.toCanonical(setOf('850', minimal.slice(1)));
    expect(documents).to.deep.equal([]);
    expect(diagnostics).to.deep.include({
      severity: 'error',
      code: 'x12-segment-missing',
      message: 'BEG is missing; expected the beginning segment with the purchase order number and date',
      location: { segment: 'ST', segmentIndex: 1 },
    });
  });

  it('reports an empty BEG03 and a bad BEG05 date by element', () => {
    const { documents, diagnostics } = po850.toCanonical(setOf('850', ['BEG*00*SA***20261341', ...minimal.slice(1)]));
    expect(documents).to.deep.equal([]);
    expect(diagnostics).to.deep.equal([
      {
        severity: 'error',
        code: 'x12-element-missing',
        message: 'BEG03 is empty; expected the purchase order number',
        location: { segment: 'BEG', segmentIndex: 2, field: 3 },
      },
      {
        severity: 'error',
        code: 'x12-element-invalid-date',
        message: 'BEG05 is "20261341"; expected the purchase order date as CCYYMMDD (version 004010)',
        location: { segment: 'BEG', segmentIndex: 2, field: 5 },
      },
    ]);
  });

  it('reports a non-numeric quantity and price on PO1 without throwing', () => {
    const { documents, diagnostics } = po850.toCanonical(setOf('850', ['BEG*00*SA*PO-1**20261118', 'PO1*1*TWO*EA*1O.00', 'CTT*1']));
    expect(documents).to.deep.equal([]);
    expect(diagnostics.map((d) => [d.code, d.location?.field, d.message])).to.deep.equal([
      ['x12-element-invalid-number', 2, 'PO102 is "TWO"; expected the quantity ordered as a number'],
      ['x12-element-invalid-number', 4, 'PO104 is "1O.00"; expected the unit price as a number'],
    ]);
  });

  it('reports an empty PO1: only the quantity is missing (PO102, mandatory by the 850 set note); PO101 and PO103 are optional', () => {
    const { documents, diagnostics } = po850.toCanonical(setOf('850', ['BEG*00*SA*PO-1**20261118', 'PO1', 'CTT*1']));
    expect(documents).to.deep.equal([]);
    expect(diagnostics.map((d) => [d.severity, d.code, d.location?.segmentIndex, d.location?.field])).to.deep.equal([
      ['error', 'x12-element-missing', 3, 2],
    ]);
  });

  it('reports an 850 without PO1 lines', () => {
    const { documents, diagnostics } = po850.toCanonical(setOf('850', ['BEG*00*SA*PO-1**20261118', 'CTT*0']));
    expect(documents).to.deep.equal([]);
    expect(diagnostics.map((d) => d.message)).to.deep.equal(['PO1 is missing; expected at least one purchase order line']);
  });

  it('warns when CTT01 differs from the PO1 count and still returns the order', () => {
    const { documents, diagnostics } = po850.toCanonical(setOf('850', [...minimal.slice(0, 2), 'CTT*3']));
    expect(documents).to.have.length(1);
    expect(diagnostics).to.deep.equal([
      {
        severity: 'warning',
        code: 'x12-count-mismatch',
        message: 'CTT01 is 3 but the set has 1 PO1 lines',
        location: { segment: 'CTT', segmentIndex: 4, field: 1 },
      },
    ]);
  });

  it('warns once per unmapped segment kind and keeps the order', () => {
    const { documents, diagnostics } = po850.toCanonical(setOf('850', [minimal[0]!, 'FOB*PP', 'FOB*CC', ...minimal.slice(1)]));
    expect(documents).to.have.length(1);
    expect(diagnostics.map((d) => [d.code, d.location?.segmentIndex])).to.deep.equal([['x12-segment-not-mapped', 3]]);
  });

  it('survives garbage: a set of random segments yields diagnostics, never an exception', () => {
    const garbage = ['ZZZ*1*2', 'BEG', 'PO1*****BP', 'SAC*X*Y***ABC', 'DTM*002*tomorrow', 'CTT*many', '***', 'N4*only'];
    const { documents, diagnostics } = po850.toCanonical(setOf('850', garbage));
    expect(documents).to.deep.equal([]);
    expect(diagnostics.length).to.be.greaterThan(5);
    expect(diagnostics.every((d) => d.code.startsWith('x12-') && d.location?.segmentIndex !== undefined)).to.equal(true);
  });

  it('refuses to write a document of another kind', () => {
    expect(() => po850.fromCanonical({ kind: 'supplier', id: 'S-1' }, { version: '005010' })).to.throw(
      /850 mapper writes a purchase-order, got a supplier/,
    );
  });
});
