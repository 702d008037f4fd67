import { expect } from 'chai';
import { PermanentDeliveryError, TransientDeliveryError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';
import { freePort } from '../../../lib/net.js';
import { destinations } from '../../../routes/destinations/index.js';
import { fhirDestinationSchema } from '../../../routes/destinations/fhir/index.js';
import { RetryLaterError } from '../../../routes/retry.js';
import { inlineSecrets } from '../../../lib/secrets.js';
import type { Delivery, Destination } from '../../../routes/types.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { openssl, scratch } from '../../support/openssl.js';
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

const ctx = { channel: 'or-usage', route: 'billing', log: silentLogger };
const SYSTEM = 'urn:oid:1.2.840.114350.1.13.0.1.7.2.798268';

function chargeItem(id = 'FT-1001', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'ChargeItem',
    identifier: [{ system: SYSTEM, value: id }],
    status: 'billable',
    code: { coding: [{ system: 'urn:charge-master', code: '27800123' }] },
    subject: { reference: 'Patient/p-1' },
    quantity: { value: 1 },
    ...extra,
  };
}

function delivery(body: unknown, overrides: Partial<Delivery> = {}): Delivery {
  return {
    deliveryId: 'd-1',
    messageId: 'm-1',
    channel: 'or-usage',
    route: 'billing',
    idempotencyKey: 'm-1:billing',
    correlationId: 'corr-1',
    attempt: 1,
    payload: { body: typeof body === 'string' ? body : JSON.stringify(body), contentType: 'application/fhir+json' },
    ...overrides,
  };
}

