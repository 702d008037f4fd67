import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateDocument } from '../../../model/index.js';
import { parserFor } from '../../../parsers/index.js';
import { fhir, fhirXmlToJson, MAX_BUNDLE_ENTRIES, type FhirMessage } from '../../../parsers/fhir/index.js';

const SAMPLES = fileURLToPath(new URL('../../../samples/fhir/', import.meta.url));
const sample = (name: string): Buffer => readFileSync(SAMPLES + name);

function read(raw: Buffer | string) {
  const parsed = fhir.parse(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  const canonical = parsed.message ? fhir.toCanonical(parsed.message) : { documents: [], diagnostics: [] };
  return { ...parsed, ...canonical, diagnostics: [...parsed.diagnostics, ...canonical.diagnostics] };
}

function errors(raw: Buffer | string): string[] {
  return fhir
    .parse(Buffer.isBuffer(raw) ? raw : Buffer.from(raw))
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${d.message}`);
}

describe('parsers/fhir', function () {
  this.timeout(60_000);

  describe('a case as a Bundle: SupplyDeliveries part of a Procedure', () => {
    it("are the lines of one usage event, with account, department, quantities and the Devices' lot and serial", () => {
      const r = read(sample('or-usage-bundle.json'));
      expect(r.diagnostics).to.deep.equal([]);
      const usage = r.documents.filter((d) => d.kind === 'supply-usage');
      expect(usage).to.have.length(1);
      const u = usage[0] as any;
      expect(u).to.include({ eventId: 'CASE-20261125-31', accountNumber: 'ACCT778899', department: 'OR', visitNumber: 'V20261125-02' });
      expect(
        u.lines.map((l: any) => [l.line, l.itemNumber, l.quantity.value, l.transactionId, l.lot ?? null, l.serial ?? null]),
      ).to.deep.equal([
        [1, '100234', '1', 'TX20261125001', 'LOT-A22345', 'SN-0199812'],
        [2, '100567', '1', 'TX20261125002', 'LOT-B87001', 'SN-6512004'],
        [3, '100890', '1', 'TX20261125003', 'LOT-C32019', null],
        [4, '100912', '1', 'TX20261125004', 'LOT-D50404', 'SN-8700123'],
        [5, '200145', '2', 'TX20261125005', null, null],
      ]);
    });

    it("a ChargeItem of the Bundle whose service is a line's SupplyDelivery gives that line its unit price", () => {
      const b = JSON.parse(sample('or-usage-bundle.json').toString('utf8'));
      const line5 = b.entry.find((e: any) => e.resource.identifier?.[0]?.value === 'TX20261125005');
      b.entry.push({
        fullUrl: 'urn:uuid:0c7d2a9e-4f51-4b0e-9a35-0000000000c5',
        resource: {
          resourceType: 'ChargeItem',
          identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.7777.21', value: 'CI-TX20261125005' }],
          status: 'billable',
          code: { coding: [{ system: 'urn:interlace:chargemaster', code: 'C-SUP-0200' }] },
          subject: { reference: line5.resource.patient.reference },
          quantity: { value: 2 },
          priceOverride: { value: 102.5, currency: 'USD' },
          service: [{ reference: line5.fullUrl }],
        },
      });
      const r = read(JSON.stringify(b));
      const u = r.documents.find((d) => d.kind === 'supply-usage') as any;
      expect(u.lines.map((l: any) => l.unitPrice ?? null)).to.deep.equal([null, null, null, null, { amount: '102.5', currency: 'USD' }]);
      expect(r.documents.filter((d) => d.kind === 'charge').map((c: any) => c.unitPrice)).to.deep.equal([
        { amount: '102.5', currency: 'USD' },
      ]);
    });

    it('a SupplyDelivery to a patient that is part of no Procedure stays a usage of its own; focal devices are not counted twice', () => {
      const b = JSON.parse(sample('or-usage-bundle.json').toString('utf8'));
      delete b.entry[11].resource.partOf;
      const r = read(JSON.stringify(b));
      const usage = r.documents.filter((d) => d.kind === 'supply-usage') as any[];
      expect(usage.map((u) => [u.eventId, u.lines.map((l: any) => l.itemNumber)])).to.deep.equal([
        ['CASE-20261125-31', ['100234', '100567', '100890', '100912']],
        ['TX20261125005', ['200145']],
      ]);
    });
  });

  describe('mapping into the canonical model', () => {
    it('every sample parses without errors and maps to documents the model accepts', () => {
      const names = [
        'chargeitem-implant.json',
        'bundle-or-case.json',
        'device-udi.xml',
        'supplydelivery-receipt.xml',
        'supplydelivery-implant-used.json',
        'supplyrequest-replenish.json',
        'claim-institutional.json',
        'invoice-patient.json',
        'or-usage-bundle.json',
      ];
      for (const name of names) {
        const r = read(sample(name));
        expect(
          r.diagnostics.filter((d) => d.severity === 'error'),
          name,
        ).to.deep.equal([]);
        expect(r.documents.length, name).to.be.greaterThan(0);
        for (const doc of r.documents) expect(validateDocument(doc), `${name} ${doc.kind}`).to.deep.include({ ok: true });
      }
    });

    it('ChargeItem → charge: code, account, visit, patient, price × quantity, and the UDI of the contained device', () => {
      const [charge] = read(sample('chargeitem-implant.json')).documents;
      expect(charge).to.deep.include({
        kind: 'charge',
        transactionId: 'OR-20261203-0001-1',
        status: 'billable',
        accountNumber: 'ACCT55501234',
        visitNumber: 'V000778899',
        serviceDate: '2026-12-03T09:41:00-05:00',
        department: 'OR-MAIN',
        itemNumber: '00884521123456',
        udi: '00884521123456',
        lot: 'LOT4471',
        serial: 'SN000981',
      });
      expect(charge).to.deep.include({
        code: { code: '27800123', system: 'urn:oid:2.16.840.1.113883.3.7777.5.1', display: 'IMPLANT HIP STEM' },
        quantity: { value: '1', unit: 'EA' },
        unitPrice: { amount: '4250', currency: 'USD' },
      });
      expect(charge).to.deep.include({ patientId: { value: 'MRN0012345', system: 'urn:oid:2.16.840.1.113883.3.7777.2' } });
    });

    it('a transaction Bundle: each entry in order, references between entries (urn:uuid) resolved', () => {
      const r = read(sample('bundle-or-case.json'));
      expect(r.documents.map((d) => d.kind)).to.deep.equal(['patient', 'encounter', 'device', 'supply-usage', 'charge']);
      const [patient, encounter, device, usage, charge] = r.documents as Record<string, unknown>[];
      expect(patient).to.deep.equal({
        kind: 'patient',
        identifiers: [{ value: 'MRN0012345', system: 'urn:oid:2.16.840.1.113883.3.7777.2' }],
        active: true,
        source: { format: 'fhir', messageType: 'Patient', version: 'R4', controlId: 'MRN0012345' },
      });
      expect(JSON.stringify(r.documents)).to.not.match(/Example|1961-04-02|female/); // names, birth date, gender stay in the raw message
      expect(encounter).to.deep.include({
        visitNumber: 'V000778899',
        accountNumber: 'ACCT55501234',
        patientClass: 'IMP',
        location: 'OR-3',
        patientId: { value: 'MRN0012345', system: 'urn:oid:2.16.840.1.113883.3.7777.2' },
      });
      expect(device).to.deep.include({ lot: 'LOT4471', serial: 'SN000981', expiresOn: '2028-12-31' });
      expect((usage as { lines: unknown[] }).lines).to.have.length(2);
      expect((usage as { lines: Record<string, unknown>[] }).lines[0]).to.deep.include({
        itemNumber: 'IMPL-000981',
        deviceIdentifier: '00884521123456',
        lot: 'LOT4471',
      });
      expect(usage).to.deep.include({ eventId: 'CASE-2026-5521', visitNumber: 'V000778899' });
      expect(charge).to.deep.include({
        itemNumber: 'IMPL-000981',
        references: [{ type: 'procedure', number: 'CASE-2026-5521' }],
        visitNumber: 'V000778899',
      });
      expect(fhir.header(fhir.parse(sample('bundle-or-case.json')).message!)).to.deep.equal({
        messageType: 'Bundle/transaction',
        version: 'R4',
      });
    });

    it('SupplyDelivery without a patient is a receipt; to a patient, a supply usage (like a DFT^P03 line)', () => {
      const [receipt] = read(sample('supplydelivery-receipt.xml')).documents;
      expect(receipt).to.deep.include({
        kind: 'receipt',
        number: 'RCV-2026-000417',
        receivedAt: '2026-12-02T14:20:00-05:00',
        purchaseOrder: { type: 'purchase-order', number: '4500012345' },
        location: 'CS-01',
      });
      expect((receipt as { lines: unknown[] }).lines).to.deep.equal([
        { line: '1', item: { buyerItem: '100234', description: 'Suture, absorbable, 3-0' }, quantity: { value: '10', unit: 'EA' } },
      ]);
      const [usage] = read(sample('supplydelivery-implant-used.json')).documents;
      expect(usage).to.deep.include({ kind: 'supply-usage', eventId: 'USE-20261203-0007', location: 'OR-3' });
      expect((usage as { lines: unknown[] }).lines[0]).to.deep.include({
        itemNumber: '200871',
        lot: 'K22A',
        serial: '77001',
        expiresOn: '2031-01-15',
        deviceIdentifier: '00884521654321',
      });
    });

    it('Device → device with its UDI carrier; the GS1 label gives lot, serial, expiry and manufacture date', () => {
      const [device] = read(sample('device-udi.xml')).documents;
      expect(device).to.deep.include({
        kind: 'device',
        lot: 'K22A',
        serial: '77001',
        expiresOn: '2031-01-15',
        manufacturedOn: '2026-01-15',
        manufacturer: 'Acme Orthopedics',
        model: 'TT-4',
      });
      expect((device as { udi: unknown[] }).udi[0]).to.deep.include({ deviceIdentifier: '00884521654321', entryType: 'barcode' });
      const mismatch = read(
        '{"resourceType":"Device","udiCarrier":[{"deviceIdentifier":"00000000000017","carrierHRF":"(01)00884521654321(10)A"}]}',
      );
      expect(mismatch.diagnostics.map((d) => d.code)).to.include('fhir-udi-mismatch');
    });

    it('SupplyRequest → purchase order; Claim → one charge per item; Invoice → invoice with its discounts', () => {
      const [po] = read(sample('supplyrequest-replenish.json')).documents;
      expect(po).to.deep.include({ kind: 'purchase-order', number: 'REQ-2026-0091', orderType: 'central' });
      expect((po as { parties: { role: string }[] }).parties.map((p) => p.role)).to.deep.equal(['supplier', 'ship-to']);
      const charges = read(sample('claim-institutional.json')).documents;
      expect(charges.map((c) => (c as { transactionId: string }).transactionId)).to.deep.equal(['CLM-2026-000311-1', 'CLM-2026-000311-2']);
      expect(charges[1]).to.deep.include({ amount: { amount: '37.05', currency: 'USD' }, department: '0272', diagnosisCodes: ['M16.11'] });
      const [invoice] = read(sample('invoice-patient.json')).documents;
      expect(invoice).to.deep.include({
        kind: 'invoice',
        number: 'INV-2026-77120',
        invoiceDate: '2026-12-10',
        total: { amount: '4250', currency: 'USD' },
      });
      expect((invoice as { lines: Record<string, unknown>[] }).lines[0]).to.deep.include({
        allowancesCharges: [{ type: 'allowance', code: 'contract', amount: { amount: '425', currency: 'USD' } }],
      });
    });

    it('a resource it cannot map is an error naming the element; an unmapped type is a warning', () => {
      const r = read('{"resourceType":"ChargeItem","status":"billable","code":{},"subject":{"reference":"Patient/1"}}');
      expect(r.diagnostics.find((d) => d.code === 'fhir-unmappable')?.message).to.match(/^ChargeItem\.code: the ChargeItem has no code/);
      const obs = read('{"resourceType":"Observation","status":"final","code":{"text":"x"}}');
      expect(obs.documents).to.deep.equal([]);
      expect(obs.diagnostics).to.deep.equal([
        {
          severity: 'warning',
          code: 'fhir-not-mapped',
          message: 'Observation: Observation has no canonical mapping; it is kept in the message only',
        },
      ]);
    });
  });

  describe('XML', () => {
    it('reads FHIR XML into the same JSON as the JSON form: value attributes, arrays by the definitions, xhtml div, extensions', () => {
      const r = fhirXmlToJson(sample('supplydelivery-receipt.xml').toString('utf8'));
      expect(r.issues).to.deep.equal([]);
      expect(r.resource).to.deep.equal({
        resourceType: 'SupplyDelivery',
        id: 'sd-rcv-1',
        text: {
          status: 'generated',
          div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Received 10 EA of item 100234 &amp; lot LOT88 at <b>Central Supply</b></p></div>',
        },
        extension: [{ url: 'http://example.org/fhir/StructureDefinition/dock-door', valueString: 'Door 3' }],
        identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.7777.7', value: 'RCV-2026-000417' }],
        basedOn: [{ identifier: { system: 'urn:oid:2.16.840.1.113883.3.7777.8', value: '4500012345' } }],
        status: 'completed',
        suppliedItem: {
          quantity: { value: 10, unit: 'EA' },
          itemCodeableConcept: {
            coding: [{ system: 'urn:oid:2.16.840.1.113883.3.7777.9', code: '100234', display: 'Suture, absorbable, 3-0' }],
          },
        },
        occurrenceDateTime: '2026-12-02T14:20:00-05:00',
        destination: { identifier: { system: 'urn:oid:2.16.840.1.113883.3.7777.10', value: 'CS-01' } },
      });
    });

    it('primitive extensions and ids go to _name; contained resources and booleans/numbers are typed', () => {
      const xml = `<Patient xmlns="http://hl7.org/fhir"><contained><Organization><id value="o1"/><name value="Acme &amp; Sons"/></Organization></contained>
        <active value="true"/><gender id="g1" value="female"><extension url="http://x/e"><valueCode value="f"/></extension></gender>
        <multipleBirthInteger value="2"/><managingOrganization><reference value="#o1"/></managingOrganization></Patient>`;
      const r = fhirXmlToJson(xml);
      expect(r.issues).to.deep.equal([]);
      expect(r.resource).to.deep.equal({
        resourceType: 'Patient',
        contained: [{ resourceType: 'Organization', id: 'o1', name: 'Acme & Sons' }],
        active: true,
        gender: 'female',
        _gender: { id: 'g1', extension: [{ url: 'http://x/e', valueCode: 'f' }] },
        multipleBirthInteger: 2,
        managingOrganization: { reference: '#o1' },
      });
    });

    it('names each structural problem: unknown element, repeated single element, bad number, wrong namespace, text content', () => {
      const bad = `<ChargeItem xmlns="http://hl7.org/fhir"><status value="billable"/><status value="billed"/><colour value="red"/>
        <code><text value="x"/></code><subject><reference value="Patient/1"/></subject><quantity><value value="1.2.3"/></quantity><note>hello</note></ChargeItem>`;
      const msgs = errors(bad);
      expect(msgs).to.include('fhir-syntax ChargeItem.status: status appears 2 times; R4 allows it once');
      expect(msgs).to.include('fhir-syntax ChargeItem.colour: colour is not an element of ChargeItem in R4');
      expect(msgs).to.include('fhir-syntax ChargeItem.quantity.value: "1.2.3" is not a decimal');
      expect(msgs).to.include('fhir-syntax ChargeItem.note: text content is not allowed here; FHIR XML puts values in value attributes');
      expect(errors('<ChargeItem xmlns="urn:other"><status value="billable"/></ChargeItem>')).to.deep.equal([
        'fhir-syntax ChargeItem: the root element\'s namespace is "urn:other"; expected xmlns="http://hl7.org/fhir"',
      ]);
      expect(errors('<Foo xmlns="http://hl7.org/fhir"/>')).to.deep.equal(['fhir-syntax Foo: <Foo> is not an R4 resource type']);
    });
  });

  describe('validation (R4 definitions + required bindings)', () => {
    it('names the element path and why, for types, formats and codes outside a required value set', () => {
      const msgs = errors(sample('chargeitem-invalid.json'));
      expect(msgs).to.have.length(3);
      expect(msgs).to.include('fhir-invalid ChargeItem.quantity.value: Invalid JSON type: expected number, but got string');
      expect(msgs).to.include('fhir-invalid ChargeItem.occurrence[x]: Invalid dateTime format');
      expect(msgs.find((m) => m.includes('ChargeItem.status'))).to.match(
        /"posted" is not in the required value set http:\/\/hl7\.org\/fhir\/ValueSet\/chargeitem-status; expected planned, billable, not-billable, aborted, billed, entered-in-error, unknown/,
      );
    });

    it('checks bindings inside data types and Bundle entries (Quantity.comparator, SupplyDelivery.status, Bundle.entry.request.method)', () => {
      const bundle = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            resource: { resourceType: 'SupplyDelivery', status: 'done', suppliedItem: { quantity: { value: 1, comparator: '~' } } },
            request: { method: 'FETCH', url: 'SupplyDelivery' },
          },
        ],
      };
      const msgs = errors(JSON.stringify(bundle));
      expect(
        msgs.some((m) => m.startsWith('fhir-invalid Bundle.entry[0].resource.status: "done" is not in the required value set')),
      ).to.equal(true);
      expect(msgs.some((m) => m.startsWith('fhir-invalid Bundle.entry[0].resource.suppliedItem.quantity.comparator: "~"'))).to.equal(true);
      expect(msgs.some((m) => m.startsWith('fhir-invalid Bundle.entry[0].request.method: "FETCH"'))).to.equal(true);
    });

    it('strict mode turns warnings into errors', () => {
      const loose = { resourceType: 'Patient', identifier: [{ value: 'x' }], foo: 1 };
      const lenient = fhir.parse(Buffer.from(JSON.stringify(loose)));
      const strict = fhir.parse(Buffer.from(JSON.stringify(loose)), { strict: true });
      expect(strict.diagnostics.filter((d) => d.severity === 'error').length).to.be.at.least(
        lenient.diagnostics.filter((d) => d.severity === 'error').length,
      );
      expect(strict.diagnostics.every((d) => d.severity === 'error')).to.equal(true);
    });
  });

  describe('hostile and broken input: one clear sentence, never a throw', () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['empty', '  \r\n', /^fhir-empty the body is empty; expected a FHIR resource as JSON or XML$/],
      ['truncated JSON', '{"resourceType":"ChargeItem","status":"bill', /^fhir-syntax not valid JSON at /],
      ['JSON syntax error', '{"resourceType":"ChargeItem",\n "status": billable}', /^fhir-syntax not valid JSON at line 2, column \d+/],
      [
        'truncated XML',
        '<ChargeItem xmlns="http://hl7.org/fhir"><status value="billable"/><code><text value="x"/>',
        /^fhir-syntax the XML is not well-formed at line 1, column \d+: /,
      ],
      [
        'billion laughs',
        `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><Patient xmlns="http://hl7.org/fhir"><id value="&lol2;"/></Patient>`,
        /^fhir-xml-refused the XML has a DOCTYPE or an entity declaration; .*refused/,
      ],
      [
        'XXE',
        `<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Patient xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Patient>`,
        /^fhir-xml-refused /,
      ],
      ['deep JSON', '['.repeat(200_000) + ']'.repeat(200_000), /^fhir-too-deep the JSON nests deeper than 100 levels/],
      ['deep JSON objects', '{"resourceType":"Basic","a":'.repeat(1) + '{"a":'.repeat(150) + '1' + '}'.repeat(151), /^fhir-too-deep /],
      [
        'deep XML',
        '<Patient xmlns="http://hl7.org/fhir">' + '<a>'.repeat(5000) + '</a>'.repeat(5000) + '</Patient>',
        /^fhir-too-deep the XML nests elements deeper than 100 levels/,
      ],
      [
        'wrong resourceType',
        '{"resourceType":"ChargeItemz","status":"billable"}',
        /^fhir-not-a-resource resourceType "ChargeItemz" is not an R4 resource type$/,
      ],
      ['no resourceType', '{"status":"billable"}', /^fhir-not-a-resource resourceType is missing/],
      ['JSON array', '[{"resourceType":"Patient"}]', /^fhir-not-a-resource the body is not a JSON object/],
      [
        'HL7 v2 instead',
        'MSH|^~\\&|OR|HOSP|||20261203||DFT^P03|1|P|2.5',
        /^fhir-syntax the body starts with "M"; expected a FHIR resource as JSON \(\{\) or XML \(<\)$/,
      ],
      ['binary', Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x02]), /^fhir-syntax the body starts with /],
      [
        'history Bundle',
        '{"resourceType":"Bundle","type":"history","entry":[]}',
        /^fhir-bundle-type Bundle.type "history" is not read; expected batch, transaction, collection$/,
      ],
      ['two XML roots', '<Patient xmlns="http://hl7.org/fhir"/><Patient xmlns="http://hl7.org/fhir"/>', /^fhir-syntax /],
    ];
    for (const [name, input, expected] of cases) {
      it(name, () => {
        let result: ReturnType<typeof fhir.parse> | undefined;
        expect(() => (result = fhir.parse(Buffer.isBuffer(input) ? input : Buffer.from(input)))).to.not.throw();
        const errs = result!.diagnostics.filter((d) => d.severity === 'error');
        expect(result!.message, 'no message from broken input').to.equal(undefined);
        expect(errs.length, JSON.stringify(result!.diagnostics)).to.be.greaterThan(0);
        expect(`${errs[0]!.code} ${errs[0]!.message}`).to.match(expected);
        expect(errs[0]!.message).to.not.match(/\n\s+at /);
      });
    }

    it(`a Bundle of more than ${MAX_BUNDLE_ENTRIES} entries is refused before validation`, () => {
      const entry = Array.from({ length: MAX_BUNDLE_ENTRIES + 1 }, () => ({ resource: { resourceType: 'Basic', code: { text: 'x' } } }));
      const started = Date.now();
      const msgs = errors(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry }));
      expect(msgs).to.deep.equal([
        `fhir-too-large the Bundle has ${MAX_BUNDLE_ENTRIES + 1} entries; at most ${MAX_BUNDLE_ENTRIES} are read in one message (split it)`,
      ]);
      expect(Date.now() - started, 'refused without validating 10,001 entries').to.be.below(30_000);
    });

    it('a large valid Bundle (2,000 ChargeItems) is read entirely', () => {
      const entry = Array.from({ length: 2000 }, (_, i) => ({
        resource: {
          resourceType: 'ChargeItem',
          identifier: [{ system: 'urn:x', value: `C${i}` }],
          status: 'billable',
          code: { coding: [{ code: '27800123' }] },
          subject: { reference: 'Patient/p' },
          quantity: { value: 1 },
        },
      }));
      const r = read(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry }));
      expect(r.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      expect(r.documents).to.have.length(2000);
    });
  });

  describe('detection', () => {
    it('tells FHIR JSON and XML from canonical JSON, HL7 v2 and X12', () => {
      expect(parserFor('auto', sample('chargeitem-implant.json'))?.format).to.equal('fhir');
      expect(parserFor('auto', sample('device-udi.xml'))?.format).to.equal('fhir');
      expect(parserFor('auto', Buffer.from('{"kind":"purchase-order","number":"1"}'))?.format).to.equal('json');
      expect(parserFor('auto', Buffer.from('MSH|^~\\&|A'))?.format).to.equal('hl7v2');
      expect(parserFor('fhir')).to.equal(fhir);
      const m = fhir.parse(sample('device-udi.xml')).message as FhirMessage;
      expect(m.encoding).to.equal('xml');
      expect(fhir.toTree(m)).to.deep.include({ resourceType: 'Device', id: 'dev-knee-1' });
    });
  });
});
