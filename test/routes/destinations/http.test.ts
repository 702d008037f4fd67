import { expect } from 'chai';
import { z } from 'zod';
import { ConfigError, PermanentDeliveryError, TransientDeliveryError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';
import { destinations } from '../../../routes/destinations/index.js';
import { http, httpSchema, targetUrl } from '../../../routes/destinations/http.js';
import { RetryLaterError } from '../../../routes/retry.js';
import type { Delivery, Destination } from '../../../routes/types.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { freePort as closedPort } from '../../../lib/net.js';

const ctx = { channel: 'or-usage', route: 'erp', log: silentLogger };

function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    deliveryId: 'd-1',
    messageId: 'm-1',
    channel: 'or-usage',
    route: 'erp',
    idempotencyKey: 'm-1:erp',
    correlationId: 'corr-1',
    attempt: 1,
    payload: { body: '{"item":"A1"}', contentType: 'application/json' },
    ...overrides,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('routes/destinations/http', () => {
  describe('config schema', () => {
    it('fills defaults', () => {
      const c = httpSchema.parse({ type: 'http', url: 'https://erp.example/api' });
      expect(c.method).to.equal('POST');
      expect(c.timeout).to.equal(30_000);
      expect(c.success).to.deep.equal([[200, 299]]);
      expect(c.retryOn).to.deep.equal([
        [408, 408],
        [425, 425],
        [429, 429],
        [500, 599],
      ]);
      expect(c.auth).to.deep.equal({ type: 'none' });
      expect(c.headers).to.deep.equal({});
      expect(c.maxResponseBytes).to.equal(1024 * 1024);
    });

    it('parses durations, sizes and status lists', () => {
      const c = httpSchema.parse({
        type: 'http',
        url: 'http://x/',
        timeout: '5s',
        maxResponseBytes: '64KiB',
        success: [200, '202-204'],
        retryOn: '503',
      });
      expect(c.timeout).to.equal(5000);
      expect(c.maxResponseBytes).to.equal(65536);
      expect(c.success).to.deep.equal([
        [200, 200],
        [202, 204],
      ]);
      expect(c.retryOn).to.deep.equal([[503, 503]]);
    });

    it('refuses unknown keys, bad URLs, other schemes, methods and status lists', () => {
      const bad: unknown[] = [
        { type: 'http', url: 'http://x/', extra: 1 },
        { type: 'http', url: 'not a url' },
        { type: 'http', url: 'ftp://x/' },
        { type: 'http', url: 'http://x/', method: 'GET' },
        { type: 'http', url: 'http://x/', success: '2xx' },
        { type: 'http', url: 'http://x/', success: '299-200' },
        { type: 'http', url: 'http://x/', retryOn: '700' },
        { type: 'http', url: 'http://x/', headers: { 'X-A': 'a\r\nb' } },
        { type: 'http', url: 'http://x/', headers: { 'bad name': 'a' } },
        { type: 'http', url: 'http://x/', tls: { enabled: true } },
        { type: 'http', url: 'https://x/', tls: { cert: 'c.pem' } },
        { type: 'http', url: 'http://x/', timeout: 'soon' },
      ];
      for (const b of bad) expect(httpSchema.safeParse(b).success, JSON.stringify(b)).to.equal(false);
    });

    it('names the bad status item in the message', () => {
      const r = httpSchema.safeParse({ type: 'http', url: 'http://x/', success: '200, 2x0' });
      expect(r.success).to.equal(false);
      expect(r.error!.issues[0]!.message).to.contain('"2x0"');
    });

    it('describes every field', () => {
      const json = z.toJSONSchema(httpSchema, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, { description?: string }>;
      };
      const props = json.properties ?? {};
      expect(Object.keys(props)).to.include.members([
        'type',
        'url',
        'method',
        'headers',
        'auth',
        'timeout',
        'success',
        'retryOn',
        'tls',
        'maxResponseBytes',
      ]);
      for (const [name, p] of Object.entries(props)) expect(p.description, name).to.be.a('string').and.not.equal('');
    });

    it('is registered', () => {
      expect(destinations.map((d) => d.type)).to.include('http');
    });

    it('refuses an unreadable TLS file at create', () => {
      const c = httpSchema.parse({ type: 'http', url: 'https://x/', tls: { ca: 'no/such/ca.pem' } });
      const err = (() => {
        try {
          http.create(c, ctx);
        } catch (e) {
          return e as ConfigError;
        }
        return undefined;
      })();
      expect(err).to.be.instanceOf(ConfigError);
      expect(err!.code).to.equal('tls-file-unreadable');
    });
  });

  describe('targetUrl', () => {
    const base = new URL('http://h:1/api/v1/?k=1');
    it('appends a path and merges its query', () => {
      expect(targetUrl(base, 'orders/7').href).to.equal('http://h:1/api/v1/orders/7?k=1');
      expect(targetUrl(base, '/orders?x=2&y=a b').href).to.equal('http://h:1/api/v1/orders?k=1&x=2&y=a+b');
      expect(targetUrl(base, undefined).href).to.equal(base.href);
    });
    it('cannot leave the configured host or path', () => {
      expect(targetUrl(base, '//evil.example/x').host).to.equal('h:1');
      for (const p of ['../admin', 'a/../../b', 'a/%2e%2e/b', 'a\nb', 'a#frag', 'a\\..\\b']) {
        expect(() => targetUrl(base, p), p)
          .to.throw(PermanentDeliveryError)
          .with.property('code', 'http-invalid-path');
      }
    });
  });

  describe('send', () => {
    let sink: HttpSink;
    let dest: Destination;
    beforeEach(async () => {
      sink = await startHttpSink();
    });
    afterEach(async () => {
      await dest?.close();
      await sink.close();
    });
    const make = (extra: Record<string, unknown> = {}): Destination =>
      (dest = http.create(httpSchema.parse({ type: 'http', url: `${sink.url}/in`, ...extra }), ctx));

    it('sends the body with the Interlace headers and resolves with the status and body', async () => {
      make({ headers: { 'X-Site': 'main', 'X-Over': 'config' }, auth: { type: 'bearer', token: 'tok' }, method: 'PUT' });
      sink.respond({ status: 201, body: 'created 42' });
      const d = delivery({
        payload: {
          body: '{"item":"A1"}',
          contentType: 'application/json',
          path: 'orders',
          headers: { 'x-over': 'payload', 'Idempotency-Key': 'forged' },
        },
      });
      const result = await dest.send(d);
      expect(result).to.deep.equal({ status: '201', body: 'created 42' });
      const [req] = sink.requests;
      expect(req!.method).to.equal('PUT');
      expect(req!.path).to.equal('/in/orders');
      expect(req!.body).to.equal('{"item":"A1"}');
      expect(req!.headers['content-type']).to.equal('application/json');
      expect(req!.headers['idempotency-key']).to.equal('m-1:erp');
      expect(req!.headers['x-correlation-id']).to.equal('corr-1');
      expect(req!.headers['x-interlace-message-id']).to.equal('m-1');
      expect(req!.headers['x-site']).to.equal('main');
      expect(req!.headers['x-over']).to.equal('payload');
      expect(req!.headers.authorization).to.equal('Bearer tok');
    });

    it('sends basic and header auth', async () => {
      make({ auth: { type: 'basic', username: 'u', password: 'p:w' } });
      await dest.send(delivery());
      expect(sink.requests[0]!.headers.authorization).to.equal(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
      await dest.close();
      make({ auth: { type: 'header', name: 'X-Api-Key', value: 'k1' } });
      await dest.send(delivery());
      expect(sink.requests[1]!.headers['x-api-key']).to.equal('k1');
    });

    it('sends UTF-8 bodies byte for byte', async () => {
      make();
      await dest.send(delivery({ payload: { body: 'Größe ✓', contentType: 'text/plain; charset=utf-8' } }));
      expect(sink.requests[0]!.body).to.equal('Größe ✓');
      expect(sink.requests[0]!.headers['content-length']).to.equal(String(Buffer.byteLength('Größe ✓')));
    });

    it('throws a transient error on 503 with the answer, and RetryLaterError with Retry-After', async () => {
      make();
      sink.respond(
        { status: 503, body: 'busy' },
        { status: 503, headers: { 'Retry-After': '7' } },
        { status: 500, headers: { 'Retry-After': '7' } },
      );
      const a = await rejection(dest.send(delivery()));
      expect(a).to.be.instanceOf(TransientDeliveryError).and.not.instanceOf(RetryLaterError);
      expect(a).to.include({ code: 'http-retryable-status' });
      expect((a as TransientDeliveryError).response).to.deep.equal({ status: '503', body: 'busy' });
      const b = await rejection(dest.send(delivery()));
      expect(b).to.be.instanceOf(RetryLaterError);
      expect((b as RetryLaterError).retryAfterMs).to.equal(7000);
      const c = await rejection(dest.send(delivery()));
      expect(c, 'Retry-After only on 429/503').to.not.be.instanceOf(RetryLaterError);
    });

    it('throws a permanent error on 400 and on statuses outside retryOn', async () => {
      make({ retryOn: '503' });
      sink.respond({ status: 400, body: 'bad item' }, { status: 500 });
      const a = await rejection(dest.send(delivery()));
      expect(a).to.be.instanceOf(PermanentDeliveryError).with.property('code', 'http-rejected-status');
      expect(a.message).to.contain('answered 400').and.contain('expected 200-299');
      expect((a as PermanentDeliveryError).response!.body).to.equal('bad item');
      expect(await rejection(dest.send(delivery()))).to.be.instanceOf(PermanentDeliveryError);
    });

    it('keeps payload and credentials out of error messages', async () => {
      make({ auth: { type: 'bearer', token: 'secret-token' } });
      dest = http.create(httpSchema.parse({ type: 'http', url: `http://user:pw@127.0.0.1:${sink.port}/in?apikey=zzz` }), ctx);
      sink.respond({ status: 422, body: 'PATIENT DOE^JOHN' });
      const err = await rejection(dest.send(delivery({ payload: { body: 'DOE^JOHN', contentType: 'text/plain' } })));
      for (const s of ['DOE', 'secret', 'pw', 'zzz']) expect(err.message).to.not.contain(s);
    });

    it('times out on a server that never answers', async () => {
      make({ timeout: '100ms' });
      sink.respond({ hang: true });
      const err = await rejection(dest.send(delivery()));
      expect(err).to.be.instanceOf(TransientDeliveryError).with.property('code', 'http-timeout');
    });

    it('times out on a body that never ends', async () => {
      make({ timeout: '150ms' });
      sink.respond({ status: 200, delayMs: 10_000 });
      const err = await rejection(dest.send(delivery()));
      expect(err).to.have.property('code', 'http-timeout');
    });

    it('treats a closed socket and a refused connection as transient', async () => {
      make();
      sink.respond({ closeSocket: true });
      const a = await rejection(dest.send(delivery()));
      expect(a).to.be.instanceOf(TransientDeliveryError).with.property('code', 'http-network-error');
      await dest.close();
      const port = await closedPort();
      dest = http.create(httpSchema.parse({ type: 'http', url: `http://127.0.0.1:${port}/` }), ctx);
      const b = await rejection(dest.send(delivery()));
      expect(b).to.be.instanceOf(TransientDeliveryError).with.property('code', 'http-network-error');
      expect(b.message).to.contain('ECONNREFUSED');
    });

    it('keeps at most 2 KiB of a large answer and stops reading at maxResponseBytes', async () => {
      make({ maxResponseBytes: 4096 });
      sink.respond({ status: 200, body: 'é'.repeat(100_000) });
      const r = await dest.send(delivery());
      expect(r.status).to.equal('200');
      expect(Buffer.byteLength(r.body!)).to.be.at.most(2048).and.at.least(2046);
      expect(r.body).to.match(/^é+$/);
    });

    it('refuses hostile payload headers before sending anything', async () => {
      make();
      for (const headers of [{ 'X-A': 'v\r\nX-Injected: 1' }, { 'bad name': 'v' }, { 'X-B': 'a\0b' }] as Array<Record<string, string>>) {
        const err = await rejection(dest.send(delivery({ payload: { body: 'x', contentType: 'text/plain', headers } })));
        expect(err).to.be.instanceOf(PermanentDeliveryError).with.property('code', 'http-invalid-header');
      }
      const err = await rejection(dest.send(delivery({ payload: { body: 'x', contentType: 'text/plain\r\nX: y' } })));
      expect(err).to.have.property('code', 'http-invalid-header');
      expect(sink.requests).to.have.length(0);
    });

    it('reuses connections (keep-alive)', async () => {
      make();
      await dest.send(delivery());
      await dest.send(delivery());
      expect(sink.requests[1]!.headers.connection).to.equal('keep-alive');
    });

    it('health is ok for a listening server and not ok, without throwing, for a closed port', async () => {
      make();
      expect((await dest.health()).ok).to.equal(true);
      const port = await closedPort();
      const down = http.create(httpSchema.parse({ type: 'http', url: `http://127.0.0.1:${port}/` }), ctx);
      const h = await down.health();
      await down.close();
      expect(h.ok).to.equal(false);
      expect(h.detail).to.equal('ECONNREFUSED');
    });
  });
});
