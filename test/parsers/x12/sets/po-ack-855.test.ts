import { expect } from 'chai';
import type { PoAck } from '../../../../model/index.js';
import { poAck855 } from '../../../../parsers/x12/sets/index.js';
import { loadSample, setOf } from './x12-text.js';

async function sample(file: string): Promise<PoAck> {
  const x = await loadSample(`855/${file}`);
  const { documents, diagnostics } = poAck855.toCanonical(x.sets[0]!);
  expect(diagnostics).to.deep.equal([]);
  return documents[0] as PoAck;
}

describe('x12 sets: 855 purchase order acknowledgment', () => {
  it('maps BAK: purpose, acknowledgment type, PO number and date, seller order number, ack date', async () => {
    const ack = await sample('855-004010.x12');
    expect(ack.kind).to.equal('po-ack');
    expect(ack.purpose).to.equal('00');
    expect(ack.status).to.equal('AC');
    expect(ack.purchaseOrder).to.deep.equal({ type: 'purchase-order', number: '4500012345', date: '2026-11-18' });
    expect(ack.number).to.equal('SO-778120');
    expect(ack.ackDate).to.equal('2026-11-19');
    expect(ack.parties!.map((p) => p.role)).to.deep.equal(['ship-to', 'seller']);
  });

  it('maps an accepted line (IA) with its scheduled ship date', async () => {
    const ack = await sample('855-004010.x12');
    expect(ack.lines[0]).to.deep.equal({
      line: '1',
      item: { buyerItem: 'ORTH-44120', vendorItem: 'NW-HS-12-52', description: 'FEMORAL STEM CEMENTLESS SIZE 12' },
      quantityOrdered: { value: '2', unit: 'EA' },
      unitPrice: { amount: '1850.00' },
      statuses: [{ code: 'IA', quantity: { value: '2', unit: 'EA' }, dateQualifier: '068', date: '2026-11-21' }],
    });
  });

  it('maps a backorder (IB) with its date, a substitution (IS) with the substitute ids, a rejection (IR)', async () => {
    const ack = await sample('855-005010.x12');
    expect(ack.lines[1]!.statuses).to.deep.equal([
      { code: 'IB', quantity: { value: '2', unit: 'EA' }, dateQualifier: '068', date: '2026-12-05' },
    ]);
    expect(ack.lines[2]!.statuses).to.deep.equal([
      {
        code: 'IS',
        quantity: { value: '6', unit: 'BX' },
        dateQualifier: '068',
        date: '2026-11-21',
        substitute: { vendorItem: 'NW-VCL-0-36B', identifiers: [{ type: 'UK', system: 'GTIN', value: '00812345000052' }] },
      },
    ]);
    expect(ack.lines[3]!.statuses).to.deep.equal([{ code: 'IR', quantity: { value: '20', unit: 'BX' } }]);
  });

  it('keeps several ACK segments of one line in order (IQ then IB for the rest)', async () => {
    const ack = await sample('855-005010.x12');
    expect(ack.lines[4]!.statuses.map((s) => [s.code, s.quantity?.value, s.date])).to.deep.equal([
      ['IQ', '8', '2026-11-21'],
      ['IB', '2', '2026-12-10'],
    ]);
  });

  it('writes BAK with BAK08/BAK09 and ACK with the substitute ids from ACK07', async () => {
    const ack = await sample('855-004010.x12');
    const body = poAck855.fromCanonical(ack, { version: '004010' });
    expect(body[0]).to.deep.equal(['BAK', '00', 'AC', '4500012345', '20261118', '', '', '', 'SO-778120', '20261119']);
    expect(body).to.deep.include(['ACK', 'IS', '6', 'BX', '068', '20261121', '', 'VP', 'NW-VCL-0-36B', 'UK', '00812345000052']);
    expect(body).to.deep.include(['ACK', 'IR', '20', 'BX']);
    expect(body.at(-1)).to.deep.equal(['CTT', '5']);
  });

  it('reports an unknown ACK01 code and an IS without substitute ids', () => {
    const { documents, diagnostics } = poAck855.toCanonical(
      setOf('855', ['BAK*00*AC*PO-1*20261118', 'PO1*1*2*EA', 'ACK*XX*2*EA', 'ACK*IS*2*EA', 'CTT*1']),
    );
    expect(documents).to.deep.equal([]);
    expect(diagnostics).to.deep.equal([
      {
        severity: 'error',
        code: 'x12-element-invalid-code',
        message: 'ACK01 is "XX"; expected a line item status code such as IA, IB, IQ, IR or IS',
        location: { segment: 'ACK', segmentIndex: 4, field: 1 },
      },
      {
        severity: 'error',
        code: 'x12-element-needed',
        message: 'ACK07 is empty; the standard allows that, but status IS (item substituted) needs the substitute product id',
        location: { segment: 'ACK', segmentIndex: 5, field: 7 },
      },
    ]);
  });

  it('reports a missing BAK and an empty BAK03', () => {
    const noBak = poAck855.toCanonical(setOf('855', ['PO1*1*2*EA', 'ACK*IA*2*EA']));
    expect(noBak.diagnostics.map((d) => d.message)).to.deep.equal([
      'BAK is missing; expected the beginning segment with the acknowledgment type and purchase order number',
    ]);
    const emptyPo = poAck855.toCanonical(setOf('855', ['BAK*00*AC**20261118', 'PO1*1*2*EA', 'ACK*IA*2*EA']));
    expect(emptyPo.documents).to.deep.equal([]);
    expect(emptyPo.diagnostics[0]).to.deep.equal({
      severity: 'error',
      code: 'x12-element-missing',
      message: 'BAK03 is empty; expected the purchase order number',
      location: { segment: 'BAK', segmentIndex: 2, field: 3 },
    });
  });

  it('accepts a rejected order (RJ) with no lines', () => {
    const { documents, diagnostics } = poAck855.toCanonical(setOf('855', ['BAK*00*RJ*PO-9*20261118']));
    expect(diagnostics).to.deep.equal([]);
    expect(documents[0]).to.include({ status: 'RJ' });
    expect((documents[0] as PoAck).lines).to.deep.equal([]);
  });

  it('warns when CTT01 differs from the PO1 count', () => {
    const { diagnostics } = poAck855.toCanonical(setOf('855', ['BAK*00*AD*PO-1*20261118', 'PO1*1*2*EA', 'ACK*IA*2*EA', 'CTT*2']));
    expect(diagnostics.map((d) => [d.severity, d.code])).to.deep.equal([['warning', 'x12-count-mismatch']]);
  });

  it('refuses to write an acknowledgment without the purchase order date (BAK04)', async () => {
    const ack = await sample('855-004010.x12');
    const { date: _date, ...po } = ack.purchaseOrder;
    expect(() => poAck855.fromCanonical({ ...ack, purchaseOrder: po }, { version: '004010' })).to.throw(
      /no purchaseOrder.date; expected it for BAK04/,
    );
  });
});
