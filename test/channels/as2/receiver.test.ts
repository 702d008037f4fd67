import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { as2 } from '../../../channels/as2/index.js';
import type { Source } from '../../../channels/types.js';
import type { HttpSource } from '../../../channels/http/source.js';
import { LISTENER_DEFAULTS } from '../../../lib/listener-guard.js';
import { until } from '../../support/until.js';
import { loadCertificate, parseEntity, readMdn } from '../../../lib/as2/index.js';
import { RecordingContext, storeFailure } from '../file/support.js';
import { makeCert, openssl, opensslCompress, scratch, type TestCert } from '../../support/openssl.js';

const X12 = Buffer.from(
  'ISA*00*          *00*          *ZZ*ACME           *ZZ*HOSPITAL       *261204*2315*^*00501*000000101*0*P*:~GS*PO*ACME*HOSPITAL*20261204*2315*101*X*005010~ST*850*0001~BEG*00*SA*PO-1**20261204~SE*3*0001~GE*1*101~IEA*1*000000101~',
);
const ENTITY = Buffer.concat([
  Buffer.from('Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=po.x12\r\n\r\n'),
  X12,
]);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');

describe('as2 source (receiver)', function () {
  this.timeout(60_000);
  const tmp = scratch();
  let us: TestCert, acme: TestCert, stranger: TestCert;
  const running: Source[] = [];

  before(() => {
    us = makeCert(tmp.dir, 'hospital');
    acme = makeCert(tmp.dir, 'acme');
    stranger = makeCert(tmp.dir, 'stranger');
  });
  after(() => tmp.cleanup());
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  async function start(ctx: RecordingContext, overrides: Record<string, unknown> = {}) {
    const config = as2.schema.parse({
      type: 'as2',
      host: '127.0.0.1',
      port: 0,
      as2Id: 'HOSPITAL',
      certificate: us.certPath,
      privateKey: us.keyPath,
      partners: [{ as2Id: 'ACME AS2', certificate: acme.certPath, partner: 'acme-medical' }],
      ...overrides,
    });
    const source = as2.create(config, ctx);
    await source.start();
    running.push(source);
    return `http://127.0.0.1:${source.address!()!.port}/as2`;
  }

  /** Signed by `signer`, compressed before signing when asked, then encrypted for `to`: the HTTP headers and body. */
  function build(o: { signer?: TestCert; to?: TestCert | null; compress?: boolean; cipher?: string; content?: Buffer } = {}): {
    contentType: string;
    body: Buffer;
    signedPart?: Buffer;
  } {
    let part = o.content ?? ENTITY;
    if (o.compress)
      part = Buffer.concat([
        Buffer.from('Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n\r\n'),
        opensslCompress(tmp.dir, part),
      ]);
    const signedPart = o.signer === undefined || o.signer ? part : undefined;
    let entity = part;
    if (signedPart) {
      const signer = o.signer ?? acme;
      writeFileSync(tmp.path('in'), part);
      entity = openssl([
        'cms',
        '-sign',
        '-binary',
        '-crlfeol',
        '-in',
        tmp.path('in'),
        '-signer',
        signer.certPath,
        '-inkey',
        signer.keyPath,
      ]);
    }
    if (o.to === null) {
      const e = parseEntity(entity);
      return {
        contentType: e.headers.find(([n]) => n.toLowerCase() === 'content-type')![1],
        body: e.body,
        ...(signedPart ? { signedPart } : {}),
      };
    }
    writeFileSync(tmp.path('in'), entity);
    const der = openssl([
      'cms',
      '-encrypt',
      '-binary',
      `-${o.cipher ?? 'aes256'}`,
      '-outform',
      'DER',
      '-in',
      tmp.path('in'),
      (o.to ?? us).certPath,
    ]);
    return {
      contentType: 'application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m',
      body: der,
      ...(signedPart ? { signedPart } : {}),
    };
  }

  async function post(url: string, msg: { contentType: string; body: Buffer }, headers: Record<string, string> = {}) {
    const res = await fetch(url, {
      method: 'POST',
      body: new Uint8Array(msg.body),
      headers: {
        'as2-version': '1.2',
        'as2-from': '"ACME AS2"',
        'as2-to': 'HOSPITAL',
        'message-id': '<m-1@acme>',
        'content-type': msg.contentType,
        'disposition-notification-to': 'edi@acme.example',
        'disposition-notification-options':
          'signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256, sha1',
        ...headers,
      },
    });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body };
  }

  /** Reads the MDN with openssl first (signature against our certificate), then with our reader. */
  function mdnOf(res: { headers: Headers; body: Buffer }) {
    const contentType = res.headers.get('content-type')!;
    writeFileSync(tmp.path('mdn'), Buffer.concat([Buffer.from(`Content-Type: ${contentType}\r\n\r\n`), res.body]));
    const report = openssl([
      'cms',
      '-verify',
      '-binary',
      '-crlfeol',
      '-in',
      tmp.path('mdn'),
      '-CAfile',
      us.certPath,
      '-purpose',
      'any',
    ]).toString('latin1');
    return {
      report,
      mdn: readMdn([['Content-Type', contentType]], res.body, { partner: [loadCertificate(us.cert)], requireSigned: true }),
    };
  }

  it('openssl signed + compressed + encrypted (3DES): stored payload, then a signed MDN openssl verifies, with the MIC of the signed part', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx);
    const msg = build({ compress: true, cipher: 'des3' });
    const res = await post(url, msg);
    expect(res.status).to.equal(200);
    expect(res.headers.get('as2-from')).to.equal('HOSPITAL');
    expect(res.headers.get('as2-to')).to.equal('"ACME AS2"');
    const { report, mdn } = mdnOf(res);
    expect(report).to.include('Original-Message-ID: <m-1@acme>\r\n');
    expect(report).to.include('Disposition: automatic-action/MDN-sent-automatically; processed\r\n');
    expect(mdn).to.deep.include({ processed: true, mic: { value: sha256(msg.signedPart!), digest: 'sha256' } });
    expect(ctx.inputs).to.have.length(1);
    expect(ctx.inputs[0]!.raw.equals(X12)).to.equal(true);
    expect(ctx.inputs[0]).to.deep.include({ controlId: '<m-1@acme>', sender: 'ACME AS2' });
    expect(ctx.inputs[0]!.rejected).to.equal(undefined);
    expect(ctx.answers).to.deep.equal([{ messageId: 'm1', kind: 'as2-mdn', code: 'processed', detail: 'sync MDN (signed)' }]);
  });

  it('a resent Message-ID gets the same disposition and MIC, and is flagged a duplicate (not processed twice)', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx);
    const msg = build({ cipher: 'aes128' });
    const first = mdnOf(await post(url, msg)).mdn;
    const again = mdnOf(await post(url, msg)).mdn;
    expect(again.mic).to.deep.equal(first.mic);
    expect([first.disposition, again.disposition]).to.deep.equal(['processed', 'processed']);
    expect(again.explanation).to.match(/received before \(message m1\); it was not processed again/);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['<m-1@acme>', '<m-1@acme>']);
  });

  const negative: Array<[string, () => { contentType: string; body: Buffer }, string, Record<string, string>?]> = [
    ['signed by a certificate that is not the partner’s', () => build({ signer: stranger }), 'authentication-failed'],
    ['encrypted for another certificate', () => build({ to: stranger }), 'decryption-failed'],
    ['unsigned when the partner must sign', () => build({ signer: null as unknown as TestCert }), 'insufficient-message-security'],
    ['from an unknown AS2-From', () => build(), 'authentication-failed', { 'as2-from': 'SOMEONE' }],
    ['to an AS2-To that is not ours', () => build(), 'unexpected-processing-error', { 'as2-to': 'OTHER-HOSPITAL' }],
    [
      'with a truncated multipart body',
      () => {
        const m = build({ to: null });
        return { contentType: m.contentType, body: m.body.subarray(0, m.body.length - 40) };
      },
      'unexpected-processing-error',
    ],
  ];
  for (const [what, make, modifier, headers] of negative) {
    it(`${what}: negative MDN (${modifier}), stored as rejected with the reason`, async () => {
      const ctx = new RecordingContext();
      const url = await start(ctx);
      const res = await post(url, make(), headers);
      expect(res.status).to.equal(200);
      const { report, mdn } = mdnOf(res);
      expect(report).to.include(`Disposition: automatic-action/MDN-sent-automatically; processed/error: ${modifier}\r\n`);
      expect(mdn).to.deep.include({ processed: false, error: modifier });
      expect(ctx.inputs).to.have.length(1);
      expect(ctx.inputs[0]!.rejected?.diagnostics[0]?.code).to.match(/^(as2|mime)-/);
      // Stored as received: the AS2 headers and the body, for an operator to look at.
      expect(ctx.inputs[0]!.raw.toString('latin1')).to.match(/^As2-From: /);
      expect(ctx.answers[0]).to.deep.include({ kind: 'as2-mdn', code: modifier });
    });
  }

  it('a tampered signed part: integrity-check-failed', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx);
    const m = build({ to: null });
    const tampered = Buffer.from(m.body.toString('latin1').replace('PO-1', 'PO-2'), 'latin1');
    const { mdn } = mdnOf(await post(url, { contentType: m.contentType, body: tampered }));
    expect(mdn).to.deep.include({ processed: false, error: 'integrity-check-failed' });
    expect(ctx.inputs[0]!.rejected).to.not.equal(undefined);
  });

  it('an asynchronous MDN is POSTed to Receipt-Delivery-Option after the message is stored', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
    const sink = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(fails-- > 0 ? 503 : 200).end();
      });
    });
    let fails = 1;
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      const ctx = new RecordingContext();
      const url = await start(ctx);
      const mdnUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/mdn`;
      const res = await post(url, build(), { 'receipt-delivery-option': mdnUrl });
      expect(res.status).to.equal(200);
      expect(res.body.length).to.equal(0);
      const end = Date.now() + 20_000;
      while (ctx.answers.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(ctx.answers, 'the async MDN was not recorded within 20 s').to.have.length(1);
      expect(ctx.answers[0]).to.deep.include({ kind: 'as2-mdn', code: 'processed', detail: `async MDN to ${mdnUrl}: HTTP 200` });
      expect(received).to.have.length(2); // one 503, then accepted
      const last = received[1]!;
      expect(last.headers['as2-to']).to.equal('"ACME AS2"');
      const mdn = readMdn([['Content-Type', String(last.headers['content-type'])]], last.body, {
        partner: [loadCertificate(us.cert)],
        requireSigned: true,
      });
      expect(mdn).to.deep.include({ processed: true, originalMessageId: '<m-1@acme>' });
    } finally {
      sink.close();
    }
  });

  it('an unknown sender’s Receipt-Delivery-Option is never called: the refusal comes in the response', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx);
    const res = await post(url, build(), { 'as2-from': 'MALLORY', 'receipt-delivery-option': 'http://127.0.0.1:1/steal' });
    expect(mdnOf(res).mdn).to.deep.include({ processed: false, error: 'authentication-failed' });
  });

  it('a store failure is answered 503 with Retry-After and no MDN', async () => {
    const ctx = new RecordingContext();
    ctx.hook = storeFailure;
    const url = await start(ctx);
    const res = await post(url, build());
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('30');
    expect(res.headers.get('content-type')).to.match(/json/);
  });

  it('many large messages at once: beyond maxBufferedBytes 503 http-busy with Retry-After, the one held still gets its MDN', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx, { maxBodyBytes: '1MiB', maxBufferedBytes: '1MiB' });
    const msg = build();
    const { port } = new URL(url);
    // a partner starts a large message and is slow to finish it
    const slow = net.connect({ host: '127.0.0.1', port: Number(port) });
    slow.on('error', () => undefined);
    const got: Buffer[] = [];
    slow.on('data', (d: Buffer) => got.push(d));
    await new Promise((resolve) => slow.once('connect', resolve));
    const padded = Buffer.concat([msg.body, Buffer.alloc(900 * 1024 - msg.body.length)]);
    slow.write(
      `POST /as2 HTTP/1.1\r\nHost: x\r\nAS2-From: "ACME AS2"\r\nAS2-To: HOSPITAL\r\nMessage-ID: <slow@acme>\r\nContent-Type: ${msg.contentType}\r\nContent-Length: ${padded.length}\r\n\r\n`,
    );
    slow.write(padded.subarray(0, 800 * 1024));
    await until('the slow message to be held', () => (running[0] as HttpSource).bufferedBytes() >= 800 * 1024);
    const busy = await post(url, { ...msg, body: Buffer.concat([msg.body, Buffer.alloc(300 * 1024)]) }, { 'message-id': '<busy@acme>' });
    expect(busy.status).to.equal(503);
    expect(busy.headers.get('retry-after')).to.equal('30');
    expect(JSON.parse(busy.body.toString()).error.code).to.equal('http-busy');
    slow.end(padded.subarray(800 * 1024));
    await until('the slow message to be answered', () => /^HTTP\/1\.1 200/.test(Buffer.concat(got).toString('latin1')));
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['<slow@acme>']);
    slow.destroy();
    await until('the budget to be released', () => (running[0] as HttpSource).bufferedBytes() === 0);
  });

  it('stops reading a partner that sends messages and never reads the MDNs; what it holds stays bounded', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx);
    const source = running[0] as HttpSource;
    const client = net.connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    client.pause();
    // unsigned and unencrypted from a partner that must sign: each is stored as rejected and answered with a negative MDN
    const body = 'x'.repeat(300);
    const one = `POST /as2 HTTP/1.1\r\nHost: x\r\nAS2-From: "ACME AS2"\r\nAS2-To: HOSPITAL\r\nMessage-ID: <p@acme>\r\nDisposition-Notification-To: edi@acme.example\r\nContent-Type: application/edi-x12\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const batch = one.repeat(100);
    try {
      await until('the listener to stop reading the connection', () => {
        if (source.connectionStats()[0]?.paused) return true;
        if (client.writableLength < 1024 * 1024) client.write(batch);
        return false;
      });
      const atPause = ctx.inputs.length;
      await new Promise((r) => setTimeout(r, 500));
      const stats = source.connectionStats()[0]!;
      expect(stats.paused, 'reading resumed although the partner reads nothing').to.equal(true);
      expect(ctx.inputs.length - atPause, 'messages kept being taken while paused').to.be.at.most(
        LISTENER_DEFAULTS.maxPendingAnswers + 400,
      );
      expect(stats.unsentBytes).to.be.below(LISTENER_DEFAULTS.maxUnsentBytes + 512 * 1024);
    } finally {
      client.destroy();
    }
  });

  it('an MDN POSTed to a receiver without the MDN ledger is refused with one sentence (400 as2-mdn-unknown) and never stored as a message', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx);
    const report = Buffer.from(
      '--b\r\nContent-Type: message/disposition-notification\r\n\r\nOriginal-Message-ID: <x@hospital>\r\nDisposition: automatic-action/MDN-sent-automatically; processed\r\n\r\n--b--\r\n',
    );
    const res = await post(url, { contentType: 'multipart/report; report-type=disposition-notification; boundary="b"', body: report });
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.body.toString())).to.deep.equal({
      error: { code: 'as2-mdn-unknown', message: 'this receiver runs without the MDN ledger, so the MDN answers nothing it sent' },
    });
    expect(ctx.inputs).to.deep.equal([]);
  });

  it('hostile requests: no AS2 headers (400, stored rejected), oversized (413, nothing stored), garbage bodies (negative MDN)', async () => {
    const ctx = new RecordingContext();
    const url = await start(ctx, { maxBodyBytes: 64 * 1024 });
    const bare = await fetch(url, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(bare.status).to.equal(400);
    expect(((await bare.json()) as { error: { message: string } }).error.message).to.equal(
      'the request is not an AS2 message: it has no AS2-From, AS2-To, Message-ID',
    );
    expect(ctx.inputs[0]!.rejected?.diagnostics[0]?.code).to.equal('as2-not-as2');
    const big = await post(url, { contentType: 'application/pkcs7-mime', body: Buffer.alloc(100 * 1024, 0x41) });
    expect(big.status).to.equal(413);
    for (const [i, contentType] of [
      'application/pkcs7-mime; smime-type=enveloped-data',
      'multipart/signed; boundary=zz',
      'application/pkcs7-mime; smime-type=compressed-data',
    ].entries()) {
      const res = await post(
        url,
        { contentType, body: Buffer.from('\x30\x80garbage'.repeat(50), 'latin1') },
        { 'message-id': `<g${i}@x>` },
      );
      expect(res.status).to.equal(200);
      expect(mdnOf(res).mdn.processed).to.equal(false);
    }
    expect(ctx.inputs).to.have.length(4);
    expect(ctx.inputs.every((i) => i.rejected)).to.equal(true);
  });
});
