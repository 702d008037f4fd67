import { expect } from 'chai';
import iconv from 'iconv-lite';
import { compileBody, compileCondition, TransformConfigError } from '../../transforms/index.js';
import { dftState, rejection, TABLES, thrown } from './support.js';

const deps = { tables: TABLES };

describe('transforms: route conditions and bodies', () => {
  it('evaluates a condition to true or false', async () => {
    const implants = compileCondition("$count($doc('supply-usage').lines[serial or lot]) > 0", deps);
    expect(await implants(dftState())).to.equal(true);
    const inpatient = compileCondition("$doc('encounter').patientClass = 'I'", deps);
    expect(await inpatient(dftState())).to.equal(false);
  });

  it('refuses a condition with a syntax error, path relative to the condition', () => {
    const err = thrown(() => compileCondition("meta.channel = 'x", deps));
    expect(err).to.be.instanceOf(TransformConfigError);
    expect(err.code).to.equal('invalid-expression');
    expect(err.path).to.deep.equal([]);
    expect(err.position).to.be.a('number');
  });

  it('builds a JSON body with headers and a path', async () => {
    const build = compileBody(
      {
        json: "{ 'account': $doc('encounter').accountNumber, 'lines': $count($doc('supply-usage').lines) }",
        headers: { 'X-Message-Id': 'meta.messageId', 'X-Empty': 'message.NOPE', 'X-Count': '$count(canonical)' },
        path: "'/usage/' & meta.controlId",
      },
      deps,
    );
    const payload = await build(dftState());
    expect(payload).to.deep.equal({
      body: '{"account":"ACC-778812","lines":2}',
      contentType: 'application/json',
      headers: { 'X-Message-Id': '01JD3K8Q5VZ', 'X-Count': '4' },
      path: '/usage/MSG00042',
    });
  });

  it('lets a JSON body override its content type', async () => {
    const payload = await compileBody({ json: 'vars', contentType: 'application/fhir+json' }, deps)(dftState({ vars: { a: [1] } }));
    expect(payload).to.deep.equal({ body: '{"a":[1]}', contentType: 'application/fhir+json' });
  });

  it('fails a JSON body that has no value', async () => {
    const err = await rejection(compileBody({ json: 'message.NOPE' }, deps)(dftState()));
    expect(err.code).to.equal('empty-body');
  });

  it('renders a template, placeholders being any expression, objects as JSON', async () => {
    const build = compileBody(
      {
        template:
          'USAGE|{{ meta.controlId }}|{{$count($doc(\'supply-usage\').lines)}}|{{ message.NOPE }}|{{ {"a": {"b": 1}} }}|\\{{literal}}',
        contentType: 'text/csv',
      },
      deps,
    );
    const payload = await build(dftState());
    expect(payload).to.deep.equal({ body: 'USAGE|MSG00042|2||{"a":{"b":1}}|{{literal}}', contentType: 'text/csv' });
  });

  it("defaults a template's content type to text/plain", async () => {
    const payload = await compileBody({ template: 'plain' }, deps)(dftState());
    expect(payload).to.deep.equal({ body: 'plain', contentType: 'text/plain' });
  });

  it('reports template errors with their position in the template', () => {
    const bad = thrown(() => compileBody({ template: 'A|{{ meta.( }}|B' }, deps));
    expect(bad.code).to.equal('invalid-expression');
    expect(bad.path).to.deep.equal(['template']);
    expect(bad.position).to.be.greaterThan(3).and.lessThan(14);
    const open = thrown(() => compileBody({ template: 'A|{{ meta.channel' }, deps));
    expect(open.code).to.equal('invalid-template');
    expect(open.position).to.equal(3);
    const empty = thrown(() => compileBody({ template: 'A|{{ }}' }, deps));
    expect(empty.code).to.equal('invalid-template');
    const unsafe = thrown(() => compileBody({ template: 'abc {{ $eval("1") }}' }, deps));
    expect(unsafe.code).to.equal('unsafe-expression');
    // JSONata positions point just past the offending token: 'abc {{ $eval' is 12 characters.
    expect(unsafe.position).to.equal(12);
  });

  it('sends the original bytes for raw bodies, decoded with the charset', async () => {
    const hl7 = 'MSH|^~\\&|EPIC|NORTH|||20261120||DFT^P03|MSG00042|P|2.5\rEVN|P03\r';
    const bytes = iconv.encode(`${hl7}PID|||1||Mu\u00f1oz\r`, 'latin1');
    const latin = await compileBody(
      { raw: true, charset: 'latin1', contentType: 'x-application/hl7-v2+er7' },
      deps,
    )(dftState({ raw: bytes }));
    expect(latin.contentType).to.equal('x-application/hl7-v2+er7');
    expect(iconv.encode(latin.body, 'latin1').equals(bytes)).to.equal(true);
    expect(latin.body).to.include('Mu\u00f1oz');
    const plain = await compileBody({ raw: true }, deps)(dftState({ raw: hl7 }));
    expect(plain).to.deep.equal({ body: hl7, contentType: 'application/octet-stream' });
  });

  it('fails a raw body when no bytes were handed over, and refuses unknown charsets', async () => {
    const err = await rejection(compileBody({ raw: true }, deps)(dftState()));
    expect(err.code).to.equal('raw-unavailable');
    const cs = thrown(() => compileBody({ raw: true, charset: 'klingon-8' }, deps));
    expect(cs.code).to.equal('unknown-charset');
    expect(cs.path).to.deep.equal(['charset']);
  });

  it('refuses header and path values that are objects or span lines', async () => {
    const obj = await rejection(compileBody({ template: 'x', headers: { 'X-A': 'meta' } }, deps)(dftState()));
    expect(obj.code).to.equal('invalid-header');
    expect(obj.message).to.equal('body headers.X-A: the expression produced an object; expected text');
    const crlf = await rejection(compileBody({ template: 'x', headers: { 'X-A': '"a\\r\\nSet-Cookie: x"' } }, deps)(dftState()));
    expect(crlf.code).to.equal('invalid-header');
    const path = await rejection(compileBody({ template: 'x', path: 'canonical' }, deps)(dftState()));
    expect(path.code).to.equal('invalid-path');
  });

  it('refuses bodies and conditions that skipped schema validation', () => {
    const two = thrown(() => compileBody({ json: 'a', template: 'b' }, deps));
    expect(two.code).to.equal('invalid-body');
    expect(two.message).to.include('exactly one of json, template, raw, csv or fixed');
    const extra = thrown(() => compileBody({ json: 'a', jsn: 'b' } as never, deps));
    expect(extra.code).to.equal('invalid-body');
    expect(thrown(() => compileCondition(42 as never, deps)).code).to.equal('invalid-expression');
    expect(thrown(() => compileCondition('  ', deps)).code).to.equal('invalid-expression');
  });

  it('names the header whose expression does not compile', () => {
    const err = thrown(() => compileBody({ template: 'x', headers: { 'X-Ok': '1', 'X-Bad': '1 +' } }, deps));
    expect(err.path).to.deep.equal(['headers', 'X-Bad']);
    expect(err.message).to.match(/^body headers\.X-Bad: invalid expression at position 3: /);
  });
});
