import { expect } from 'chai';
import type { Source } from '../../../channels/types.js';
import { gate, RecordingContext, storeFailure } from '../file/support.js';
import { startHttp } from './support.js';

describe('http source', () => {
  const running: Source[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });
  async function start(ctx: RecordingContext, overrides: Record<string, unknown> = {}) {
    const started = await startHttp(ctx, overrides);
    running.push(started.source);
    return started;
  }

  it('stores the body unchanged and answers 202 with the message id, then records the answer', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx, { path: '/inbound/orders', senderHeader: 'X-Sender' });
    const body = Buffer.from([0x4d, 0x53, 0x48, 0x7c, 0xe9, 0x00, 0xff, 0x0d]);
    const res = await fetch(`${url}/inbound/orders?source=erp`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'x-application/hl7-v2+er7', 'x-message-id': 'PO-1', 'x-sender': 'ERP' },
    });
    expect(res.status).to.equal(202);
    expect(res.headers.get('x-interlace-message-id')).to.equal('m1');
    expect(await res.json()).to.deep.equal({ messageId: 'm1', duplicate: false });
    expect(ctx.inputs).to.have.length(1);
    expect(ctx.inputs[0]!.raw.equals(body)).to.equal(true);
    expect([ctx.inputs[0]!.controlId, ctx.inputs[0]!.sender]).to.deep.equal(['PO-1', 'ERP']);
    expect(ctx.inputs[0]!.origin).to.match(/^127\.0\.0\.1:\d+$/);
    expect(ctx.answers).to.deep.equal([{ messageId: 'm1', kind: 'http', code: '202' }]);
  });

  it('answers a duplicate 200 with the original id, reading Idempotency-Key when X-Message-Id is absent', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx);
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', body: '{"po":1}', headers: { 'content-type': 'application/json', ...headers } });
    expect((await post({ 'idempotency-key': 'K-1' })).status).to.equal(202);
    const dup = await post({ 'x-message-id': 'K-1' });
    expect(dup.status).to.equal(200);
    expect(await dup.json()).to.deep.equal({ messageId: 'm2', duplicate: true, originalMessageId: 'm1' });
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['K-1', 'K-1']);
    expect(ctx.answers.map((a) => a.code)).to.deep.equal(['202', '200']);
  });

  it('answers 404 for another path and 405 with Allow for another method, storing nothing', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx, { path: '/in', methods: ['POST', 'PUT'] });
    const notFound = await fetch(`${url}/elsewhere`, { method: 'POST', body: 'x' });
    expect(notFound.status).to.equal(404);
    expect(((await notFound.json()) as { error: { code: string } }).error.code).to.equal('http-not-found');
    const wrong = await fetch(`${url}/in`, { method: 'DELETE' });
    expect(wrong.status).to.equal(405);
    expect(wrong.headers.get('allow')).to.equal('POST, PUT');
    expect((await fetch(`${url}/in`)).status).to.equal(405);
    expect((await fetch(`${url}/in/`, { method: 'PUT', body: 'x' })).status).to.equal(202);
    expect(ctx.inputs).to.have.length(1);
  });

  it('answers 401 with a challenge for a missing or wrong bearer token', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx, { auth: { type: 'bearer', token: 's3cret-token' } });
    const post = (authorization?: string) => fetch(url, { method: 'POST', body: 'x', headers: authorization ? { authorization } : {} });
    const none = await post();
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.equal('Bearer realm="interlace"');
    expect((await post('Bearer s3cret-tokeN')).status).to.equal(401);
    expect((await post('Bearer s3cret-token-and-more')).status).to.equal(401);
    expect((await post('Basic czNjcmV0LXRva2Vu')).status).to.equal(401);
    expect((await post('Bearer s3cret-token')).status).to.equal(202);
    expect(ctx.inputs).to.have.length(1);
  });

  it('checks basic credentials and a named header', async () => {
    const ctx = new RecordingContext();
    const basic = await start(ctx, { auth: { type: 'basic', username: 'erp', password: 'pa:ss' } });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const withAuth = (value: string) => fetch(basic.url, { method: 'POST', body: 'x', headers: { authorization: value } });
    expect((await withAuth(`Basic ${b64('erp:pa:ss')}`)).status).to.equal(202);
    expect((await withAuth(`Basic ${b64('erp:pa:sS')}`)).status).to.equal(401);
    expect((await withAuth(`Basic ${b64('erp')}`)).status).to.equal(401);
    const keyed = await start(ctx, { auth: { type: 'header', name: 'X-Api-Key', value: 'k1' } });
    expect((await fetch(keyed.url, { method: 'POST', body: 'x', headers: { 'x-api-key': 'k1' } })).status).to.equal(202);
    expect((await fetch(keyed.url, { method: 'POST', body: 'x', headers: { 'x-api-key': 'k2' } })).status).to.equal(401);
    expect((await fetch(keyed.url, { method: 'POST', body: 'x' })).status).to.equal(401);
    expect(ctx.inputs).to.have.length(2);
  });

  it('answers 415 for a media type not in contentTypes, ignoring parameters and honouring ranges', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx, { contentTypes: ['application/json', 'text/*'] });
    const post = (type?: string) =>
      fetch(url, { method: 'POST', body: new Uint8Array([0x7b, 0x7d]), headers: type ? { 'content-type': type } : {} });
    const refused = await post('application/xml');
    expect(refused.status).to.equal(415);
    expect(((await refused.json()) as { error: { message: string } }).error.message).to.equal(
      'content type application/xml is not accepted; expected application/json, text/*',
    );
    expect((await post()).status).to.equal(415);
    expect((await post('Application/JSON; charset=utf-8')).status).to.equal(202);
    expect((await post('text/plain')).status).to.equal(202);
    expect(ctx.inputs).to.have.length(2);
  });

  it('answers 413 for a body over maxBodyBytes, declared or streamed, and stores nothing', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx, { maxBodyBytes: '1KiB' });
    const declared = await fetch(url, { method: 'POST', body: 'x'.repeat(1025) });
    expect(declared.status).to.equal(413);
    expect(((await declared.json()) as { error: { code: string } }).error.code).to.equal('http-body-too-large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(400).fill(0x41));
        controller.close();
      },
    });
    const streamed = await fetch(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).to.equal(413);
    expect(ctx.inputs).to.have.length(0);
    expect((await fetch(url, { method: 'POST', body: 'x'.repeat(1024) })).status).to.equal(202);
  });

  it('answers 503 with Retry-After when the store refuses, and records no answer', async () => {
    const ctx = new RecordingContext();
    ctx.hook = storeFailure;
    const { url } = await start(ctx, { retryAfter: '1500ms' });
    const res = await fetch(url, { method: 'POST', body: 'x' });
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('2');
    expect(res.headers.get('x-interlace-message-id')).to.equal(null);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('http-store-failed');
    expect(ctx.answers).to.deep.equal([]);
  });

  it('does not answer before the store confirmed', async () => {
    const ctx = new RecordingContext();
    const g = gate();
    const entered = gate();
    ctx.hook = async () => {
      entered.open();
      await g.promise;
    };
    const { url } = await start(ctx);
    let answered = false;
    const pending = fetch(url, { method: 'POST', body: 'x' }).then((r) => ((answered = true), r));
    await entered.promise;
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).to.equal(false);
    g.open();
    expect((await pending).status).to.equal(202);
  });

  it('answers 400 for an empty body and an over-long control id', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx);
    const empty = await fetch(url, { method: 'POST' });
    expect(empty.status).to.equal(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).to.equal('http-empty-body');
    const long = await fetch(url, { method: 'POST', body: 'x', headers: { 'x-message-id': 'A'.repeat(257) } });
    expect(long.status).to.equal(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).to.equal(
      'X-Message-Id is 257 characters long; expected at most 256',
    );
    expect(ctx.inputs).to.have.length(0);
  });
});
