import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { encodeFrame } from '../../../channels/mllp/framing.js';
import { TransientDeliveryError } from '../../../lib/errors.js';
import { hl7, msa, RecordingContext, startSource } from './support.js';

/** A bare TCP server on port 0 whose connection handler the test writes. */
async function rawServer(onSocket: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string; error: unknown }> {
  try {
    await p;
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message, error };
  }
  throw new Error('expected a rejection');
}

describe('mllp client', () => {
  it('sends messages one after another to the listener and resolves with each ACK', async () => {
    const ctx = new RecordingContext();
    const { source, port } = await startSource(ctx);
    const client = new MllpClient({ host: '127.0.0.1', port, timeout: 5000 });
    const acks = await Promise.all(['C-1', 'C-2', 'C-3'].map((id) => client.send(Buffer.from(hl7(id), 'latin1'))));
    expect(acks.map((a) => msa(a))).to.deep.equal(['C-1', 'C-2', 'C-3'].map((controlId) => ({ code: 'AA', controlId })));
    await client.close();
    await source.stop();
  });

  it('rejects with mllp-ack-timeout when no ACK comes, and reconnects for the next send', async () => {
    let connections = 0;
    const server = await rawServer((s) => {
      connections += 1;
      if (connections === 1) return; // swallow the first message
      s.on('data', () => s.write(encodeFrame(Buffer.from('MSH|^~\\&|||||||ACK|1|P|2.5.1\rMSA|AA|X\r'))));
    });
    const client = new MllpClient({ host: '127.0.0.1', port: server.port, timeout: 300 });
    const f = await failure(client.send(Buffer.from(hl7('T-1'))));
    expect(f.code).to.equal('mllp-ack-timeout');
    expect(f.error).to.be.instanceOf(TransientDeliveryError);
    const ack = await client.send(Buffer.from(hl7('T-2')));
    expect(msa(ack)).to.deep.equal({ code: 'AA', controlId: 'X' });
    expect(connections).to.equal(2);
    await client.close();
    await server.close();
  });

  it('rejects with mllp-connection-closed when the peer closes before the ACK, then reconnects', async () => {
    let connections = 0;
    const server = await rawServer((s) => {
      connections += 1;
      if (connections === 1) s.on('data', () => s.destroy());
      else s.on('data', () => s.write(encodeFrame(Buffer.from('MSH|^~\\&\rMSA|AA|Y\r'))));
    });
    const client = new MllpClient({ host: '127.0.0.1', port: server.port, timeout: 5000 });
    expect((await failure(client.send(Buffer.from(hl7('K-1'))))).code).to.equal('mllp-connection-closed');
    expect(msa(await client.send(Buffer.from(hl7('K-2')))).controlId).to.equal('Y');
    await client.close();
    await server.close();
  });

  it('rejects with mllp-connect-failed naming the address when nothing listens', async () => {
    const server = await rawServer(() => undefined);
    const port = server.port;
    await server.close();
    const client = new MllpClient({ host: '127.0.0.1', port, timeout: 2000 });
    const f = await failure(client.send(Buffer.from('MSH|')));
    expect(f.code).to.equal('mllp-connect-failed');
    expect(f.message).to.include(`127.0.0.1:${port}`).and.include('ECONNREFUSED');
  });
});

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('mllp over TLS', function () {
  let dir: string;
  before(function () {
    if (!haveOpenssl) this.skip(); // the openssl command makes the test certificate
    dir = mkdtempSync(join(tmpdir(), 'mllp-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers over TLS a client that trusts the certificate', async () => {
    const ctx = new RecordingContext();
    const tls = { enabled: true, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
    const { source, port } = await startSource(ctx, { tls });
    const client = new MllpClient({ host: '127.0.0.1', port, timeout: 5000, tls: { enabled: true, ca: join(dir, 'cert.pem') } });
    expect(msa(await client.send(Buffer.from(hl7('TLS-1'))))).to.deep.equal({ code: 'AA', controlId: 'TLS-1' });
    await client.close();
    // A client that does not trust the certificate is refused; nothing is stored from it.
    const stranger = new MllpClient({ host: '127.0.0.1', port, timeout: 5000, tls: { enabled: true } });
    expect((await failure(stranger.send(Buffer.from(hl7('TLS-2'))))).code).to.equal('mllp-connect-failed');
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['TLS-1']);
    await source.stop();
  });

  it('mutual TLS: answers a client presenting a trusted certificate, refuses one presenting none', async () => {
    const ctx = new RecordingContext();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const { source, port } = await startSource(ctx, { tls: { enabled: true, cert, key, ca: cert, requestCert: true } });
    const known = new MllpClient({ host: '127.0.0.1', port, timeout: 5000, tls: { enabled: true, ca: cert, cert, key } });
    expect(msa(await known.send(Buffer.from(hl7('MTLS-1'))))).to.deep.equal({ code: 'AA', controlId: 'MTLS-1' });
    await known.close();
    const anonymous = new MllpClient({ host: '127.0.0.1', port, timeout: 5000, tls: { enabled: true, ca: cert } });
    const f = await failure(anonymous.send(Buffer.from(hl7('MTLS-2'))));
    expect(['mllp-connect-failed', 'mllp-connection-closed']).to.include(f.code);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['MTLS-1']);
    await source.stop();
  });

  it('refuses to start when a certificate file cannot be read', async () => {
    const ctx = new RecordingContext();
    const err = await failure(startSource(ctx, { tls: { enabled: true, cert: join(dir, 'missing.pem'), key: join(dir, 'key.pem') } }));
    expect(err.code).to.equal('tls-file-unreadable');
    expect(err.message).to.include('tls.cert').and.include('missing.pem');
  });
});
