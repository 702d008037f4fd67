import { expect } from 'chai';
import type { ShipNotice } from '../../../../model/index.js';
import { shipNotice856 } from '../../../../parsers/x12/sets/index.js';
import { loadSample, setOf } from './x12-text.js';

async function sample(file: string): Promise<ShipNotice> {
  const x = await loadSample(`856/${file}`);
  const { documents, diagnostics } = shipNotice856.toCanonical(x.sets[0]!);
  expect(diagnostics).to.deep.equal([]);
  return documents[0] as ShipNotice;
}

const head = ['BSN*00*SHP-1*20261121*1430*0001'];
const item = (hl: string, parent: string, line: string) => [`HL*${hl}*${parent}*I`, `LIN*${line}*BP*X-${line}`, 'SN1**1*EA'];
const codes = (ship: ShipNotice | undefined, d: Array<{ code: string; location?: { field?: number; segmentIndex?: number } }>) =>
  [ship === undefined, d.map((x) => [x.code, x.location?.segmentIndex, x.location?.field])] as const;

describe('x12 sets: 856 ship notice', () => {
  it('maps the shipment level of S/O/P/I: BSN, TD1, TD5, REF BM/CN, DTM 011/017, N1 loops', async () => {
    const asn = await sample('856-sopi-004010.x12');
    expect(asn.purpose).to.equal('00');
    expect(asn.shipmentId).to.equal('SHP-2026-11-0457');
    expect(asn.hierarchy).to.equal('0001');
    expect(asn.references).to.deep.equal([
      { qualifier: 'BSN03', value: '2026-11-21T14:30' },
      { qualifier: 'BM', value: 'BOL-88120457' },
      { qualifier: 'CN', value: 'PRO-7731904' },
    ]);
    expect(asn.packaging).to.deep.equal({ code: 'CTN25', count: '2', weight: { value: '14.6', unit: 'LB' } });
    expect(asn.carrier).to.deep.equal({ code: 'FDEG', method: 'U', routing: 'FEDEX GROUND' });
    expect(asn.shippedAt).to.equal('2026-11-21T14:15');
    expect(asn.expectedAt).to.equal('2026-11-24');
    expect(asn.parties).to.deep.equal([
      {
        role: 'ship-from',
        name: 'NORTHWIND MEDICAL SUPPLY DC',
        identifiers: [{ type: 'UL', system: 'GLN', value: '0860000000019' }],
        address: { lines: ['1200 DISTRIBUTION WAY'], city: 'GRAND RAPIDS', state: 'MI', postalCode: '49500', country: 'US' },
      },
      { role: 'ship-to', name: 'LAKESHORE GENERAL HOSPITAL', identifiers: [{ type: '1', system: 'DUNS', value: '123456789' }] },
    ]);
  });

  it('maps orders → packs (SSCC-18, TD1 as marks) → items with lot, serials, expiry and manufacture dates', async () => {
    const asn = await sample('856-sopi-005010.x12');
    expect(asn.orders).to.have.length(1);
    const order = asn.orders[0]!;
    expect(order.purchaseOrder).to.deep.equal({ type: 'purchase-order', number: '4500012345', date: '2026-11-18' });
    expect(order.items).to.deep.equal([]);
    expect(order.packs.map((p) => p.sscc)).to.deep.equal(['008600000045700019', '008600000045700026']);
    expect(order.packs[0]!.marks).to.deep.equal([
      { qualifier: 'TD101', value: 'CTN25' },
      { qualifier: 'TD102', value: '1' },
      { qualifier: 'TD106', value: 'G' },
      { qualifier: 'TD107', value: '6.2' },
      { qualifier: 'TD108', value: 'LB' },
    ]);
    expect(order.packs[0]!.items).to.deep.equal([
      {
        line: '1',
        item: {
          buyerItem: 'ORTH-44120',
          vendorItem: 'NW-HS-12-52',
          identifiers: [{ type: 'UK', system: 'GTIN', value: '00812345000014' }],
          description: 'FEMORAL STEM CEMENTLESS SIZE 12',
        },
        quantityShipped: { value: '2', unit: 'EA' },
        quantityOrdered: { value: '2', unit: 'EA' },
        lot: 'L24K0917',
        serials: ['SN-HS12-000481', 'SN-HS12-000482'],
        expiresOn: '2031-09-30',
        manufacturedOn: '2024-09-15',
      },
    ]);
    const [suture, lidocaine] = order.packs[1]!.items;
    expect(suture).to.include({ line: '3', lot: 'S25C1102', expiresOn: '2029-02-28' });
    expect(lidocaine).to.deep.equal({
      line: '5',
      item: { buyerItem: 'PHA-1010', vendorItem: 'NW-LIDO-10', identifiers: [{ type: 'N4', system: 'NDC', value: '12345678901' }] },
      quantityShipped: { value: '8', unit: 'EA' },
      quantityOrdered: { value: '10', unit: 'EA' },
      lot: 'LD2507A',
      expiresOn: '2027-07-31',
    });
  });

  it('maps S/O/I/P into the same orders → packs → items shape, merging packs that share an SSCC', async () => {
    const asn = await sample('856-soip-004010.x12');
    expect(asn.hierarchy).to.equal('0002');
    const order = asn.orders[0]!;
    expect(order.purchaseOrder.number).to.equal('4500012399');
    expect(order.packs.map((p) => [p.sscc, p.items.map((i) => [i.line, i.quantityShipped.value])])).to.deep.equal([
      [
        '008600000046300010',
        [
          ['10', '1'],
          ['30', '4'],
        ],
      ],
      ['008600000046300027', [['40', '15']]],
      ['008600000046300034', [['40', '15']]],
    ]);
    const stem = order.packs[0]!.items[0]!;
    expect(stem).to.include({ lot: 'L25A0211', expiresOn: '2032-01-31', manufacturedOn: '2025-01-15' });
    expect(stem.serials).to.deep.equal(['SN-HS13-000107']);
    expect(stem.item.buyerItem).to.equal('ORTH-44130');
    expect(order.packs[1]!.items[0]!.quantityOrdered).to.deep.equal({ value: '30', unit: 'BX' });
  });

  it('writes S/O/I/P back with one I level per item, packs beneath and per-pack SN1 when split', async () => {
    const asn = await sample('856-soip-005010.x12');
    const body = shipNotice856.fromCanonical(asn, { version: '005010' });
    expect(body[0]).to.deep.equal(['BSN', '00', 'SHP-2026-11-0463', '20261122', '0915', '0002']);
    const hls = body.filter((s) => s[0] === 'HL').map((s) => s.slice(1).join('/'));
    expect(hls).to.deep.equal(['1//S/1', '2/1/O/1', '3/2/I/1', '4/3/P/0', '5/2/I/1', '6/5/P/0', '7/2/I/1', '8/7/P/0', '9/7/P/0']);
    expect(body.filter((s) => s[0] === 'SN1' && s[1] === '')).to.deep.equal([
      ['SN1', '', '15', 'BX'],
      ['SN1', '', '15', 'BX'],
    ]);
    expect(body.at(-1)).to.deep.equal(['CTT', '9']);
  });

  it('writes S/O/P/I with MAN GM and the pack TD1 rebuilt from its marks', async () => {
    const asn = await sample('856-sopi-004010.x12');
    const body = shipNotice856.fromCanonical(asn, { version: '004010' });
    expect(body).to.deep.include(['MAN', 'GM', '008600000045700019']);
    expect(body).to.deep.include(['TD1', 'CTN25', '1', '', '', '', 'G', '6.2', 'LB']);
    expect(body).to.deep.include(['REF', 'SN', 'SN-HS12-000482']);
    expect(body).to.deep.include(['DTM', '036', '20310930']);
  });

  it('reports an orphan parent (HL02 naming no earlier HL)', () => {
    const { documents, diagnostics } = shipNotice856.toCanonical(
      setOf('856', [...head, 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', 'HL*3*9*P', 'MAN*GM*1', ...item('4', '3', '1')]),
    );
    expect(documents).to.deep.equal([]);
    expect(diagnostics[0]).to.deep.equal({
      severity: 'error',
      code: 'x12-hl-orphan-parent',
      message: 'HL02 is "9" at segment 6; expected the HL01 of an earlier HL',
      location: { segment: 'HL', segmentIndex: 6, field: 2 },
    });
  });

  it('reports a parent that comes later as an orphan too', () => {
    const { diagnostics } = shipNotice856.toCanonical(setOf('856', [...head, 'HL*1**S', 'HL*2*3*O', 'PRF*PO-1', 'HL*3*1*O', 'PRF*PO-2']));
    expect(diagnostics.map((d) => [d.code, d.location?.segmentIndex])).to.deep.include(['x12-hl-orphan-parent', 4]);
  });

  it('reports a duplicate HL01 and an HL01 that does not increase', () => {
    const dup = shipNotice856.toCanonical(setOf('856', [...head, 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', 'HL*2*1*O', 'PRF*PO-2']));
    expect(codes(dup.documents[0] as ShipNotice | undefined, dup.diagnostics)).to.deep.equal([true, [['x12-hl-duplicate-id', 6, 1]]]);
    expect(dup.diagnostics[0]!.message).to.equal('HL01 is "2" at segment 6; expected a unique id, but an earlier HL uses it');
    const down = shipNotice856.toCanonical(setOf('856', [...head, 'HL*1**S', 'HL*5*1*O', 'PRF*PO-1', 'HL*3*1*O', 'PRF*PO-2']));
    expect(down.diagnostics.map((d) => d.message)).to.deep.equal(['HL01 is "3" at segment 6; expected an id greater than the previous 5']);
  });

  it('reports levels in the wrong order for the structure: an item above a pack in 0001, an order under a pack', () => {
    const wrong = shipNotice856.toCanonical(
      setOf('856', [...head, 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', ...item('3', '2', '1'), 'HL*4*3*P', 'MAN*GM*1', 'HL*5*4*O', 'PRF*PO-2']),
    );
    expect(wrong.documents).to.deep.equal([]);
    expect(
      wrong.diagnostics.filter((d) => d.code === 'x12-hl-level-order').map((d) => [d.location?.segmentIndex, d.location?.field, d.message]),
    ).to.deep.equal([
      [9, 3, 'HL03 is "P" at segment 9 under a "I" level; structure 0001 nests S > O > P > I'],
      [11, 3, 'HL03 is "O" at segment 11 under a "P" level; structure 0001 nests S > O > P > I'],
    ]);
  });

  it('reports a first level that is not the shipment', () => {
    const { diagnostics } = shipNotice856.toCanonical(setOf('856', [...head, 'HL*1**O', 'PRF*PO-1']));
    expect(diagnostics.map((d) => d.code)).to.deep.equal(['x12-hl-level-order', 'x12-segment-needed']);
  });

  it('infers S/O/I/P when BSN05 is empty and warns on an unknown BSN05', () => {
    const lines = ['HL*1**S', 'HL*2*1*O', 'PRF*PO-1', ...item('3', '2', '1'), 'HL*4*3*P', 'MAN*GM*00123'];
    const inferred = shipNotice856.toCanonical(setOf('856', ['BSN*00*SHP-1*20261121*1430', ...lines]));
    expect(inferred.diagnostics).to.deep.equal([]);
    expect((inferred.documents[0] as ShipNotice).orders[0]!.packs[0]!.sscc).to.equal('00123');
    const odd = shipNotice856.toCanonical(setOf('856', ['BSN*00*SHP-1*20261121*1430*0009', ...lines]));
    expect(odd.diagnostics.map((d) => [d.severity, d.code, d.location?.field])).to.deep.equal([['warning', 'x12-element-invalid-code', 5]]);
    expect(odd.documents).to.have.length(1);
  });

  it('reads loose items under the order in S/O/P/I and S/O/I (0004)', () => {
    const { documents, diagnostics } = shipNotice856.toCanonical(
      setOf('856', ['BSN*00*SHP-1*20261121*1430*0004', 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', ...item('3', '2', '7')]),
    );
    expect(diagnostics).to.deep.equal([]);
    expect((documents[0] as ShipNotice).orders[0]!.items.map((i) => i.line)).to.deep.equal(['7']);
  });

  it('reports a missing PRF, LIN and SN1 under their HL as needed by the mapping, not as a syntax error (optional in the base 856)', () => {
    const { documents, diagnostics } = shipNotice856.toCanonical(
      setOf('856', [...head, 'HL*1**S', 'HL*2*1*O', 'HL*3*2*P', 'HL*4*3*I', 'PID*F****X']),
    );
    expect(documents).to.deep.equal([]);
    expect(diagnostics.map((d) => d.message)).to.deep.equal([
      'PRF is missing under HL 2 (segment 4); the 004010 standard allows that, but the purchase order this order level fills is needed to build the canonical document',
      'LIN is missing under HL 4 (segment 6); the 004010 standard allows that, but the item identification is needed to build the canonical document',
      'SN1 is missing under HL 4 (segment 6); the 004010 standard allows that, but the quantity shipped is needed to build the canonical document',
    ]);
  });

  it('in S/O/I/P, warns when packs do not add up to the item and errors when a split pack has no SN1', () => {
    const base = ['BSN*00*SHP-1*20261121*1430*0002', 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', 'HL*3*2*I', 'LIN*1*BP*X', 'SN1**10*EA'];
    const short = shipNotice856.toCanonical(
      setOf('856', [...base, 'HL*4*3*P', 'MAN*GM*A', 'SN1**4*EA', 'HL*5*3*P', 'MAN*GM*B', 'SN1**5*EA']),
    );
    expect(short.diagnostics.map((d) => [d.severity, d.code, d.message])).to.deep.equal([
      ['warning', 'x12-count-mismatch', 'SN102 under HL 3 is 10 but its packs hold 9'],
    ]);
    const unknown = shipNotice856.toCanonical(setOf('856', [...base, 'HL*4*3*P', 'MAN*GM*A', 'HL*5*3*P', 'MAN*GM*B']));
    expect(unknown.documents).to.deep.equal([]);
    expect(unknown.diagnostics.filter((d) => d.code === 'x12-segment-needed').map((d) => d.location?.segmentIndex)).to.deep.equal([9, 11]);
  });

  it('reports a missing BSN, an empty BSN02 and a bad BSN04 time', () => {
    expect(shipNotice856.toCanonical(setOf('856', ['HL*1**S'])).diagnostics.map((d) => d.code)).to.deep.equal([
      'x12-segment-missing',
      'x12-segment-needed',
    ]);
    expect(shipNotice856.toCanonical(setOf('856', ['BSN*00*SHP-1*20261121*1430'])).diagnostics.map((d) => d.message)).to.deep.equal([
      'HL is missing; expected at least one hierarchical level (the HL loop is mandatory in the 856)',
    ]);
    const bad = shipNotice856.toCanonical(setOf('856', ['BSN*00**20261121*2575*0001', 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1']));
    expect(bad.diagnostics.map((d) => [d.code, d.location?.field])).to.deep.equal([
      ['x12-element-missing', 2],
      ['x12-element-invalid-time', 4],
    ]);
  });

  it('warns when CTT01 matches neither the HL count nor the item count', () => {
    const { diagnostics } = shipNotice856.toCanonical(setOf('856', [...head, 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', 'CTT*5']));
    expect(diagnostics.map((d) => d.message)).to.deep.equal(['CTT01 is 5 but the set has 2 HL segments and 0 item levels']);
  });

  it('survives a hostile hierarchy (self parent, empty HL, deep garbage) without throwing', () => {
    const lines = [...head, 'HL', 'HL*1*1*S', 'HL*2*1*O', 'PRF', 'HL*3*2*I', 'LIN', 'SN1*1*abc', 'REF*SN', 'DTM*036*2031', 'HL*x*y*z'];
    const { documents, diagnostics } = shipNotice856.toCanonical(setOf('856', lines));
    expect(documents).to.deep.equal([]);
    expect(diagnostics.some((d) => d.code === 'x12-hl-orphan-parent')).to.equal(true);
    expect(diagnostics.some((d) => d.code === 'x12-element-invalid-number' && d.location?.segment === 'SN1')).to.equal(true);
    expect(diagnostics.some((d) => d.code === 'x12-element-invalid-date')).to.equal(true);
  });

  it('writes S/O/I for 0004 without packs, and S/O/P/I when a 0004 notice has packs', async () => {
    const loose = shipNotice856.toCanonical(
      setOf('856', ['BSN*00*SHP-1*20261121*1430*0004', 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', ...item('3', '2', '7')]),
    );
    const doc = loose.documents[0] as ShipNotice;
    expect(shipNotice856.fromCanonical(doc, { version: '005010' })[0]![5]).to.equal('0004');
    const packed = { ...doc, orders: [{ ...doc.orders[0]!, packs: [{ sscc: '1', items: doc.orders[0]!.items }], items: [] }] };
    const body = shipNotice856.fromCanonical(packed, { version: '005010' });
    expect(body[0]![5]).to.equal('0001');
    expect(body.filter((s) => s[0] === 'HL').map((s) => s[3])).to.deep.equal(['S', 'O', 'P', 'I']);
  });

  it('warns about an SN1 at pack level in S/O/P/I', () => {
    const { diagnostics } = shipNotice856.toCanonical(
      setOf('856', [...head, 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', 'HL*3*2*P', 'MAN*GM*1', 'SN1**2*EA', ...item('4', '3', '1')]),
    );
    expect(diagnostics.map((d) => [d.severity, d.code, d.location?.segment])).to.deep.equal([['warning', 'x12-segment-not-mapped', 'SN1']]);
  });

  it('refuses to write a notice with no date for BSN03', async () => {
    const asn = await sample('856-sopi-004010.x12');
    const bare = { ...asn, references: [], shippedAt: undefined, expectedAt: undefined };
    expect(() => shipNotice856.fromCanonical(bare, { version: '004010' })).to.throw(/has no date for BSN03/);
  });

  it('maps a large notice (2,000 cartons) and writes it back with the same HL count', () => {
    const lines = [...head, 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1'];
    for (let i = 0; i < 2000; i++)
      lines.push(
        `HL*${3 + 2 * i}*2*P`,
        `MAN*GM*${String(i).padStart(18, '0')}`,
        ...item(String(4 + 2 * i), String(3 + 2 * i), String(i + 1)),
      );
    const { documents, diagnostics } = shipNotice856.toCanonical(setOf('856', lines));
    expect(diagnostics).to.deep.equal([]);
    const doc = documents[0] as ShipNotice;
    expect(doc.orders[0]!.packs).to.have.length(2000);
    expect(shipNotice856.fromCanonical(doc, { version: '004010' }).at(-1)).to.deep.equal(['CTT', '4002']);
  });
});
