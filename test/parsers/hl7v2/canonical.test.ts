import { expect } from 'chai';
import { validateDocument } from '../../../model/index.js';
import type { Charge, Encounter, SupplyUsage } from '../../../model/index.js';
import { hl7DateToIso, hl7v2, set } from '../../../parsers/hl7v2/index.js';
import { parseSample, parseText } from './helpers.js';

const SOURCE = {
  format: 'hl7v2',
  messageType: 'DFT^P03',
  controlId: 'OR20261121-0042',
  sender: 'ORSYS^MAINHOSP',
  receiver: 'ERP^MAINHOSP',
  version: '2.5.1',
};

describe('hl7v2 → canonical', () => {
  describe('DFT^P03 (hip implant case)', () => {
    const { documents, diagnostics } = hl7v2.toCanonical(parseSample('dft-p03-hip-implant.hl7'));
    const encounter = documents.find((d) => d.kind === 'encounter') as Encounter;
    const usage = documents.find((d) => d.kind === 'supply-usage') as SupplyUsage;
    const charges = documents.filter((d) => d.kind === 'charge') as Charge[];

    it('gives one encounter, one supply-usage and one charge per FT1, all valid, no findings', () => {
      expect(diagnostics).to.deep.equal([]);
      expect(documents.map((d) => d.kind)).to.deep.equal(['encounter', 'supply-usage', 'charge', 'charge', 'charge', 'charge', 'charge']);
      for (const doc of documents) expect(validateDocument(doc).ok).to.equal(true);
    });

    it('maps the encounter from PID/PV1, without names', () => {
      expect(encounter).to.deep.equal({
        kind: 'encounter',
        event: 'P03',
        accountNumber: 'ACCT778899',
        visitNumber: 'V20261121-01',
        patientId: { value: 'MRN0012345', system: 'MAINHOSP', type: 'MR' },
        patientClass: 'I',
        location: 'OR^OR03^1',
        facility: 'MAIN',
        admitAt: '2026-11-21T07:00:00-05:00',
        attendingProvider: '90001',
        source: SOURCE,
      });
      expect(JSON.stringify(documents)).to.not.match(/FICTIONAL|ALICE|Nowhere/);
    });

    it('maps the usage event header', () => {
      const { lines, ...head } = usage;
      expect(head).to.deep.equal({
        kind: 'supply-usage',
        eventId: 'OR20261121-0042',
        occurredAt: '2026-11-21T14:30:00-05:00',
        accountNumber: 'ACCT778899',
        visitNumber: 'V20261121-01',
        patientId: { value: 'MRN0012345', system: 'MAINHOSP', type: 'MR' },
        location: 'OR^OR03^1',
        department: 'OR',
        source: SOURCE,
      });
      expect(lines).to.have.length(5);
    });

    it('maps each FT1 + ZIM to a usage line, field by field', () => {
      expect(usage.lines[0]).to.deep.equal({
        line: 1,
        itemNumber: '100234',
        description: 'STEM FEMORAL CEMENTLESS SZ 12',
        quantity: { value: '1', unit: 'EA' },
        chargeCode: '27130',
        lot: 'LOT-A12345',
        serial: 'SN-0099812',
        expiresOn: '2029-10-31',
        udi: '(01)00889024123456(17)291031(10)LOT-A12345(21)SN-0099812',
        unitPrice: { amount: '2450.00', currency: 'USD' },
        transactionId: 'TX20261121001',
        performedAt: '2026-11-21T09:30:00-05:00',
      });
      expect(usage.lines[2]).to.not.have.property('serial');
      expect(usage.lines[3]!.performedAt).to.equal('2026-11-21T09:52-05:00');
      expect(usage.lines[4]).to.deep.include({
        itemNumber: '200145',
        description: 'SCREW CANCELLOUS 6.5 X 30MM & WASHER',
        quantity: { value: '2', unit: 'EA' },
        unitPrice: { amount: '95.00', currency: 'USD' },
        lot: 'LOT-S9001',
        performedAt: '2026-11-21',
      });
      expect(usage.lines[4]).to.not.have.property('expiresOn');
    });

    it('maps each FT1 to a charge, field by field', () => {
      expect(charges[4]).to.deep.equal({
        kind: 'charge',
        transactionId: 'TX20261121005',
        transactionType: 'CG',
        accountNumber: 'ACCT778899',
        postedAt: '2026-11-21T14:30:00-05:00',
        serviceDate: '2026-11-21',
        code: { code: '200145', display: 'SCREW CANCELLOUS 6.5 X 30MM & WASHER', system: 'SUPPLY' },
        itemNumber: '200145',
        quantity: { value: '2', unit: 'EA' },
        unitPrice: { amount: '95.00', currency: 'USD' },
        amount: { amount: '190.00', currency: 'USD' },
        department: 'OR',
        performedBy: '90001',
        diagnosisCodes: ['M16.11'],
        source: SOURCE,
      });
      expect(charges.map((c) => c.amount!.amount)).to.deep.equal(['2450.00', '1380.00', '640.00', '910.00', '190.00']);
      expect(charges[0]!.orderedBy).to.equal('90001');
    });
  });

  describe('DFT^P03 units and problems', () => {
    const base = ['MSH|^~\\&|OR|H|ERP|H|20261121||DFT^P03|C1|P|2.6', `PID|1||M1${'|'.repeat(15)}A1`, 'PV1|1|I|OR'];

    it('takes the unit from ZIM-6, else FT1-43.2, else EA', () => {
      const ft1 = (n: number, extra = '') => `FT1|${n}|T${n}||20261121||CG|I${n}^Item|||3${extra}`;
      const ft43 = '|'.repeat(33) + '2^BX';
      const m = parseText([...base, ft1(1), 'ZIM|1|||||CS', ft1(2, ft43), ft1(3)].join('\r') + '\r');
      const usage = hl7v2.toCanonical(m).documents.find((d) => d.kind === 'supply-usage') as SupplyUsage;
      expect(usage.lines.map((l) => l.quantity)).to.deep.equal([
        { value: '3', unit: 'CS' },
        { value: '3', unit: 'BX' },
        { value: '3', unit: 'EA' },
      ]);
    });

    it('reports an empty item number naming the segment and field, and leaves the line out', () => {
      const m = parseText([...base, 'FT1|1|T1||20261121||CG|^No number|||1', 'FT1|2|T2||20261121||CG|I2|||1'].join('\r') + '\r');
      const { documents, diagnostics } = hl7v2.toCanonical(m);
      expect(diagnostics).to.deep.equal([
        {
          severity: 'error',
          code: 'required-field-missing',
          message: 'FT1-7.1 is empty; expected an item number',
          location: { segment: 'FT1', segmentIndex: 4, field: 7, component: 1 },
        },
      ]);
      expect((documents.find((d) => d.kind === 'supply-usage') as SupplyUsage).lines.map((l) => l.itemNumber)).to.deep.equal(['I2']);
      expect(documents.filter((d) => d.kind === 'charge')).to.have.length(1);
    });

    it('reports bad dates and numbers without quoting the values', () => {
      const m = parseText([...base, 'FT1|1|T1||20261340||CG|I1|||1,5'].join('\r') + '\r');
      const { diagnostics } = hl7v2.toCanonical(m);
      expect(diagnostics.map((d) => [d.code, d.message])).to.deep.equal([
        ['invalid-number', 'FT1-10 is not a number; expected digits with an optional sign and decimal point'],
        ['invalid-date', 'FT1-4.1 is not an HL7 date/time; expected YYYYMMDD[HHMM[SS[.S]]][+ZZZZ]'],
      ]);
    });

    it('reports a DFT without FT1 and warns about a missing quantity', () => {
      expect(hl7v2.toCanonical(parseText(base.join('\r') + '\r')).diagnostics[0]).to.deep.include({
        code: 'missing-segment',
        severity: 'error',
      });
      const m = parseText([...base, 'FT1|1|T1||20261121||CG|I1'].join('\r') + '\r');
      const { diagnostics, documents } = hl7v2.toCanonical(m);
      expect(diagnostics[0]).to.deep.include({
        code: 'required-field-missing',
        severity: 'warning',
        message: 'FT1-10 is empty; quantity 1 assumed',
      });
      expect((documents[1] as SupplyUsage).lines[0]!.quantity.value).to.equal('1');
    });

    it('strict mode turns mapping warnings into errors', () => {
      const m = parseText([...base, 'FT1|1|T1||20261121||CG|I1'].join('\r') + '\r', { strict: true });
      expect(hl7v2.toCanonical(m).diagnostics[0]!.severity).to.equal('error');
    });
  });

  describe('ADT', () => {
    for (const [name, event] of [
      ['adt-a01-admit.hl7', 'A01'],
      ['adt-a04-register.hl7', 'A04'],
      ['adt-a08-update-nulls.hl7', 'A08'],
    ] as const) {
      it(`${name} → one encounter with event ${event}`, () => {
        const { documents, diagnostics } = hl7v2.toCanonical(parseSample(name));
        expect(diagnostics).to.deep.equal([]);
        expect(documents).to.have.length(1);
        expect(documents[0]).to.deep.include({ kind: 'encounter', event });
      });
    }

    it('maps the A01 encounter fully, keeping the precision of PV1-44', () => {
      const { documents } = hl7v2.toCanonical(parseSample('adt-a01-admit.hl7'));
      const { source, ...rest } = documents[0] as Encounter;
      expect(rest).to.deep.equal({
        kind: 'encounter',
        event: 'A01',
        accountNumber: 'ACCT112233',
        visitNumber: 'V20261121-07',
        patientId: { value: 'MRN0054321', system: 'MAINHOSP', type: 'MR' },
        patientClass: 'I',
        location: '4WEST^412^B',
        facility: 'MAIN',
        admitAt: '2026-11-21T07:55+01:00',
        attendingProvider: '80002',
      });
      expect(source).to.include({ messageType: 'ADT^A01', controlId: 'ADT000101' });
    });

    it('treats explicit nulls as absent', () => {
      const m = parseSample('adt-a01-admit.hl7');
      set(m, 'PV1-7', null);
      set(m, 'PV1-19', null);
      const { documents } = hl7v2.toCanonical(m);
      expect(documents[0]).to.not.have.property('attendingProvider');
      expect(documents[0]).to.not.have.property('visitNumber');
    });

    it('reports unsupported types and events (0357 codes 200 and 201)', () => {
      const oru = parseText('MSH|^~\\&|A|B|C|D|20261121||ORU^R01|X|P|2.5\r');
      expect(hl7v2.toCanonical(oru).diagnostics[0]).to.deep.include({ code: 'unsupported-message-type', severity: 'error' });
      const a03 = parseText('MSH|^~\\&|A|B|C|D|20261121||ADT^A03|X|P|2.5\rPID|1\rPV1|1\r');
      expect(hl7v2.toCanonical(a03).diagnostics[0]).to.deep.include({ code: 'unsupported-event', severity: 'error' });
      expect(hl7v2.toCanonical(parseText('MSH|^~\\&|A|B|C|D|20261121||ACK|X|P|2.5\rMSA|AA|Y\r'))).to.deep.equal({
        documents: [],
        diagnostics: [],
      });
    });

    it('reports an ADT without PV1 and a message changed to lose its control id', () => {
      const m = parseText('MSH|^~\\&|A|B|C|D|20261121||ADT^A01|X|P|2.5\rPID|1||M1\r');
      expect(hl7v2.toCanonical(m).diagnostics.map((d) => d.code)).to.deep.equal(['missing-segment']);
      set(m, 'MSH-10', '');
      expect(hl7v2.toCanonical(m).diagnostics.map((d) => d.message)).to.include('MSH-10 is empty; expected a message control id');
    });
  });

  describe('HL7 dates', () => {
    const cases: [string, string | undefined][] = [
      ['2026', '2026'],
      ['202611', '2026-11'],
      ['20261121', '2026-11-21'],
      ['2026112114', '2026-11-21T14'],
      ['202611211405', '2026-11-21T14:05'],
      ['20261121140502', '2026-11-21T14:05:02'],
      ['20261121140502.1234', '2026-11-21T14:05:02.1234'],
      ['202611211405-0500', '2026-11-21T14:05-05:00'],
      ['20261121+0100', '2026-11-21'],
      ['20260230', undefined],
      ['20261121250000', undefined],
      ['2026112', undefined],
      ['not a date', undefined],
    ];
    for (const [hl7, iso] of cases) {
      it(`${hl7} → ${iso}`, () => expect(hl7DateToIso(hl7)).to.equal(iso));
    }
  });
});