function make(config: Record<string, unknown>): Destination {
  const def = destinations.find((d) => d.type === 'fhir')!;
  return def.create(def.schema.parse({ type: 'fhir', ...config }), ctx);
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; response?: { status?: string; body?: string } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('routes/destinations/fhir (against @medplum/fhir-router in memory)', function () {
  this.timeout(60_000);
  let server: FhirServer;

  before(async () => {
    server = await startFhirServer();
  });
  afterEach(() => server.reset());
  after(() => server.close());

  describe('config', () => {
    it('defaults to conditional-create with validation and no auth', () => {
      const c = fhirDestinationSchema.parse({ type: 'fhir', url: 'https://billing.example/fhir/R4' });
      expect(c).to.include({ interaction: 'conditional-create', validate: true, timeout: 30_000 });
      expect(c.auth).to.deep.equal({ type: 'none' });
    });

    it('refuses unknown interactions, keys, bad URLs and an identifierSystem on a non-conditional interaction', () => {
      for (const bad of [
        { interaction: 'delete' },
        { colour: 'red' },
        { url: 'ftp://x/fhir' },
        { interaction: 'create', identifierSystem: SYSTEM },
        { auth: { type: 'oauth2', tokenUrl: 'http://t/token', clientId: 'a' } },
      ]) {
        const r = fhirDestinationSchema.safeParse({ type: 'fhir', url: 'https://billing.example/fhir/R4', ...bad });
        expect(r.success, JSON.stringify(bad)).to.equal(false);
      }
    });
  });

  it('an OAuth2 clientSecret counts as a secret: written inline in YAML it is reported at load', () => {
    const paths = inlineSecrets({
      routes: [{ destination: { type: 'fhir', auth: { type: 'oauth2', clientId: 'a', clientSecret: 'inline' } } }],
    });
    expect(paths.map((p) => p.join('.'))).to.deep.equal(['routes.0.destination.auth.clientSecret']);
  });

  describe('interactions', () => {
    it('conditional create: a second send of the same ChargeItem (a retry, a replay) creates nothing', async () => {
      const d = make({ url: server.baseUrl });
      const first = await d.send(delivery(chargeItem()));
      const second = await d.send(delivery(chargeItem(), { attempt: 2 }));
      expect(first.status).to.equal('201');
      expect(second.status).to.equal('200');
      const stored = await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-1001` });
      expect(stored).to.have.length(1);
      expect(JSON.parse(first.body!)).to.include({ resourceType: 'ChargeItem', id: stored[0]!.id });
      expect(server.requests[0]!.headers['if-none-exist']).to.equal(`identifier=${encodeURIComponent(`${SYSTEM}|FT-1001`)}`);
      expect(server.requests[0]!.headers['idempotency-key']).to.equal('m-1:billing');
    });

    it('asks for and answers the resources as the server stored them, for lineage to compare with what was sent', async () => {
      const d = make({ url: server.baseUrl });
      const r = await d.send(delivery(chargeItem('FT-4004')));
      const [stored] = await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-4004` });
      expect(server.requests[0]!.headers.prefer).to.equal('return=representation');
      expect(r.answered).to.have.length(1);
      expect(r.answered![0]).to.deep.include({ resourceType: 'ChargeItem', id: stored!.id });
      const t = make({ url: server.baseUrl, interaction: 'transaction' });
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: chargeItem('FT-4005'), request: { method: 'POST', url: 'ChargeItem' } }],
      };
      const answered = (await t.send(delivery(bundle))).answered as Array<{ resourceType: string; identifier: Array<{ value: string }> }>;
      expect(answered.map((a) => `${a.resourceType} ${a.identifier[0]!.value}`)).to.deep.equal(['ChargeItem FT-4005']);
    });

    it("sends the attempt's traceparent when the delivery has one (traces on), and none otherwise", async () => {
      const d = make({ url: server.baseUrl, interaction: 'create' });
      const traceparent = '00-01938f2e7c1a7b3e9a415d2c0e6f8a10-5be1f2a6c3d40718-01';
      await d.send(delivery(chargeItem(), { traceparent }));
      await d.send(delivery(chargeItem(), { attempt: 2 }));
      expect(server.requests[0]!.headers.traceparent).to.equal(traceparent);
      expect(server.requests[1]!.headers.traceparent).to.equal(undefined);
    });

    it('conditional create: when the answer to the first attempt is lost, the retry still leaves one ChargeItem', async () => {
      const d = make({ url: server.baseUrl });
      server.fail({ dropAnswer: true });
      const lost = await rejection(d.send(delivery(chargeItem('FT-2002'))));
      expect(lost).to.be.instanceOf(TransientDeliveryError);
      expect(lost.code).to.equal('fhir-network-error');
      const retry = await d.send(delivery(chargeItem('FT-2002'), { attempt: 2 }));
      expect(retry.status).to.equal('200');
      expect(await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-2002` })).to.have.length(1);
    });

    it('plain create makes a new resource each time (what conditional create prevents)', async () => {
      const d = make({ url: server.baseUrl, interaction: 'create' });
      await d.send(delivery(chargeItem('FT-3')));
      await d.send(delivery(chargeItem('FT-3')));
      expect(await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-3` })).to.have.length(2);
      expect(server.requests[0]!.headers['if-none-exist']).to.equal(undefined);
    });

    it('identifier values with , $ \\ are escaped in the condition (and | is escaped on the wire)', async () => {
      const d = make({ url: server.baseUrl });
      await d.send(delivery(chargeItem('A,B$C\\D')));
      await d.send(delivery(chargeItem('A,B$C\\D')));
      await d.send(delivery(chargeItem('A')));
      expect(await server.search('ChargeItem')).to.have.length(2);
      // The in-memory repository does not unescape \| when matching; the header is what FHIR search escaping asks for.
      await d.send(delivery(chargeItem('X|Y')));
      expect(new URLSearchParams(server.requests.at(-1)!.headers['if-none-exist'] as string).get('identifier')).to.equal(`${SYSTEM}|X\\|Y`);
    });

    it('conditional update creates, then replaces the same resource by its business identifier', async () => {
      const d = make({ url: server.baseUrl, interaction: 'conditional-update', identifierSystem: SYSTEM });
      const created = await d.send(delivery(chargeItem('FT-4')));
      const updated = await d.send(delivery(chargeItem('FT-4', { status: 'billed' })));
      expect(created.status).to.equal('201');
      expect(updated.status).to.equal('200');
      const stored = await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-4` });
      expect(stored).to.have.length(1);
      expect((stored[0] as { status?: string }).status).to.equal('billed');
      expect(server.requests[1]!.method).to.equal('PUT');
      expect(server.requests[1]!.path).to.equal(`/fhir/R4/ChargeItem?identifier=${encodeURIComponent(`${SYSTEM}|FT-4`)}`);
    });

    it('update by id', async () => {
      const d = make({ url: server.baseUrl, interaction: 'update' });
      const r = await d.send(delivery(chargeItem('FT-5', { id: 'ci-5' })));
      expect(['200', '201']).to.include(r.status);
      await d.send(delivery(chargeItem('FT-5', { id: 'ci-5', status: 'billed' })));
      const stored = await server.repository.readResource('ChargeItem', 'ci-5');
      expect((stored as { status?: string }).status).to.equal('billed');
      const noId = await rejection(d.send(delivery(chargeItem('FT-6'))));
      expect(noId).to.be.instanceOf(PermanentDeliveryError);
      expect(noId.code).to.equal('fhir-missing-id');
    });

    it('transaction: a Device and the SupplyDelivery that references it, atomically; entry statuses in the result', async () => {
      const d = make({ url: server.baseUrl, interaction: 'transaction' });
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:2c1f0b64-4a27-4f1c-9f6e-1a0c1b2d3e4f',
            resource: {
              resourceType: 'Device',
              status: 'active',
              udiCarrier: [{ deviceIdentifier: '00884521123456', carrierHRF: '(01)00884521123456(17)281231(10)LOT42(21)SN9' }],
              lotNumber: 'LOT42',
              serialNumber: 'SN9',
            },
            request: { method: 'POST', url: 'Device' },
          },
          {
            resource: {
              resourceType: 'SupplyDelivery',
              identifier: [{ system: 'urn:receipts', value: 'RCV-1' }],
              status: 'completed',
              suppliedItem: { quantity: { value: 1 }, itemReference: { reference: 'urn:uuid:2c1f0b64-4a27-4f1c-9f6e-1a0c1b2d3e4f' } },
            },
            request: { method: 'POST', url: 'SupplyDelivery', ifNoneExist: 'identifier=urn:receipts|RCV-1' },
          },
        ],
      };
      const r = await d.send(delivery(bundle));
      expect(r.status).to.equal('200');
      const summary = JSON.parse(r.body!) as { type: string; entry: { status: string; location: string }[] };
      expect(summary.type).to.equal('transaction-response');
      expect(summary.entry.map((e) => e.status)).to.deep.equal(['201', '201']);
      const [delivered] = await server.search('SupplyDelivery');
      const [device] = await server.search('Device');
      expect((delivered as { suppliedItem: { itemReference: { reference: string } } }).suppliedItem.itemReference.reference).to.equal(
        `Device/${device!.id}`,
      );
    });

    it('batch: a failed entry fails the delivery and names it', async () => {
      const d = make({ url: server.baseUrl, interaction: 'batch', validate: false });
      const bundle = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: chargeItem('B-1'), request: { method: 'POST', url: 'ChargeItem' } },
          { request: { method: 'GET', url: 'ChargeItem/does-not-exist' } },
        ],
      };
      const err = await rejection(d.send(delivery(bundle)));
      expect(err).to.be.instanceOf(PermanentDeliveryError);
      expect(err.code).to.equal('fhir-batch-entry-failed');
      expect(err.message).to.match(/1 of 2 batch entries failed \(entry 1 404\)/);
    });
  });

  describe('FHIR XML (format: xml)', () => {
    // The router behind the test server works on JSON: it reads an XML body with the project's FHIR
    // XML codec and answers in XML when asked. What it stores is compared with what the same resource
    // sent as JSON stores.
    const comparable = (r: any) => {
      const { id: _id, meta: _meta, identifier: _identifier, ...rest } = r;
      return rest;
    };

    it('conditional create sends application/fhir+xml and stores what the same ChargeItem sent as JSON stores; a retry creates nothing', async () => {
      const extra = {
        occurrenceDateTime: '2026-11-21T09:30:00-05:00',
        priceOverride: { value: 2450.5, currency: 'USD' },
        productCodeableConcept: { coding: [{ system: 'urn:interlace:item', code: '100234' }], text: 'STEM & "CUP" <12>' },
        _status: { extension: [{ url: 'urn:x:reason', valueString: 'implant\nused' }] },
        note: [{ text: 'line one\nline two' }],
      };
      const xml = make({ url: server.baseUrl, format: 'xml' });
      const json = make({ url: server.baseUrl });
      const first = await xml.send(delivery(chargeItem('FT-X1', extra)));
      const retry = await xml.send(delivery(chargeItem('FT-X1', extra), { attempt: 2 }));
      await json.send(delivery(chargeItem('FT-J1', extra)));
      expect([first.status, retry.status]).to.deep.equal(['201', '200']);
      const sent = server.requests[0]!;
      expect(sent.headers['content-type']).to.equal('application/fhir+xml');
      expect(sent.headers.accept).to.equal('application/fhir+xml');
      expect(
        sent.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<ChargeItem xmlns="http://hl7.org/fhir">\n  <identifier>'),
      ).to.equal(true);
      expect(sent.body).to.include('<status value="billable">');
      expect(sent.body).to.include('<text value="STEM &#38; &#34;CUP&#34; &#60;12&#62;"/>');
      const [viaXml] = await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-X1` });
      const [viaJson] = await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-J1` });
      expect(await server.search('ChargeItem', { identifier: `${SYSTEM}|FT-X1` })).to.have.length(1);
      expect(comparable(viaXml)).to.deep.equal(comparable(viaJson));
      expect(comparable(viaXml)).to.deep.equal(comparable(chargeItem('FT-X1', extra)));
      // the answer came back as XML and was read: the ledger has the id and location of what was written
      expect(JSON.parse(first.body!)).to.include({ resourceType: 'ChargeItem', id: viaXml!.id });
      expect(JSON.parse(first.body!).location).to.match(new RegExp(`/ChargeItem/${viaXml!.id}/_history/`));
    });

    it('a transaction Bundle goes as XML with its entries, each conditional; the answer Bundle is read from XML', async () => {
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: ['T-1', 'T-2'].map((id) => ({
          resource: chargeItem(id),
          request: { method: 'POST', url: 'ChargeItem', ifNoneExist: `identifier=${SYSTEM}|${id}` },
        })),
      };
      const d = make({ url: server.baseUrl, interaction: 'transaction', format: 'xml' });
      const result = await d.send(delivery(bundle));
      await d.send(delivery(bundle, { attempt: 2 }));
      expect(server.requests[0]!.body).to.include('<Bundle xmlns="http://hl7.org/fhir">');
      expect(server.requests[0]!.body).to.include('<resource>\n      <ChargeItem>');
      expect(JSON.parse(result.body!).entry.map((e: any) => e.status)).to.deep.equal(['201', '201']);
      expect((await server.search('ChargeItem')).map((c: any) => c.identifier[0].value).sort()).to.deep.equal(['T-1', 'T-2']);
    });

    it("a refusal answered in XML is final with the server's OperationOutcome read from it", async () => {
      const d = make({ url: server.baseUrl, interaction: 'update', format: 'xml' });
      const e = await rejection(
        d.send(delivery({ ...chargeItem('U-1'), id: 'abc' }, {})).then(() => d.send(delivery({ ...chargeItem('U-1'), id: 'a b' }))),
      );
      expect(e).to.be.instanceOf(PermanentDeliveryError);
      expect(e.code).to.equal('fhir-rejected');
      expect(e.response!.body).to.match(/^<\?xml .*\n<OperationOutcome xmlns="http:\/\/hl7.org\/fhir">/s);
      expect(e.message).to.match(/answered 400: \S/);
      expect(e.message).to.not.include('<');
    });

    it('a resource with an element R4 does not define cannot be written as XML: final, nothing sent', async () => {
      const d = make({ url: server.baseUrl, format: 'xml', validate: false });
      const e = await rejection(d.send(delivery(chargeItem('FT-BAD', { colour: 'red' }))));
      expect(e).to.be.instanceOf(PermanentDeliveryError);
      expect(e.code).to.equal('fhir-invalid-payload');
      expect(e.message).to.equal(
        'delivery d-1: the ChargeItem cannot be written as FHIR XML: ChargeItem.colour is not an element of ChargeItem in R4',
      );
      expect(server.requests).to.have.length(0);
    });
  });

  describe('refusals before sending', () => {
    it('an invalid resource is dead-lettered with an OperationOutcome naming the element; nothing is sent', async () => {
      const d = make({ url: server.baseUrl });
      const err = await rejection(d.send(delivery(chargeItem('X', { status: 'paid', quantity: { value: 'one' } }))));
      expect(err).to.be.instanceOf(PermanentDeliveryError);
      expect(err.code).to.equal('fhir-invalid-resource');
      expect(err.message).to.match(/ChargeItem\.quantity\.value/);
      const oo = JSON.parse(err.response!.body!) as { issue: { expression: string[]; details: { text: string } }[] };
      expect(oo.issue.map((i) => i.expression[0])).to.include.members(['ChargeItem.quantity.value', 'ChargeItem.status']);
      expect(oo.issue.find((i) => i.expression[0] === 'ChargeItem.status')!.details.text).to.match(
        /"paid" is not in the required value set .*chargeitem-status; expected planned, billable/,
      );
      expect(server.requests).to.have.length(0);
    });

    it('no business identifier for a conditional create: refused, since a retry could duplicate', async () => {
      const d = make({ url: server.baseUrl });
      const err = await rejection(d.send(delivery(chargeItem('X', { identifier: [{ value: 'no-system' }] }))));
      expect(err).to.be.instanceOf(PermanentDeliveryError);
      expect(err.code).to.equal('fhir-missing-identifier');
      expect(server.requests).to.have.length(0);
    });

    it('a body that is not JSON, has no resourceType, or is not the Bundle a transaction needs', async () => {
      const d = make({ url: server.baseUrl });
      for (const body of ['<ChargeItem/>', '[1,2]', '{"status":"billable"}', '{"resourceType":"../x"}']) {
        const err = await rejection(d.send(delivery(body)));
        expect(err.code, body).to.equal('fhir-invalid-payload');
      }
      const t = make({ url: server.baseUrl, interaction: 'transaction' });
      const err = await rejection(t.send(delivery({ resourceType: 'Bundle', type: 'collection', entry: [] })));
      expect(err.message).to.match(/needs a Bundle of type transaction; got Bundle of type collection/);
    });
  });

  describe('server answers', () => {
    it('5xx and 408 are retried; 429 with Retry-After waits as told; 400/404/422 are final with the OperationOutcome kept', async () => {
      const d = make({ url: server.baseUrl });
      server.fail({ status: 503 });
      const e503 = await rejection(d.send(delivery(chargeItem())));
      expect(e503).to.be.instanceOf(TransientDeliveryError);
      expect(e503).to.not.be.instanceOf(PermanentDeliveryError);
      expect(e503.code).to.equal('fhir-retryable-status');
      expect(e503.response!.status).to.equal('503');

      server.fail({ status: 408 });
      expect(await rejection(d.send(delivery(chargeItem())))).to.be.instanceOf(TransientDeliveryError);

      server.fail({ status: 429, headers: { 'retry-after': '7' } });
      const e429 = await rejection(d.send(delivery(chargeItem())));
      expect(e429).to.be.instanceOf(RetryLaterError);
      expect((e429 as RetryLaterError).retryAfterMs).to.equal(7000);

      for (const status of [400, 404, 409, 422]) {
        const oo = {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'business-rule', expression: ['ChargeItem.subject'], details: { text: 'account closed' } }],
        };
        server.fail({ status, body: oo });
        const e = await rejection(d.send(delivery(chargeItem())));
        expect(e, String(status)).to.be.instanceOf(PermanentDeliveryError);
        expect(e.code).to.equal('fhir-rejected');
        expect(e.message).to.contain(`answered ${status}: ChargeItem.subject: account closed`);
        expect(JSON.parse(e.response!.body!)).to.deep.equal(oo);
      }
      expect(await server.search('ChargeItem')).to.have.length(0);
    });

    it('no answer within the timeout, or nothing listening: retried', async () => {
      const d = make({ url: server.baseUrl, timeout: '300ms' });
      server.fail({ hang: true });
      const slow = await rejection(d.send(delivery(chargeItem())));
      expect(slow).to.be.instanceOf(TransientDeliveryError);
      expect(slow.code).to.equal('fhir-timeout');
      const port = await freePort();
      const down = await rejection(make({ url: `http://127.0.0.1:${port}/fhir/R4` }).send(delivery(chargeItem())));
      expect(down).to.be.instanceOf(TransientDeliveryError);
      expect(down.code).to.equal('fhir-network-error');
      expect(down.message).to.contain('ECONNREFUSED');
    });

    it('health reads the capability statement; a dead server is reported, not thrown', async () => {
      expect((await make({ url: server.baseUrl }).health()).ok).to.equal(true);
      const port = await freePort();
      expect((await make({ url: `http://127.0.0.1:${port}/fhir/R4` }).health()).ok).to.equal(false);
    });
  });

  describe('auth', () => {
    it('bearer: the right token is accepted, a wrong one is a final 401', async () => {
      const secured = await startFhirServer({ bearerToken: 's3cret' });
      try {
        const ok = await make({ url: secured.baseUrl, auth: { type: 'bearer', token: 's3cret' } }).send(delivery(chargeItem()));
        expect(ok.status).to.equal('201');
        const err = await rejection(make({ url: secured.baseUrl, auth: { type: 'bearer', token: 'wrong' } }).send(delivery(chargeItem())));
        expect(err).to.be.instanceOf(PermanentDeliveryError);
        expect(err.response!.status).to.equal('401');
      } finally {
        await secured.close();
      }
    });

    it('OAuth2 client credentials: one token for many sends, a new one after it expires, a wrong secret is final', async () => {
      const secured = await startFhirServer({ oauth: { clientId: 'interlace', clientSecret: 'pw:with/odd&chars', expiresInSeconds: 2 } });
      try {
        const auth = {
          type: 'oauth2',
          tokenUrl: secured.tokenUrl,
          clientId: 'interlace',
          clientSecret: 'pw:with/odd&chars',
          scope: 'system/ChargeItem.write',
        };
        const d = make({ url: secured.baseUrl, auth });
        await Promise.all([d.send(delivery(chargeItem('O-1'))), d.send(delivery(chargeItem('O-2'))), d.send(delivery(chargeItem('O-3')))]);
        expect(secured.tokenRequests).to.deep.equal([{ grantType: 'client_credentials', clientId: 'interlace', ok: true }]);
        // The token lives 2 s; it is not used in its last second (half its life at most).
        await new Promise((r) => setTimeout(r, 1200));
        await d.send(delivery(chargeItem('O-4')));
        expect(secured.tokenRequests).to.have.length(2);
        expect(await secured.search('ChargeItem')).to.have.length(4);

        const post = make({ url: secured.baseUrl, auth: { ...auth, clientAuthMethod: 'post' } });
        expect((await post.send(delivery(chargeItem('O-5')))).status).to.equal('201');

        const wrong = await rejection(
          make({ url: secured.baseUrl, auth: { ...auth, clientSecret: 'nope' } }).send(delivery(chargeItem('O-6'))),
        );
        expect(wrong).to.be.instanceOf(PermanentDeliveryError);
        expect(wrong.code).to.equal('oauth2-rejected');
        expect(wrong.message).to.contain('invalid_client');
        expect(wrong.message).to.not.contain('nope');
      } finally {
        await secured.close();
      }
    });

    it('OAuth2: a token endpoint that is down is retried, not dead-lettered', async () => {
      const port = await freePort();
      const d = make({
        url: server.baseUrl,
        auth: { type: 'oauth2', tokenUrl: `http://127.0.0.1:${port}/token`, clientId: 'a', clientSecret: 'b' },
      });
      const err = await rejection(d.send(delivery(chargeItem())));
      expect(err).to.be.instanceOf(TransientDeliveryError);
      expect(err.code).to.equal('oauth2-unavailable');
    });
  });

  describe('mutual TLS', () => {
    /** A self-signed certificate (RSA 2048) for 127.0.0.1, made by openssl. */
    function cert(dir: ReturnType<typeof scratch>, name: string): { cert: string; key: string } {
      const out = { cert: dir.path(`${name}.crt`), key: dir.path(`${name}.key`) };
      openssl([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        out.key,
        '-out',
        out.cert,
      ]);
      return out;
    }

    it('presents the client certificate to an HTTPS FHIR server that requires one; without it the connection is refused and retried', async () => {
      const dir = scratch('interlace-fhir-mtls-');
      const serverCert = cert(dir, 'fhir-server');
      const client = cert(dir, 'interlace-client');
      const stranger = cert(dir, 'stranger');
      const peers: string[] = [];
      // TLS in front of the real FHIR server: only a client certificate signed by `client` gets through.
      const front = https.createServer(
        {
          cert: readFileSync(serverCert.cert),
          key: readFileSync(serverCert.key),
          ca: readFileSync(client.cert),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (req, res) => {
          peers.push((req.socket as TLSSocket).getPeerCertificate().subject.CN as string);
          const upstream = new URL(server.baseUrl);
          const fwd = http.request(
            { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          req.pipe(fwd);
        },
      );
      await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(front.address() as AddressInfo).port}/fhir/R4`;
      const made: Destination[] = [];
      const build = (tls: Record<string, unknown>) => {
        const d = make({ url, tls });
        made.push(d);
        return d;
      };
      try {
        const ok = build({ cert: client.cert, key: client.key, ca: serverCert.cert });
        const result = await ok.send(delivery(chargeItem('MTLS-1')));
        expect(result.status).to.equal('201');
        expect(peers).to.deep.equal(['interlace-client']);
        expect(await server.search('ChargeItem', { identifier: `${SYSTEM}|MTLS-1` })).to.have.length(1);
        expect((await ok.health()).ok).to.equal(true);

        const noCert = await rejection(build({ ca: serverCert.cert }).send(delivery(chargeItem('MTLS-2'))));
        expect(noCert, noCert.message).to.be.instanceOf(TransientDeliveryError);
        expect(noCert.code).to.equal('fhir-network-error');
        const wrongCert = await rejection(
          build({ cert: stranger.cert, key: stranger.key, ca: serverCert.cert }).send(delivery(chargeItem('MTLS-3'))),
        );
        expect(wrongCert.code).to.equal('fhir-network-error');
        const untrusted = await rejection(build({ cert: client.cert, key: client.key }).send(delivery(chargeItem('MTLS-4'))));
        expect(untrusted.code).to.equal('fhir-network-error');
        expect(peers, 'only the delivery and the health check got through').to.deep.equal(['interlace-client', 'interlace-client']);
        expect(await server.search('ChargeItem', { identifier: `${SYSTEM}|MTLS-2` })).to.have.length(0);
      } finally {
        for (const d of made) await d.close();
        await new Promise((resolve) => front.close(resolve));
        dir.cleanup();
      }
    });

    it('config: tls needs an https URL and both cert and key; an unreadable file is named', () => {
      const bad = fhirDestinationSchema.safeParse({ type: 'fhir', url: 'http://127.0.0.1/fhir', tls: { cert: '/x.crt' } });
      expect(bad.success).to.equal(false);
      const messages = bad.error!.issues.map((i) => i.message);
      expect(messages).to.include('tls is set but the url is http://; use an https:// URL');
      expect(messages).to.include('a client certificate needs both cert and key');
      expect(() => make({ url: 'https://127.0.0.1/fhir', tls: { cert: '/nonexistent/c.crt', key: '/nonexistent/c.key' } })).to.throw(
        /route or-usage\/billing: tls.cert: cannot read \/nonexistent\/c.crt/,
      );
    });
  });
});
