import { expect } from 'chai';
import Database from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../engine/runtime/engine.js';
import { parseX12 } from '../../../parsers/x12/index.js';
import { po850 } from '../../../parsers/x12/sets/index.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { filesIn, parseFile, partnerAck, waitFor, writeFlowConfig, type FlowDirs } from './support.js';

const TOKEN = 'x12-flow-test-token-0123456789';
const SAMPLE_850 = readFileSync(new URL('../../../samples/x12/850/850-004010.x12', import.meta.url));
const SAMPLE_856 = readFileSync(new URL('../../../samples/x12/flows/acme-856.x12', import.meta.url));

function canonicalPo(raw: Buffer): unknown {
  const set = parseX12(raw).message!.interchanges[0]!.groups[0]!.sets[0]!;
  const { source: _source, ...po } = po850.toCanonical(set).documents[0] as { source?: unknown };
  return po;
}

describe('X12 with a partner, through the running engine', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let dirs: FlowDirs;
  let engine: Engine;
  let admin: string;
  let poUrl: string;

  const get = async (path: string, token = TOKEN) =>
    fetch(`${admin}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const postPo = async (id: string) =>
    // as the ERP does it: the canonical purchase order as JSON
    fetch(poUrl, {
      method: 'POST',
      body: JSON.stringify(canonicalPo(SAMPLE_850)),
      headers: { 'content-type': 'application/json', 'x-message-id': id },
    });
  const store = () => engine.store;

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    dirs = writeFlowConfig({ redisUrl: redis.url, prefix: uniquePrefix(), sinkUrl: sink.url, poAckDeadline: '1ms', token: TOKEN });
    engine = await Engine.start({ configDir: dirs.config, env: {} });
    expect(engine.refused).to.deep.equal([]);
    const a = engine.adminAddress()!;
    admin = `http://127.0.0.1:${a.port}`;
    poUrl = `http://127.0.0.1:${engine.channels.get('po-out')!.address()!.port}/po`;
  });
  after(async () => {
    await engine?.stop();
    await sink?.close();
    await redis?.stop();
    rmSync(dirs.root, { recursive: true, force: true });
  });

  let firstMessage: string;

  it('writes an 850 into the partner folder with our ids and control numbers; it reads back as the same purchase order', async () => {
    expect((await postPo('erp-po-1')).status).to.equal(202);
    const [name] = await waitFor(
      'the 850 file',
      () => filesIn(dirs.outbound, /^acme-medical-850-.*\.x12$/).length > 0 && filesIn(dirs.outbound, /^acme-medical-850-/),
    );
    expect(name).to.equal('acme-medical-850-000000001.x12');
    const text = readFileSync(join(dirs.outbound, name!));
    const parsed = parseX12(text);
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    const ic = parsed.message!.interchanges[0]!;
    expect(ic.header).to.include({ senderId: 'INTERLACEHOSP', receiverId: 'ACMEMEDICAL', controlNumber: '000000001', version: '00401' });
    const g = ic.groups[0]!;
    expect(g).to.include({ functionalId: 'PO', senderCode: 'INTERLACE', receiverCode: 'ACMEMED', controlNumber: '1' });
    expect(g.sets[0]!.controlNumber).to.equal('0001');
    expect(canonicalPo(text)).to.deep.equal(canonicalPo(SAMPLE_850));
    const [m] = await store().listMessages({ channel: 'po-out' });
    firstMessage = m!.id;
    const delivered = await waitFor('the delivery recorded', async () => (await store().getMessage(firstMessage))?.status === 'delivered');
    expect(delivered).to.equal(true);
  });

  it('expects a 997 and an 855; the 855 past its (tiny) deadline is listed as overdue, by partner and in /metrics', async () => {
    const expectations = await store().x12Expectations(firstMessage);
    expect(expectations.map((e) => [e.expected, e.isa13, e.gs06, e.st02, e.poNumber, e.satisfiedAt])).to.deep.equal([
      ['997', '000000001', '1', '0001', '4500012345', undefined],
      ['855', '000000001', '1', '0001', '4500012345', undefined],
    ]);
    expect((await get('/api/acks/overdue', '')).status).to.equal(401);
    expect((await get('/metrics', 'wrong-token-wrong-token-wrong')).status).to.equal(401);
    const overdue = (await (await get('/api/acks/overdue')).json()) as { overdue: Array<Record<string, unknown>> };
    expect(overdue.overdue).to.have.length(1);
    expect(overdue.overdue[0]).to.include({
      partner: 'acme-medical',
      expected: '855',
      poNumber: '4500012345',
      isa13: '000000001',
      messageId: firstMessage,
      deliveryId: `${firstMessage}:acme-850`,
    });
    const partners = (await (await get('/api/partners')).json()) as { partners: Array<{ id: string; overdue: number }> };
    expect(partners.partners.map((p) => [p.id, p.overdue])).to.deep.equal([['acme-medical', 1]]);
    const metrics = await get('/metrics');
    expect(metrics.headers.get('content-type')).to.match(/^text\/plain/);
    expect(await metrics.text()).to.include('interlace_acks_overdue{partner="acme-medical"} 1\n');
  });

  it('a 997 accepting the 850 is recorded as received 997 A for its delivery and satisfies the expectation', async () => {
    writeFileSync(
      join(dirs.inbound, 'ack-1.x12'),
      partnerAck({ kind: '997', isa13: 9001, gs06: '1', sets: [{ st02: '0001', status: 'A' }], group: 'A' }),
    );
    const e997 = await waitFor('the 997 expectation satisfied', async () =>
      (await store().x12Expectations(firstMessage)).find((e) => e.expected === '997' && e.satisfiedAt),
    );
    expect(e997.satisfiedCode).to.equal('A');
    const m = await store().getMessage(firstMessage);
    const received = m!.acks.filter((a) => a.direction === 'received' && a.kind === '997');
    expect(received.map((a) => [a.code, a.deliveryId])).to.deep.equal([['A', `${firstMessage}:acme-850`]]);
    // the 855 is still open and overdue; a 997 is never answered with a 997
    expect((await store().overdueX12()).map((e) => e.expected)).to.deep.equal(['855']);
    await waitFor('the 997 message filtered', async () => (await store().listMessages({ channel: 'acme-in' }))[0]?.status === 'filtered');
    expect(filesIn(dirs.outbound, /^ack-1/)).to.deep.equal([]);
    // The partner view over the admin API: the 850 with its functional acknowledgment received and its 855 overdue.
    const view = (await (await get('/api/partners/acme-medical/exchanges')).json()) as {
      exchanges: Array<{
        messageId: string;
        functional: Array<{ state: string; code?: string }>;
        business: Array<{ expected: string; state: string }>;
      }>;
    };
    const first = view.exchanges.find((x) => x.messageId === firstMessage)!;
    expect(first.functional.map((f) => [f.state, f.code])).to.deep.equal([['received', 'A']]);
    expect(first.business.filter((b) => b.expected === '855').map((b) => b.state)).to.deep.equal(['overdue']);
    expect((await get('/api/partners/nobody/exchanges')).status).to.equal(404);
  });

  it('a 999 rejecting an 850 is recorded as R with its error codes', async () => {
    expect((await postPo('erp-po-2')).status).to.equal(202);
    await waitFor('the second 850', () => filesIn(dirs.outbound, /^acme-medical-850-000000002\.x12$/).length === 1);
    const second = (await store().listMessages({ channel: 'po-out' })).find((m) => m.id !== firstMessage)!.id;
    const ack = partnerAck({
      kind: '999',
      isa13: 9002,
      gs06: '2',
      group: 'R',
      sets: [
        {
          st02: '0002',
          status: 'R',
          codes: ['5'],
          errors: [{ segment: 'PO1', position: 4, code: '8', element: { position: '2', code: '7' } }],
        },
      ],
    });
    writeFileSync(join(dirs.inbound, 'ack-2.x12'), ack);
    const e = await waitFor('the 999 recorded', async () =>
      (await store().x12Expectations(second)).find((x) => x.expected === '997' && x.satisfiedAt),
    );
    expect(e.satisfiedCode).to.equal('R');
    const acks = (await store().getMessage(second))!.acks.filter((a) => a.direction === 'received' && a.kind === '999');
    expect(acks).to.have.length(1);
    expect(acks[0]!.code).to.equal('R');
    expect(acks[0]!.detail).to.include('IK5 5').and.include('IK3 PO1@4 8').and.include('IK4 2 7');
  });

  it('an inbound 856 is answered with our 997 (reversed envelope, our next ISA13), linked to its 850 and routed to the ERP', async () => {
    writeFileSync(join(dirs.inbound, 'asn-1.x12'), SAMPLE_856);
    const [ackName] = await waitFor(
      'the 997 for the 856',
      () => filesIn(dirs.outbound, /^asn-1\.x12.*\.ack$/).length > 0 && filesIn(dirs.outbound, /^asn-1\.x12.*\.ack$/),
    );
    const ack = parseFile(join(dirs.outbound, ackName!)).interchanges[0]!;
    expect(ack.header).to.include({
      senderId: 'INTERLACEHOSP',
      senderQualifier: 'ZZ',
      receiverId: 'ACMEMEDICAL',
      controlNumber: '000000003',
    });
    expect(ack.ta1).to.deep.equal([]);
    const g = ack.groups[0]!;
    expect(g).to.include({ functionalId: 'FA', senderCode: 'INTERLACE', receiverCode: 'ACMEMED', controlNumber: '3' });
    const ak = g.sets[0]!.segments.map((s) => s.elements.join('*'));
    expect(ak).to.include.members(['AK1*SH*301', 'AK2*856*0001', 'AK5*A', 'AK9*A*1*1*1']);
    const req = await waitFor('the 856 at the ERP', () => sink.requests.find((r) => r.path === '/receiving'));
    expect(JSON.parse(req.body)).to.include({ kind: 'ship-notice', shipmentId: 'SHP-2026-11-0457' });
    const [asn] = await store().listMessages({ channel: 'acme-in', controlId: '000000301' });
    const sent = (await store().getMessage(asn!.id))!.acks.filter((a) => a.direction === 'sent' && a.kind === '997');
    expect(sent.map((a) => a.code)).to.deep.equal(['A']);
    const db = new Database(join(dirs.data, 'messages.db'), { readonly: true });
    const links = db
      .prepare(
        `SELECT l.kind, l.po_number, o.message_id FROM x12_links l JOIN x12_outbound o ON o.id = l.outbound_id WHERE l.message_id = ?`,
      )
      .all(asn!.id);
    db.close();
    expect(links).to.have.length(1);
    expect(links[0]).to.include({ kind: '856', po_number: '4500012345' });
  });

  it('the same 856 again (same ISA13) is answered with TA1 R 025 and not routed twice', async () => {
    writeFileSync(join(dirs.inbound, 'asn-1-again.x12'), SAMPLE_856);
    const [ackName] = await waitFor(
      'the TA1',
      () => filesIn(dirs.outbound, /^asn-1-again\.x12.*\.ack$/).length > 0 && filesIn(dirs.outbound, /^asn-1-again/),
    );
    const ack = parseFile(join(dirs.outbound, ackName!)).interchanges[0]!;
    expect(ack.ta1.map((s) => s.elements.slice(1))).to.deep.equal([['000000301', '261121', '1430', 'R', '025']]);
    expect(ack.groups).to.deep.equal([]);
    expect(ack.header.controlNumber).to.equal('000000004');
    const messages = await store().listMessages({ channel: 'acme-in', controlId: '000000301' });
    expect(messages.map((m) => m.status).sort()).to.deep.equal(['delivered', 'duplicate']);
    const duplicate = await store().getMessage(messages.find((m) => m.status === 'duplicate')!.id);
    expect(duplicate!.deliveries).to.deep.equal([]);
    expect(duplicate!.acks.filter((a) => a.direction === 'sent' && a.kind === 'ta1').map((a) => a.code)).to.deep.equal(['R']);
    expect(sink.requests.filter((r) => r.path === '/receiving')).to.have.length(1);
  });
});
