import { expect } from 'chai';
import { connect } from 'node:net';
import { MllpClient } from '../../../channels/mllp/client.js';
import { silentLogger } from '../../../lib/log.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { dft, sample, testConfigDir, waitFor, onHandRouter } from './support.js';

const TOKEN = 'e2e-admin-token-0123456789';

describe('engine end to end: MLLP → store → BullMQ → HTTP, visible through the admin API', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let client: MllpClient;
  let cfg: ReturnType<typeof testConfigDir>;
  let admin: string;

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${admin}${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const msa = (ack: Buffer) => /MSA\|([A-Z]{2})\|([^|\r]*)/.exec(ack.toString('latin1'))!.slice(1, 3);

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    billing = await startFhirServer(); // the OR channel's billing route
    sink.route(onHandRouter(), { record: false }); // the OR channel asks the ERP what is on hand
    sink.setDefault({ status: 201, body: '{"posted":true}' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: sink.url, FHIR_URL: billing.baseUrl, INTERLACE_DATA: cfg.dataDir },
      log: silentLogger,
    });
    const address = engine.channels.get('or-implant-charges')!.address()!;
    client = new MllpClient({ host: '127.0.0.1', port: address.port, timeout: 10_000 });
    admin = `http://127.0.0.1:${engine.adminAddress()!.port}`;
  });
  after(async () => {
    await client?.close();
    await engine?.stop();
    await sink?.close();
    await billing?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('acknowledges a DFT^P03 only once stored, and posts its usage lines to the ERP with an idempotency key', async () => {
    const ack = await client.send(sample('dft-p03-hip-implant.hl7'));
    expect(msa(ack)).to.deep.equal(['CA', 'OR20261121-0042']); // the sample asks for enhanced mode (MSH-15 AL)
    const [req] = await sink.waitForRequests(1, 15_000);
    expect(req!.method).to.equal('POST');
    expect(req!.path).to.equal('/inventory/usage');
    const body = JSON.parse(req!.body);
    expect(body.account).to.equal('ACCT778899');
    expect(body.lines.map((l: any) => [l.item, l.quantity, l.chargeCode])).to.deep.equal([
      ['100234', 1, 'C-IMP-0101'],
      ['100567', 1, 'C-IMP-0102'],
      ['100890', 1, 'C-IMP-0103'],
      ['100912', 1, 'C-IMP-0104'],
      ['200145', 2, 'C-SUP-0200'],
    ]);
    expect(req!.headers['idempotency-key']).to.equal(`${body.messageId}:erp-usage`);
    expect(req!.headers['x-correlation-id']).to.equal(body.messageId);

    const m = await waitFor(
      'the message to be delivered on every route',
      async () => {
        const r = await api(`/api/messages/${body.messageId}`);
        return r.body.status === 'delivered' ? r.body : undefined;
      },
      60_000,
    );
    expect(m.controlId).to.equal('OR20261121-0042');
    expect(Buffer.from(m.raw.base64, 'base64').equals(sample('dft-p03-hip-implant.hl7'))).to.equal(true);
    expect(m.canonical.map((d: any) => d.kind)).to.include.members(['encounter', 'supply-usage', 'charge']);
    expect(m.acks.find((a: any) => a.direction === 'sent')).to.include({ kind: 'hl7-ack', code: 'CA' });
    // the ERP route and the billing route (FHIR ChargeItems); well stocked, so no replenishment order
    expect(m.deliveries.map((d: any) => d.route).sort()).to.deep.equal(['billing-charges', 'erp-usage']);
    expect(m.deliveries.find((d: any) => d.route === 'erp-usage')).to.include({ state: 'delivered', attempts: 1, lastStatus: '201' });
    expect(m.acks.find((a: any) => a.direction === 'received' && a.deliveryId.endsWith(':erp-usage'))).to.include({
      deliveryId: `${body.messageId}:erp-usage`,
      code: '201',
    });
    expect(m.history.map((h: any) => h.status)).to.deep.equal(['received', 'routed', 'delivered']);
  });

  it('answers a duplicate control id positively and never delivers it twice', async () => {
    const before = sink.requests.length;
    expect(msa(await client.send(dft('DUP-0001')))).to.deep.equal(['AA', 'DUP-0001']);
    expect(msa(await client.send(dft('DUP-0001')))).to.deep.equal(['AA', 'DUP-0001']);
    await sink.waitForRequests(before + 1);
    const dups = await waitFor('the duplicate to be listed', async () => {
      const r = await api('/api/messages?controlId=DUP-0001');
      return r.body.messages.some((m: any) => m.status === 'delivered') && r.body.messages.length === 2 ? r.body.messages : undefined;
    });
    expect(dups.map((m: any) => m.status).sort()).to.deep.equal(['delivered', 'duplicate']);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.requests.slice(before).filter((r) => r.body.includes('DUP-0001'))).to.have.length(1);
  });

  it('rejects garbage with AR naming the problem, stores it as rejected, and keeps serving', async () => {
    const ack = await client.send(sample('bad/no-msh.hl7'));
    expect(msa(ack)[0]).to.equal('AR');
    expect(ack.toString('latin1')).to.match(/ERR\|[^\r]*missing-msh/);
    const rejected = await api('/api/messages?status=rejected');
    expect(rejected.body.messages.length).to.be.greaterThan(0);
    expect(rejected.body.messages[0].error.code).to.equal('missing-msh');
    expect(msa(await client.send(dft('AFTER-GARBAGE')))[0]).to.equal('AA');
  });

  it('filters messages the rules exclude, visibly', async () => {
    expect(msa(await client.send(sample('adt-a01-admit.hl7')))[0]).to.equal('AA');
    const m = await waitFor('the ADT to be filtered', async () => {
      const r = await api('/api/messages?controlId=ADT000101&status=filtered');
      return r.body.messages[0];
    });
    const detail = await api(`/api/messages/${m.id}`);
    expect(detail.body.history.at(-1).detail).to.equal('only DFT^P03 charge messages and FHIR supply usage deplete inventory');
  });

  it('puts a message the rules refuse in the exception queue with the reason, and reprocesses it on request', async () => {
    expect(msa(await client.send(dft('NO-ACCOUNT-1', 1, '')))[0]).to.equal('AA');
    const m = await waitFor(
      'the message to be in error',
      async () => (await api('/api/messages?controlId=NO-ACCOUNT-1&status=error')).body.messages[0],
    );
    expect(m.error.code).to.equal('validation-failed');
    expect(m.error.message).to.include('PID-18 (patient account number) is empty');
    const r = await api(`/api/messages/${m.id}/reprocess`, { method: 'POST' });
    expect(r.status).to.equal(202);
    const again = await waitFor('the reprocessed message to settle', async () => {
      const d = (await api(`/api/messages/${m.id}`)).body;
      return d.history.length >= 4 ? d : undefined;
    });
    expect(again.history.map((h: any) => h.status)).to.deep.equal(['received', 'error', 'received', 'error']);
  });

  it('retries a destination that answers 503 and records every attempt', async () => {
    sink.respond({ status: 503, body: 'maintenance' });
    const before = sink.requests.length;
    await client.send(dft('RETRY-0001'));
    await sink.waitForRequests(before + 1, 20_000);
    // while its delivery waits for the retry, a reprocess is refused: nothing is re-mapped in flight
    const inFlight = await waitFor(
      'the message routed',
      async () => (await api('/api/messages?controlId=RETRY-0001&status=routed')).body.messages[0],
    );
    const refused = await api(`/api/messages/${inFlight.id}/reprocess`, { method: 'POST' });
    expect(refused.status).to.equal(409);
    expect(refused.body.error.message).to.include('still in progress');
    await sink.waitForRequests(before + 2, 20_000);
    const m = await waitFor(
      'delivery after a retry',
      async () => {
        const id = (await api('/api/messages?controlId=RETRY-0001')).body.messages[0]?.id;
        const d = id && (await api(`/api/messages/${id}`)).body;
        return d?.status === 'delivered' ? d : undefined;
      },
      20_000,
    );
    expect(
      m.acks
        .filter((a: any) => a.direction === 'received' && a.deliveryId.endsWith(':erp-usage'))
        .map((a: any) => `${a.attempt}:${a.code}`),
    ).to.deep.equal(['1:503', '2:201']);
    const keys = sink.requests
      .slice(before)
      .filter((r) => r.body.includes('RETRY-0001'))
      .map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).to.equal(1);
  });

  it('acknowledgments first: while the listener is saturated processing holds, then catches up', async () => {
    const processing = (engine as unknown as { processing: { pressure(busy: boolean): void } }).processing;
    processing.pressure(true);
    await new Promise((r) => setTimeout(r, 300)); // the processing thread gets the message and pauses
    expect(msa(await client.send(dft('HELD-0001')))[0]).to.equal('AA');
    await new Promise((r) => setTimeout(r, 800));
    const held = (await api('/api/messages?controlId=HELD-0001')).body.messages[0];
    expect(held.status).to.equal('received'); // stored and answered, not yet processed
    processing.pressure(false);
    await waitFor('the held message to be delivered', async () =>
      (await api(`/api/messages/${held.id}`)).body.status === 'delivered' ? true : undefined,
    );
  });

  it('reports channel counts, health, and refuses the API without the token', async () => {
    const ch = await api('/api/channels');
    const or = ch.body.channels.find((c: any) => c.name === 'or-implant-charges');
    expect(or.state).to.equal('running');
    expect(or.counts.delivered).to.be.greaterThan(0);
    expect(or.counts.filtered).to.be.greaterThan(0);
    expect(or.counts.rejected).to.be.greaterThan(0);
    expect(or.counts.duplicate).to.be.greaterThan(0);
    expect((await fetch(`${admin}/api/channels`)).status).to.equal(401);
    expect((await fetch(`${admin}/api/channels`, { headers: { Authorization: 'Bearer wrong' } })).status).to.equal(401);
    const status = await api('/api/engine');
    expect(status.body).to.include({ id: 'e2e', pid: process.pid });
    expect(status.body.memory.listener.heapUsedMb).to.be.greaterThan(0);
    expect(status.body.memory.processing.heapUsedMb).to.be.greaterThan(0);
    const bad = await new Promise<string>((resolve) => {
      const socket = connect(engine.adminAddress()!.port, '127.0.0.1', () => socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'));
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('close', () => resolve(text));
      setTimeout(() => socket.destroy(), 2000);
    });
    expect(bad).to.match(/^HTTP\/1\.1 400/);
    const health = await fetch(`${admin}/healthz`);
    expect(health.status).to.equal(200);
    expect((await api('/api/messages?status=bogus')).status).to.equal(400);
    expect((await api('/api/messages/00000000-0000-7000-8000-000000000000')).status).to.equal(404);
  });

  it("answers a person's mistake in the admin API with one sentence, the code and a 4xx", async () => {
    const cases: Array<[string, RequestInit, number, string, RegExp]> = [
      ['/api/messages/nope', {}, 404, 'message-not-found', /^no message with id "nope"; message ids are UUIDs/],
      ['/api/messages/nope/reprocess', { method: 'POST' }, 404, 'message-not-found', /^no message with id "nope"/],
      ['/api/messages?before=2026-12-01', {}, 400, 'invalid-before', /^before "2026-12-01" is not a message id .*use to=$/],
      ['/api/messages?before=abc', {}, 400, 'invalid-before', /^before "abc" is not a message id \(before= takes the id/],
      ['/api/exceptions?before=yesterday', {}, 400, 'invalid-before', /^before "yesterday" is not a message id/],
      ['/api/messages?status=bogus', {}, 400, 'invalid-status', /^status "bogus" is not one of/],
      ['/api/messages?from=last-week', {}, 400, 'invalid-time', /^from "last-week" is not a time/],
      ['/api/messages?limit=-3', {}, 400, 'invalid-limit', /limit/],
      ['/api/nothing-here', {}, 404, 'not-found', /^no such path \/api\/nothing-here$/],
      ['/api/messages', { method: 'DELETE' }, 405, 'method-not-allowed', /^DELETE is not allowed on \/api\/messages; use GET$/],
    ];
    for (const [path, init, status, code, message] of cases) {
      const r = await api(path, init);
      expect([r.status, r.body.error?.code], path).to.deep.equal([status, code]);
      expect(r.body.error.message, path).to.match(message);
      expect(r.body.error.message, path).to.not.include('\n');
    }
  });
});
