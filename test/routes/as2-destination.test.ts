import { expect } from 'chai';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { as2 as as2Source } from '../../channels/as2/index.js';
import type { Source } from '../../channels/types.js';
import { buildMdn, loadIdentity, type DispositionModifier } from '../../lib/as2/index.js';
import { silentLogger } from '../../lib/log.js';
import { as2 } from '../../routes/destinations/as2/index.js';
import type { Delivery, Destination } from '../../routes/types.js';
import { RecordingContext } from '../channels/file/support.js';
import { makeCert, openssl, scratch, type TestCert } from '../support/openssl.js';

const X12 =
  'ISA*00*          *00*          *ZZ*HOSPITAL       *ZZ*ACME           *261204*2315*^*00501*000000007*0*P*:~GS*PO*HOSPITAL*ACME*20261204*2315*7*X*005010~ST*850*0001~BEG*00*SA*PO-7**20261204~SE*3*0001~GE*1*7~IEA*1*000000007~';

function delivery(key = 'msg-1:acme-as2', body = X12): Delivery {
  return {
    deliveryId: key,
    messageId: key.split(':')[0]!,
    channel: 'c',
    route: 'acme-as2',
    idempotencyKey: key,
    correlationId: 'corr',
    attempt: 1,
    payload: { body, contentType: 'application/edi-x12' },
  };
}

