import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Source, SourceContext } from '../../../channels/types.js';
import { parserFor } from '../../../parsers/index.js';
import { RecordingContext } from '../file/support.js';
import { startHttp } from './support.js';

const SAMPLES = fileURLToPath(new URL('../../../samples/fhir/', import.meta.url));

type Outcome = {
  resourceType: string;
  issue: { severity: string; code: string; expression?: string[]; details: { text: string; coding?: { code: string }[] } }[];
};

/** The HTTP listener of a `parse: { format: fhir }` channel answers in FHIR terms (OperationOutcome), through the format's hook. */
describe('http source with parse.format fhir: OperationOutcome answers', function () {
  this.timeout(60_000);
  let ctx: RecordingContext;
  let source: Source;
  let url: string;

  beforeEach(async () => {
    ctx = new RecordingContext();
    (ctx as SourceContext).httpAnswer = parserFor('fhir')!.httpAnswer;
    ({ source, url } = await startHttp(ctx, { path: '/fhir', auth: { type: 'bearer', token: 't0k' }, maxBodyBytes: '1MiB' }));
  });
  afterEach(() => source.stop());

  const post = async (body: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/fhir`, {
      method: 'POST',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers: { authorization: 'Bearer t0k', 'content-type': 'application/fhir+json', ...headers },
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      id: res.headers.get('x-interlace-message-id'),
      outcome: (await res.json()) as Outcome,
    };
  };

  it('a valid ChargeItem: 202 and an informational OperationOutcome with the message id, stored once', async () => {
    const r = await post(readFileSync(SAMPLES + 'chargeitem-implant.json'), { 'x-message-id': 'OR-1' });
    expect(r.status).to.equal(202);
    expect(r.type).to.match(/^application\/fhir\+json/);
    expect(r.outcome.resourceType).to.equal('OperationOutcome');
    expect(r.outcome.issue[0]).to.deep.include({ severity: 'information', code: 'informational' });
    expect(r.outcome.issue[0]!.details.text).to.equal(`stored as message ${r.id}; it is processed next`);
    expect(ctx.inputs).to.have.length(1);
    expect(ctx.inputs[0]!.rejected).to.equal(undefined);
    const again = await post(readFileSync(SAMPLES + 'chargeitem-implant.json'), { 'x-message-id': 'OR-1' });
    expect(again.status).to.equal(200);
    expect(again.outcome.issue[0]!.details.text).to.match(/^duplicate of message m1; not processed again$/);
  });

  it('XML is read too', async () => {
    const r = await post(readFileSync(SAMPLES + 'device-udi.xml'), { 'content-type': 'application/fhir+xml' });
    expect(r.status).to.equal(202);
  });

  it('an invalid resource: 422 with one issue per problem, each naming the element path; the body is stored as rejected', async () => {
    const r = await post(readFileSync(SAMPLES + 'chargeitem-invalid.json'));
    expect(r.status).to.equal(422);
    const byPath = Object.fromEntries(r.outcome.issue.map((i) => [i.expression?.[0], i]));
    expect(Object.keys(byPath)).to.have.members(['ChargeItem.quantity.value', 'ChargeItem.status', 'ChargeItem.occurrence[x]']);
    expect(byPath['ChargeItem.status']).to.deep.include({ severity: 'error', code: 'code-invalid' });
    expect(byPath['ChargeItem.status']!.details.text).to.match(/"posted" is not in the required value set/);
    expect(byPath['ChargeItem.quantity.value']).to.deep.include({ code: 'structure' });
    expect(ctx.inputs).to.have.length(1);
    expect(ctx.inputs[0]!.rejected?.diagnostics.length).to.equal(3);
    expect(ctx.answers).to.deep.include({ messageId: r.id, kind: 'http', code: '422', detail: 'refused by the format check' });
  });

  it('malformed JSON, an XML bomb, a wrong resourceType: 400 with an OperationOutcome sentence, never a stack trace', async () => {
    const cases: [string, string, RegExp][] = [
      [
        '{"resourceType":"ChargeItem","status":"bill',
        'structure',
        /^not valid JSON at line 1, column \d+: the JSON ends inside a string \(truncated\?\)$/,
      ],
      [
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Patient xmlns="http://hl7.org/fhir"/>',
        'security',
        /DOCTYPE or an entity declaration/,
      ],
      ['{"resourceType":"Charge"}', 'structure', /^resourceType "Charge" is not an R4 resource type$/],
    ];
    for (const [body, code, text] of cases) {
      const r = await post(body);
      expect(r.status, body).to.equal(400);
      expect(r.outcome.issue[0]).to.deep.include({ severity: 'error', code });
      expect(r.outcome.issue[0]!.details.text).to.match(text);
      expect(JSON.stringify(r.outcome)).to.not.match(/\bat \w+ \(/);
    }
    expect(ctx.inputs.every((i) => i.rejected)).to.equal(true);
  });

  it("the listener's own refusals are OperationOutcomes too: 401, 404, 413", async () => {
    const unauth = await post('{}', { authorization: 'Bearer wrong' });
    expect(unauth.status).to.equal(401);
    expect(unauth.outcome.issue[0]).to.deep.include({ code: 'login' });
    const missing = await fetch(`${url}/other`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer t0k' } });
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as Outcome).issue[0]).to.deep.include({ code: 'not-found' });
    const big = await post('{"resourceType":"Basic","x":"' + 'a'.repeat(2 * 1024 * 1024) + '"}');
    expect(big.status).to.equal(413);
    expect(big.outcome.issue[0]).to.deep.include({ code: 'too-costly' });
    expect(ctx.inputs).to.have.length(0);
  });
});
