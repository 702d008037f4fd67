import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { TransientDeliveryError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';
import { http, httpSchema } from '../../../routes/destinations/http.js';
import type { Delivery } from '../../../routes/types.js';

/** Makes a CA, a server certificate for 127.0.0.1 and a client certificate, with the openssl CLI. */
function makePki(dir: string): void {
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=interlace-test-ca');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    const ext = name === 'server' ? ['-extfile', 'san.cnf'] : [];
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      ...ext,
    );
  }
}

const delivery: Delivery = {
  deliveryId: 'd-tls',
  messageId: 'm-tls',
  channel: 'c',
  route: 'r',
  idempotencyKey: 'm-tls:r',
  correlationId: 'corr',
  attempt: 1,
  payload: { body: 'hello', contentType: 'text/plain' },
};
const ctx = { channel: 'c', route: 'r', log: silentLogger };

describe('routes/destinations/http over TLS', function () {
  this.timeout(20_000);
  let dir: string;
  let server: https.Server;
  let url: string;
  const seen: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-tls-'));
    makePki(dir);
    const file = (n: string): Buffer => readFileSync(join(dir, n));
    server = https.createServer(
      { key: file('server.key'), cert: file('server.pem'), ca: file('ca.pem'), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        seen.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''));
        req.resume();
        req.on('end', () => res.end('tls ok'));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers with a client certificate and a private CA', async () => {
    const dest = http.create(
      httpSchema.parse({
        type: 'http',
        url,
        tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') },
      }),
      ctx,
    );
    try {
      expect(await dest.send(delivery)).to.deep.equal({ status: '200', body: 'tls ok' });
      expect(seen).to.deep.equal(['client']);
      expect(await dest.health()).to.deep.equal({ ok: true, detail: 'TLS handshake completed' });
    } finally {
      await dest.close();
    }
  });

  it('fails transiently when the server certificate is not trusted', async () => {
    const dest = http.create(httpSchema.parse({ type: 'http', url }), ctx);
    try {
      const err = await dest.send(delivery).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(TransientDeliveryError).with.property('code', 'http-network-error');
      const h = await dest.health();
      expect(h.ok).to.equal(false);
      expect(h.detail).to.be.a('string').and.not.equal('');
    } finally {
      await dest.close();
    }
  });

  it('fails transiently when the server wants a client certificate and gets none', async () => {
    const dest = http.create(httpSchema.parse({ type: 'http', url, tls: { ca: join(dir, 'ca.pem') } }), ctx);
    try {
      const err = await dest.send(delivery).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(TransientDeliveryError).with.property('code', 'http-network-error');
    } finally {
      await dest.close();
    }
  });
});
