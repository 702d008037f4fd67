import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { as2 as as2Source } from '../../channels/as2/index.js';
import type { Source } from '../../channels/types.js';
import { createEngineServices } from '../../engine/runtime/services.js';
import { SqliteStore } from '../../engine/store/sqlite/store.js';
import { PartnerDirectory, x12Admin } from '../../engine/x12/index.js';
import { parseEntity } from '../../lib/as2/index.js';
import { PermanentDeliveryError, TransientDeliveryError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { as2 } from '../../routes/destinations/as2/index.js';
import type { Delivery, DeliveryResult, Destination } from '../../routes/types.js';
import { RecordingContext } from '../channels/file/support.js';
import { makeCert, openssl, scratch, type TestCert } from '../support/openssl.js';
import { sleep, until } from '../support/until.js';

const X12 =
  'ISA*00*          *00*          *ZZ*HOSPITAL       *ZZ*ACME           *261204*2315*^*00501*000000007*0*P*:~GS*PO*HOSPITAL*ACME*20261204*2315*7*X*005010~ST*850*0001~BEG*00*SA*PO-7**20261204~SE*3*0001~GE*1*7~IEA*1*000000007~';
const OWN = { interchangeId: 'HOSPITAL', qualifier: 'ZZ', applicationCode: 'HOSPITAL', defaultAck: '997' } as const;

/** An AS2 partner that accepts every message with HTTP 200 and no MDN, keeping the exact bytes of each request. */
async function silentPartner(): Promise<{
  url: string;
  requests: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }>;
  close(): Promise<void>;
}> {
  const requests: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/as2`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Asynchronous MDNs for our AS2 sender: the sender asks the partner to POST the MDN to our AS2
 * receiver (Receipt-Delivery-Option); the receiver verifies it with the partner's certificate, judges
 * its MIC against the one computed at send time, correlates it by Original-Message-ID and settles it in
 * the ledger on the delivery, which the waiting attempt then reports. Peers: our own receiver playing
 * the partner, and MDNs built by `openssl cms`.
 */
describe('as2 destination: asynchronous MDNs at our receiver, and MDNs overdue', function () {
  this.timeout(120_000);
  const tmp = scratch('interlace-as2-async-');
  let us: TestCert, acme: TestCert, stranger: TestCert;
  let store: SqliteStore;
  let hospital: { url: string; ctx: RecordingContext };
  const closers: Array<() => Promise<void>> = [];

  before(() => {
    us = makeCert(tmp.dir, 'hospital');
    acme = makeCert(tmp.dir, 'acme');
    stranger = makeCert(tmp.dir, 'stranger');
  });
  after(() => tmp.cleanup());
  beforeEach(async () => {
    store = new SqliteStore({ path: join(tmp.dir, `hospital-${Date.now()}.db`) });
    const services = createEngineServices({ partners: [], mdns: store, log: silentLogger });
    closers.push(
      () => store.close(),
      () => services.close(),
    );
    // Our own AS2 receiver, where the partner's asynchronous MDNs arrive.
    const ctx = Object.assign(new RecordingContext(), { services });
    const source: Source = as2Source.create(
      as2Source.schema.parse({
        type: 'as2',
        host: '127.0.0.1',
        port: 0,
        as2Id: 'HOSPITAL',
        certificate: us.certPath,
        privateKey: us.keyPath,
        partners: [{ as2Id: 'ACME', certificate: acme.certPath }],
      }),
      ctx,
    );
    await source.start();
    closers.push(() => source.stop());
    hospital = { url: `http://127.0.0.1:${source.address!()!.port}/as2`, ctx };
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A stored message to deliver, so that the MDN's ledger line has a message to show on. */
  async function delivery(): Promise<Delivery> {
    const { messageId } = await store.ingest('orders', { raw: Buffer.from(X12) }, 0);
    return {
      deliveryId: `${messageId}:acme-as2`,
      messageId,
      channel: 'orders',
      route: 'acme-as2',
      idempotencyKey: `${messageId}:acme-as2`,
      correlationId: messageId,
      attempt: 1,
      payload: { body: X12, contentType: 'application/edi-x12' },
    };
  }

  function sender(url: string, overrides: Record<string, unknown> = {}): Destination {
    const services = createEngineServices({ partners: [], mdns: store, log: silentLogger });
    const d = as2.create(
      as2.schema.parse({
        type: 'as2',
        url,
        as2From: 'HOSPITAL',
        as2To: 'ACME',
        signCert: us.certPath,
        signKey: us.keyPath,
        partnerCert: acme.certPath,
        mdn: 'async',
        asyncMdnUrl: hospital.url,
        asyncMdnWait: '20s',
        timeout: '10s',
        ...overrides,
      }),
      { channel: 'orders', route: 'acme-as2', log: silentLogger, services },
    );
    closers.push(
      () => d.close(),
      () => services.close(),
    );
    return d;
  }

  const mdnAcks = async (messageId: string) =>
    (await store.getMessage(messageId))!.acks.filter((a) => a.kind === 'mdn').map((a) => [a.direction, a.code, a.deliveryId]);

  /**
   * What the partner's openssl does with a message we sent: decrypt it, verify our signature, take the
   * MIC over the signed content, and answer a signed MDN (report written here, signed by `openssl cms`).
   */
  function opensslMdn(
    sent: { headers: http.IncomingHttpHeaders; body: Buffer },
    o: { signer?: TestCert; mic?: string; originalMessageId?: string; disposition?: string } = {},
  ): { contentType: string; body: Buffer; mic: string } {
    writeFileSync(tmp.path('sent.der'), sent.body);
    openssl([
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      tmp.path('sent.der'),
      '-inkey',
      acme.keyPath,
      '-recip',
      acme.certPath,
      '-out',
      tmp.path('sent.mime'),
    ]);
    openssl([
      'cms',
      '-verify',
      '-binary',
      '-crlfeol',
      '-in',
      tmp.path('sent.mime'),
      '-CAfile',
      us.certPath,
      '-purpose',
      'any',
      '-out',
      tmp.path('signed-content'),
    ]);
    const mic = openssl(['dgst', '-sha256', '-binary', tmp.path('signed-content')]).toString('base64');
    const fields = [
      'Reporting-UA: openssl test partner',
      'Original-Recipient: rfc822; ACME',
      'Final-Recipient: rfc822; ACME',
      `Original-Message-ID: ${o.originalMessageId ?? String(sent.headers['message-id'])}`,
      `Disposition: automatic-action/MDN-sent-automatically; ${o.disposition ?? 'processed'}`,
      `Received-Content-MIC: ${o.mic ?? mic}, sha-256`,
    ];
    const report = [
      'Content-Type: multipart/report; report-type=disposition-notification; boundary="rpt"',
      '',
      '--rpt',
      'Content-Type: text/plain',
      '',
      'Received.',
      '--rpt',
      'Content-Type: message/disposition-notification',
      '',
      ...fields,
      '',
      '--rpt--',
      '',
    ].join('\r\n');
    writeFileSync(tmp.path('report'), report);
    const signer = o.signer ?? acme;
    const smime = openssl([
      'cms',
      '-sign',
      '-binary',
      '-crlfeol',
      '-md',
      'sha256',
      '-in',
      tmp.path('report'),
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
    ]);
    const e = parseEntity(smime);
    return { contentType: e.headers.find(([n]) => n.toLowerCase() === 'content-type')![1], body: e.body, mic };
  }

  async function postMdn(mdn: { contentType: string; body: Buffer }, from = 'ACME'): Promise<{ status: number; text: string }> {
    const res = await fetch(hospital.url, {
      method: 'POST',
      headers: {
        'as2-version': '1.2',
        'as2-from': from,
        'as2-to': 'HOSPITAL',
        'message-id': `<mdn-${Date.now()}@acme>`,
        'content-type': mdn.contentType,
      },
      body: new Uint8Array(mdn.body),
    });
    return { status: res.status, text: await res.text() };
  }

  const outcome = (p: Promise<DeliveryResult>) =>
    p.then(
      (r) => r,
      (e: unknown) => e as Error & { code?: string },
    );

  it('our sender → our receiver as the partner → its async MDN to our receiver: delivered, recorded on the delivery, never stored as a message', async () => {
    const partnerInbox = new RecordingContext();
    const partner: Source = as2Source.create(
      as2Source.schema.parse({
        type: 'as2',
        host: '127.0.0.1',
        port: 0,
        as2Id: 'ACME',
        certificate: acme.certPath,
        privateKey: acme.keyPath,
        partners: [{ as2Id: 'HOSPITAL', certificate: us.certPath }],
      }),
      partnerInbox,
    );
    await partner.start();
    closers.push(() => partner.stop());
    const d = await delivery();
    const result = await sender(`http://127.0.0.1:${partner.address!()!.port}/as2`).send(d);
    expect(result.status).to.equal('mdn-processed');
    expect(result.body).to.match(/^async MDN processed, signature verified, MIC \S+, sha-256 matches; AS2 Message-ID </);
    expect(partnerInbox.inputs.map((i) => i.raw.toString())).to.deep.equal([X12]);
    expect(partnerInbox.answers.find((a) => a.kind === 'as2-mdn')!.detail).to.match(
      /^async MDN to http:\/\/127\.0\.0\.1:\d+\/as2: HTTP 200$/,
    );
    expect(hospital.ctx.inputs, 'the MDN was stored as a message').to.deep.equal([]);
    const [owed, ...more] = await store.messageMdns(d.messageId);
    expect(more).to.deep.equal([]);
    expect(owed).to.deep.include({ mode: 'async', outcome: 'processed', deliveryId: d.deliveryId, attempts: 1, partner: 'ACME' });
    expect(await mdnAcks(d.messageId)).to.deep.equal([['received', 'processed', d.deliveryId]]);
    // A retry of the route (its success was not recorded) finds the MDN in the ledger and sends nothing again.
    const again = await sender(`http://127.0.0.1:${partner.address!()!.port}/as2`).send({ ...d, attempt: 2 });
    expect(again.status).to.equal('mdn-processed');
    expect(partnerInbox.inputs).to.have.length(1);
  });

  it('openssl partner: a signed MDN with the right MIC is accepted; one with a wrong MIC dead-letters the delivery (as2-mic-mismatch in the ledger)', async () => {
    const partner = await silentPartner();
    closers.push(() => partner.close());
    const good = await delivery();
    const sending = outcome(sender(partner.url).send(good));
    await until('the message reaches the partner', () => partner.requests.length === 1, 20_000);
    const sent = partner.requests[0]!;
    expect(sent.headers['receipt-delivery-option']).to.equal(hospital.url);
    expect(sent.headers['disposition-notification-options']).to.match(
      /signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, sha-256/,
    );
    const mdn = opensslMdn(sent);
    expect(await postMdn(mdn)).to.deep.include({ status: 200 });
    const ok = await sending;
    expect(ok).to.not.be.instanceOf(Error);
    expect((ok as DeliveryResult).body).to.include(`MIC sent ${mdn.mic}, sha-256`);
    expect(await mdnAcks(good.messageId)).to.deep.equal([['received', 'processed', good.deliveryId]]);

    const bad = await delivery();
    const failing = outcome(sender(partner.url).send(bad));
    await until('the second message reaches the partner', () => partner.requests.length === 2, 20_000);
    const wrong = opensslMdn(partner.requests[1]!, { mic: Buffer.alloc(32, 7).toString('base64') });
    const answered = await postMdn(wrong);
    expect(answered.status).to.equal(200);
    expect(answered.text).to.match(/as2-mic-mismatch/);
    const err = (await failing) as Error & { code?: string };
    expect(err).to.be.instanceOf(PermanentDeliveryError);
    expect(err.code).to.equal('as2-mic-mismatch');
    expect(err.message).to.match(/the partner received other bytes/);
    expect(await mdnAcks(bad.messageId)).to.deep.equal([['received', 'as2-mic-mismatch', bad.deliveryId]]);
    expect((await store.messageMdns(bad.messageId))[0]!.outcome).to.equal('as2-mic-mismatch');
    expect(hospital.ctx.inputs).to.deep.equal([]);
  });

  it('openssl partner: a negative disposition dead-letters with it; a second MDN for a settled message changes nothing', async () => {
    const partner = await silentPartner();
    closers.push(() => partner.close());
    const d = await delivery();
    const sending = outcome(sender(partner.url).send(d));
    await until('the message reaches the partner', () => partner.requests.length === 1, 20_000);
    const negative = opensslMdn(partner.requests[0]!, { disposition: 'processed/error: decryption-failed' });
    expect((await postMdn(negative)).status).to.equal(200);
    const err = (await sending) as Error & { code?: string };
    expect([err.constructor, err.code]).to.deep.equal([PermanentDeliveryError, 'as2-mdn-negative']);
    expect(err.message).to.include('processed/error: decryption-failed');
    const replay = await postMdn(opensslMdn(partner.requests[0]!));
    expect(replay).to.deep.include({ status: 200 });
    expect(replay.text).to.match(/recorded before; nothing changed/);
    expect(await mdnAcks(d.messageId)).to.deep.equal([['received', 'as2-mdn-negative', d.deliveryId]]);
  });

  it('bad signature, unknown Original-Message-ID, unknown partner: refused with one sentence, the delivery is not settled, nothing stored', async () => {
    const partner = await silentPartner();
    closers.push(() => partner.close());
    const d = await delivery();
    const sending = outcome(sender(partner.url, { asyncMdnWait: '3s' }).send(d));
    await until('the message reaches the partner', () => partner.requests.length === 1, 20_000);
    const sent = partner.requests[0]!;

    const forged = await postMdn(opensslMdn(sent, { signer: stranger }));
    expect(forged.status).to.equal(403);
    expect(JSON.parse(forged.text)).to.deep.include({
      error: { code: 'as2-mdn-signature-invalid', message: JSON.parse(forged.text).error.message },
    });
    expect(JSON.parse(forged.text).error.message).to.match(/^the MDN was refused: /);
    expect(forged.text).to.not.match(/\n\s+at /);

    const unknown = await postMdn(opensslMdn(sent, { originalMessageId: '<never-sent@hospital.interlace>' }));
    expect(unknown.status).to.equal(400);
    expect(JSON.parse(unknown.text).error).to.deep.equal({
      code: 'as2-mdn-unknown',
      message: 'the MDN answers Message-ID <never-sent@hospital.interlace>, which we never sent to ACME',
    });

    const stranger2 = await postMdn(opensslMdn(sent), 'SOMEONE-ELSE');
    expect(stranger2.status).to.equal(403);
    expect(JSON.parse(stranger2.text).error.code).to.equal('as2-unknown-partner');

    // The forged MDN is on the delivery's ledger, as refused; the MDN is still owed, so the attempt runs out and will be resent.
    const err = (await sending) as Error & { code?: string };
    expect([err.constructor, err.code]).to.deep.equal([TransientDeliveryError, 'as2-mdn-missing']);
    expect(await mdnAcks(d.messageId)).to.deep.equal([['received', 'as2-mdn-signature-invalid', d.deliveryId]]);
    expect((await store.messageMdns(d.messageId))[0]!.settledAt).to.equal(undefined);
    expect(hospital.ctx.inputs, 'an MDN was stored as a message').to.deep.equal([]);
    expect(await store.listMessages({})).to.have.length(1); // only the message we sent
  });

  it('no MDN by mdnDeadline: overdue in /api/acks/overdue and the metric; the retry resends the same Message-ID; a late MDN settles it without another send', async () => {
    const partner = await silentPartner();
    closers.push(() => partner.close());
    const d = await delivery();
    const dest = sender(partner.url, { asyncMdnWait: '1s', mdnDeadline: '1s' });
    const first = await outcome(dest.send(d));
    expect([(first as Error).constructor, (first as { code?: string }).code]).to.deep.equal([TransientDeliveryError, 'as2-mdn-missing']);
    expect((first as Error).message).to.match(
      /^no asynchronous MDN reached http:\/\/127\.0\.0\.1:\d+\/as2 within 1000 ms; the message will be resent/,
    );
    await sleep(1100);
    const admin = x12Admin(store, { partners: new PartnerDirectory([], OWN) });
    const late = await admin.overdue();
    expect(late).to.have.length(1);
    expect(late[0]).to.deep.include({ partner: 'ACME', expected: 'mdn', messageId: d.messageId, deliveryId: d.deliveryId, attempts: 1 });
    expect(await admin.metrics()).to.include('interlace_acks_overdue{partner="ACME"} 1');

    const second = await outcome(dest.send({ ...d, attempt: 2 }));
    expect((second as { code?: string }).code).to.equal('as2-mdn-missing');
    expect(partner.requests.map((r) => r.headers['message-id'])).to.deep.equal([
      partner.requests[0]!.headers['message-id'],
      partner.requests[0]!.headers['message-id'],
    ]);
    expect((await admin.overdue())[0]).to.deep.include({ attempts: 2 });

    // The partner's MDN (for the resend: same Message-ID, same MIC) arrives between two attempts.
    expect((await postMdn(opensslMdn(partner.requests[1]!))).status).to.equal(200);
    expect(await admin.overdue()).to.deep.equal([]);
    expect(await admin.metrics()).to.not.include('interlace_acks_overdue{partner="ACME"} 1');
    const third = await dest.send({ ...d, attempt: 3 });
    expect(third.status).to.equal('mdn-processed');
    expect(partner.requests, 'the third attempt sent the message again').to.have.length(2);
  });

  it('mdn: async without asyncMdnUrl is refused at load with one sentence', () => {
    const r = as2.schema.safeParse({
      type: 'as2',
      url: 'http://127.0.0.1:1/as2',
      as2From: 'HOSPITAL',
      as2To: 'ACME',
      signCert: us.certPath,
      signKey: us.keyPath,
      partnerCert: acme.certPath,
      mdn: 'async',
    });
    expect(r.success).to.equal(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).to.deep.equal([
      [
        'asyncMdnUrl',
        '"asyncMdnUrl" is missing from transport (as2); mdn: async needs the URL of our AS2 receiver, where the partner sends the MDN',
      ],
    ]);
  });
});
