import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fhirJsonToXml, fhirXmlToJson, FhirXmlWriteError } from '../../../parsers/fhir/xml.js';

const SAMPLES = fileURLToPath(new URL('../../../samples/fhir/', import.meta.url));
const text = (name: string): string => readFileSync(SAMPLES + name, 'utf8');

function writeError(resource: Record<string, unknown>): string {
  try {
    fhirJsonToXml(resource);
  } catch (err) {
    expect(err).to.be.instanceOf(FhirXmlWriteError);
    return (err as Error).message;
  }
  throw new Error('expected the writer to refuse');
}

describe('parsers/fhir XML writer (fhirJsonToXml)', function () {
  this.timeout(60_000);

  it('writes the XML samples back byte for byte from what the reader made of them (element order, attributes, narrative)', () => {
    for (const name of readdirSync(SAMPLES).filter((f) => f.endsWith('.xml'))) {
      const xml = text(name);
      const read = fhirXmlToJson(xml);
      expect(read.issues, name).to.deep.equal([]);
      expect(fhirJsonToXml(read.resource!), name).to.equal(xml);
    }
  });

  it('every JSON sample goes JSON → XML → JSON unchanged', () => {
    for (const name of readdirSync(SAMPLES).filter((f) => f.endsWith('.json'))) {
      const json = JSON.parse(text(name));
      const back = fhirXmlToJson(fhirJsonToXml(json));
      expect(
        back.issues.filter((i) => i.code !== 'value'),
        name,
      ).to.deep.equal([]);
      expect(back.resource, name).to.deep.equal(json);
    }
  });

  it('puts elements in definition order whatever the JSON order, and writes ids, extensions, choice types and contained resources as FHIR XML does', () => {
    const xml = fhirJsonToXml({
      birthDate: '1970-01-01',
      _birthDate: { id: 'bd' },
      name: [{ given: ['A', 'B'], _given: [null, { extension: [{ url: 'urn:x', valueString: 'y' }] }] }],
      active: true,
      extension: [{ url: 'urn:e', valueQuantity: { value: 1.5, unit: 'mg' } }],
      contained: [{ resourceType: 'Organization', id: 'o', name: 'A "B"\nC & <D>' }],
      id: 'p1',
      resourceType: 'Patient',
    });
    expect(xml).to.equal(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Patient xmlns="http://hl7.org/fhir">',
        '  <id value="p1"/>',
        '  <contained>',
        '    <Organization>',
        '      <id value="o"/>',
        '      <name value="A &#34;B&#34;&#10;C &#38; &#60;D&#62;"/>',
        '    </Organization>',
        '  </contained>',
        '  <extension url="urn:e">',
        '    <valueQuantity>',
        '      <value value="1.5"/>',
        '      <unit value="mg"/>',
        '    </valueQuantity>',
        '  </extension>',
        '  <active value="true"/>',
        '  <name>',
        '    <given value="A"/>',
        '    <given value="B">',
        '      <extension url="urn:x">',
        '        <valueString value="y"/>',
        '      </extension>',
        '    </given>',
        '  </name>',
        '  <birthDate id="bd" value="1970-01-01"/>',
        '</Patient>',
        '',
      ].join('\n'),
    );
    expect(fhirXmlToJson(xml).resource).to.deep.equal({
      resourceType: 'Patient',
      id: 'p1',
      contained: [{ resourceType: 'Organization', id: 'o', name: 'A "B"\nC & <D>' }],
      extension: [{ url: 'urn:e', valueQuantity: { value: 1.5, unit: 'mg' } }],
      active: true,
      name: [{ given: ['A', 'B'], _given: [null, { extension: [{ url: 'urn:x', valueString: 'y' }] }] }],
      birthDate: '1970-01-01',
      _birthDate: { id: 'bd' },
    });
  });

  it('a resource held by an element of a resource type (Bundle.entry.response.outcome) is wrapped, and read back', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: [
        {
          response: {
            status: '201 Created',
            location: 'ChargeItem/1/_history/1',
            outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
          },
        },
      ],
    };
    const xml = fhirJsonToXml(bundle);
    expect(xml).to.include('<outcome>\n        <OperationOutcome>\n          <issue>');
    expect(fhirXmlToJson(xml).resource).to.deep.equal(bundle);
  });

  it('refuses what R4 does not define, naming the element, instead of writing XML a server would reject', () => {
    expect(writeError({ resourceType: 'ChargeItem', status: 'billable', colour: 'red' })).to.equal(
      'ChargeItem.colour is not an element of ChargeItem in R4',
    );
    expect(writeError({ resourceType: 'ChargeItem', code: { coding: [{ code: 'x', shade: 1 }] } })).to.equal(
      'ChargeItem.code.coding[0].shade is not an element of Coding in R4',
    );
    expect(writeError({ resourceType: 'ChargeItem', status: { text: 'billable' } })).to.match(
      /^ChargeItem\.status: expected a primitive value/,
    );
    expect(writeError({ resourceType: 'Nope' })).to.equal('resourceType "Nope" is not an R4 resource type');
    expect(writeError({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Nope' } }] })).to.equal(
      'Bundle.entry[0].resource.resourceType "Nope" is not an R4 resource type',
    );
  });
});