describe('as2 destination (sender)', function () {
  this.timeout(60_000);
  const tmp = scratch();
  let us: TestCert, acme: TestCert, stranger: TestCert;
  const closers: Array<() => Promise<void>> = [];
  before(() => {
    us = makeCert(tmp.dir, 'hospital');
    acme = makeCert(tmp.dir, 'acme');
    stranger = makeCert(tmp.dir, 'stranger');
  });
  after(() => tmp.cleanup());
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** Our own receiver playing the partner ACME, which knows us as HOSPITAL. */
  async function partnerReceiver(ctx = new RecordingContext(), requireSigned = true): Promise<{ url: string; ctx: RecordingContext }> {
    const config = as2Source.schema.parse({
      type: 'as2',
      host: '127.0.0.1',
      port: 0,
      as2Id: 'ACME',
      certificate: acme.certPath,
      privateKey: acme.keyPath,
      partners: [{ as2Id: 'HOSPITAL', certificate: us.certPath, requireSigned }],
    });
    const source: Source = as2Source.create(config, ctx);
    await source.start();
    closers.push(() => source.stop());
    return { url: `http://127.0.0.1:${source.address!()!.port}/as2`, ctx };
  }

  function sender(url: string, overrides: Record<string, unknown> = {}): Destination {
    const config = as2.schema.parse({
      type: 'as2',
      url,
      as2From: 'HOSPITAL',
      as2To: 'ACME',
      signCert: us.certPath,
      signKey: us.keyPath,
      partnerCert: acme.certPath,
      timeout: '10s',
      ...overrides,
    });
    const d = as2.create(config, { channel: 'c', route: 'acme-as2', log: silentLogger });
    closers.push(() => d.close());
    return d;
  }

  const profiles: Array<Record<string, unknown>> = [
    {},
    { sign: 'sha1', encryption: '3des' },
    { encryption: 'aes128-cbc', compress: 'before-signing' },
    { encryption: 'aes192-cbc', compress: 'after-signing', sign: 'sha512' },
    { sign: 'none', encryption: 'aes256-cbc', compress: 'before-signing' },
  ];
  for (const profile of profiles) {
    it(`our sender → our receiver with ${JSON.stringify(profile)}: delivered on a verified MDN whose MIC matches, payload stored intact`, async () => {
      const { url, ctx } = await partnerReceiver(undefined, profile['sign'] !== 'none');
      const d = sender(url, profile);
      const result = await d.send(delivery());
      expect(result.status).to.equal('mdn-processed');
      expect(result.body).to.match(/MDN processed, signature verified, MIC \S+, sha-?\d+ matches/);
      expect(ctx.inputs).to.have.length(1);
      expect(ctx.inputs[0]!.raw.toString('latin1')).to.equal(X12);
      expect(ctx.inputs[0]!.sender).to.equal('HOSPITAL');
    });
  }

  it('a resend (same delivery) carries the same Message-ID: the partner flags it a duplicate and answers the same MIC', async () => {
    const { url, ctx } = await partnerReceiver();
    const d = sender(url);
    const first = await d.send(delivery('m-9:r'));
    const second = await d.send(delivery('m-9:r'));
    expect(ctx.inputs.map((i) => i.controlId)).to.have.length(2);
    expect(ctx.inputs[0]!.controlId).to.equal(ctx.inputs[1]!.controlId);
    expect(ctx.seen.size).to.equal(1);
    expect(first.body!.match(/MIC (\S+, \S+) matches/)![1]).to.equal(second.body!.match(/MIC (\S+, \S+) matches/)![1]);
    const other = await d.send(delivery('m-10:r'));
    expect(other.status).to.equal('mdn-processed');
    expect(ctx.seen.size).to.equal(2);
  });

  it('the partner refusing (it does not know our certificate): a negative MDN dead-letters with the disposition', async () => {
    const { url } = await partnerReceiver();
    const d = sender(url, { signCert: stranger.certPath, signKey: stranger.keyPath });
    const err = await d.send(delivery()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.have.property('name', 'PermanentDeliveryError');
    expect(err).to.have.property('code', 'as2-mdn-negative');
    expect((err as Error).message).to.match(/processed\/error: authentication-failed/);
  });

  /** A fake partner answering with what `answer` builds from the request. */
  async function fakePartner(answer: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => answer(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/as2`;
  }

  function mdnAnswer(o: { signer: TestCert; mic?: string; modifier?: DispositionModifier; originalMessageId?: string }) {
    return (req: http.IncomingMessage, _body: Buffer, res: http.ServerResponse) => {
      const mdn = buildMdn(
        {
          reportingUa: 'fake',
          recipient: 'ACME',
          originalMessageId: o.originalMessageId ?? String(req.headers['message-id']),
          explanation: 'x',
          ...(o.modifier ? { modifier: o.modifier } : {}),
          mic: { value: o.mic ?? 'AAAA', digest: 'sha256' },
        },
        { identity: loadIdentity(o.signer.cert, o.signer.key), digest: 'sha256' },
      );
      res.writeHead(200, { 'content-type': mdn.headers[0]![1] }).end(mdn.body);
    };
  }

  it('an MDN whose MIC is not the one of what we sent: as2-mic-mismatch, not delivered', async () => {
    const d = sender(await fakePartner(mdnAnswer({ signer: acme, mic: 'bm90IHRoZSBtaWM=' })));
    const err = await d.send(delivery()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.have.property('code', 'as2-mic-mismatch');
    expect((err as Error).message).to.match(/differs from the one of what we sent/);
  });

  it('an MDN signed by a stranger: as2-mdn-signature-invalid', async () => {
    const d = sender(await fakePartner(mdnAnswer({ signer: stranger })));
    await d.send(delivery()).then(
      () => expect.fail('delivered'),
      (e: unknown) => expect(e).to.have.property('code', 'as2-mdn-signature-invalid'),
    );
  });

  it('an MDN for another Message-ID: as2-mdn-mismatch', async () => {
    const d = sender(await fakePartner(mdnAnswer({ signer: acme, originalMessageId: '<other@x>' })));
    await d.send(delivery()).then(
      () => expect.fail('delivered'),
      (e: unknown) => expect(e).to.have.property('code', 'as2-mdn-mismatch'),
    );
  });

  it('no MDN in the answer, a 503, or no answer in time: transient (resent later with the same Message-ID)', async () => {
    const ids: string[] = [];
    let mode = 0;
    const url = await fakePartner((req, _b, res) => {
      ids.push(String(req.headers['message-id']));
      if (mode === 0) res.writeHead(200, { 'content-length': 0 }).end();
      else if (mode === 1) res.writeHead(503).end();
      // mode 2: never answers
    });
    const d = sender(url, { timeout: '1s' });
    for (const [m, code] of [
      [0, 'as2-mdn-missing'],
      [1, 'as2-partner-unavailable'],
      [2, 'http-timeout'],
    ] as const) {
      mode = m;
      const err = await d.send(delivery('same:route')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `mode ${m}`).to.have.property('name', 'TransientDeliveryError');
      expect(err, `mode ${m}`).to.have.property('code', code);
    }
    expect(new Set(ids).size).to.equal(1);
  });

  it('what the sender POSTs is read by openssl: decrypted with the partner key, signature verified against our certificate', async () => {
    let captured: { headers: http.IncomingHttpHeaders; body: Buffer } | undefined;
    const d = sender(
      await fakePartner((req, body, res) => {
        captured = { headers: req.headers, body };
        res.writeHead(200, { 'content-length': 0 }).end();
      }),
      { mdn: 'none', encryption: '3des' },
    );
    expect((await d.send(delivery())).status).to.equal('sent-no-mdn');
    expect(captured!.headers['content-type']).to.match(/^application\/pkcs7-mime; smime-type=enveloped-data/);
    expect(captured!.headers['as2-from']).to.equal('HOSPITAL');
    writeFileSync(tmp.path('sent.p7m'), captured!.body);
    writeFileSync(
      tmp.path('sent.signed'),
      openssl(['cms', '-decrypt', '-inform', 'DER', '-in', tmp.path('sent.p7m'), '-recip', acme.certPath, '-inkey', acme.keyPath]),
    );
    const content = openssl([
      'cms',
      '-verify',
      '-binary',
      '-crlfeol',
      '-in',
      tmp.path('sent.signed'),
      '-CAfile',
      us.certPath,
      '-purpose',
      'any',
    ]).toString('latin1');
    expect(content).to.equal(`Content-Type: application/edi-x12\r\nContent-Transfer-Encoding: binary\r\n\r\n${X12}`);
  });
});
