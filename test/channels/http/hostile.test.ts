import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Source } from '../../../channels/types.js';
import { ConfigError } from '../../../lib/errors.js';
import { gate, RecordingContext, tempDir } from '../file/support.js';
import { rawExchange, startHttp } from './support.js';

describe('http source, hostile and concurrent clients', () => {
  const running: Source[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });
  async function start(ctx: RecordingContext, overrides: Record<string, unknown> = {}) {
    const started = await startHttp(ctx, overrides);
    running.push(started.source);
    return started;
  }

  it('stores nothing when the client goes away mid-body, and goes on serving', async () => {
    const ctx = new RecordingContext();
    const { port, url } = await start(ctx);
    await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', 'only twenty bytes...'], {
      destroyAfterWrite: true,
    });
    await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\nhello\r\n'], {
      destroyAfterWrite: true,
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(ctx.inputs).to.have.length(0);
    expect((await fetch(url, { method: 'POST', body: 'after' })).status).to.equal(202);
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['after']);
  });

  it('answers 400 to malformed requests and broken chunked bodies without storing them', async () => {
    const ctx = new RecordingContext();
    const { port } = await start(ctx);
    const garbage = await rawExchange(port, ['\x00\x01GARBAGE NOT HTTP\r\n\r\n']);
    expect(garbage).to.match(/^HTTP\/1\.1 400 /);
    const badChunk = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n']);
    expect(badChunk).to.match(/^HTTP\/1\.1 400 /);
    const badLength = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nhello']);
    expect(badLength).to.match(/^HTTP\/1\.1 400 /);
    const huge = await rawExchange(port, [`POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`]);
    expect(huge).to.match(/^HTTP\/1\.1 431 /);
    expect(ctx.inputs).to.have.length(0);
  });

  it('closes a connection whose headers never finish (slow-client guard) with 408', async () => {
    const ctx = new RecordingContext();
    const { port } = await start(ctx, { headersTimeout: '300ms', requestTimeout: '600ms' });
    const answer = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ']);
    expect(answer).to.match(/^HTTP\/1\.1 408 /);
    const body = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc']);
    expect(body).to.match(/^HTTP\/1\.1 408 /);
    expect(ctx.inputs).to.have.length(0);
  });

  it('answers 413 to Expect: 100-continue with an oversized Content-Length before the body is sent', async () => {
    const ctx = new RecordingContext();
    const { port } = await start(ctx, { maxBodyBytes: 10 });
    const answer = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n']);
    expect(answer).to.match(/^HTTP\/1\.1 413 /);
    expect(answer).to.not.include('100 Continue');
    const ok = await rawExchange(port, [
      'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n',
      'ok',
    ]);
    expect(ok).to.match(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 202 /);
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['ok']);
  });

  it('stores and answers 100 concurrent requests, each once', async () => {
    const ctx = new RecordingContext();
    const { url } = await start(ctx, { maxConnectionsPerAddress: 200 });
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => fetch(url, { method: 'POST', body: `message ${i}`, headers: { 'x-message-id': `C-${i}` } })),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { messageId: string }[];
    expect(responses.map((r) => r.status)).to.deep.equal(Array(100).fill(202));
    expect(new Set(bodies.map((b) => b.messageId)).size).to.equal(100);
    expect(ctx.inputs.map((i) => i.controlId).sort()).to.deep.equal(Array.from({ length: 100 }, (_, i) => `C-${i}`).sort());
    expect(ctx.inputs.every((i) => i.raw.toString() === `message ${i.controlId!.slice(2)}`)).to.equal(true);
    expect(ctx.answers).to.have.length(100);
  });

  it('closes connections beyond maxConnections at once, and serves again once one is free', async () => {
    const ctx = new RecordingContext();
    const { port, url } = await start(ctx, { maxConnections: 1 });
    const held = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => held.once('connect', resolve));
    await new Promise((r) => setTimeout(r, 50));
    const extra = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx']).catch(
      (e: NodeJS.ErrnoException) => e.code ?? 'error',
    );
    expect(extra === '' || extra === 'ECONNRESET').to.equal(true, `got ${extra}`);
    held.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(url, { method: 'POST', body: 'x', headers: { connection: 'close' } })).status).to.equal(202);
    expect(ctx.inputs).to.have.length(1);
  });

  it('on stop, answers the request in flight, then refuses new connections', async () => {
    const ctx = new RecordingContext();
    const g = gate();
    const entered = gate();
    ctx.hook = async () => {
      entered.open();
      await g.promise;
    };
    const { source, port, url } = await startHttp(ctx);
    const pending = fetch(url, { method: 'POST', body: 'in flight' });
    await entered.promise;
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).to.equal(false);
    g.open();
    const res = await pending;
    expect(res.status).to.equal(202);
    await stopping;
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('connect', () => resolve('connected'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).to.equal('ECONNREFUSED');
    expect(ctx.answers.map((a) => a.code)).to.deep.equal(['202']);
  });

  it('records that no answer reached a client that left while its message was being stored', async () => {
    const ctx = new RecordingContext();
    const g = gate();
    const entered = gate();
    ctx.hook = async () => {
      entered.open();
      await g.promise;
    };
    const { port } = await start(ctx);
    const client = net.connect({ host: '127.0.0.1', port }, () =>
      client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi'),
    );
    client.on('error', () => undefined);
    await entered.promise;
    client.destroy();
    await new Promise((r) => setTimeout(r, 50));
    g.open();
    while (ctx.answers.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['hi']);
    expect(ctx.answers).to.deep.equal([
      { messageId: 'm1', kind: 'http', code: 'none', detail: 'the client closed the connection before the 202 answer was sent' },
    ]);
  });

  it('serves HTTPS when tls is enabled, and refuses a missing certificate file at start', async function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      this.skip(); // the openssl command makes the test certificate
    }
    const tmp = tempDir('interlace-http-tls-');
    try {
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
          join(tmp.dir, 'key.pem'),
          '-out',
          join(tmp.dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const ctx = new RecordingContext();
      const { port } = await start(ctx, { tls: { enabled: true, cert: join(tmp.dir, 'cert.pem'), key: join(tmp.dir, 'key.pem') } });
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port, method: 'POST', path: '/', ca: readFileSync(join(tmp.dir, 'cert.pem')) },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('secure');
      });
      expect(status).to.equal(202);
      expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['secure']);
      const err = await startHttp(ctx, { tls: { enabled: true, cert: join(tmp.dir, 'missing.pem'), key: join(tmp.dir, 'key.pem') } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).code).to.equal('tls-file-unreadable');
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses to start on a port already taken', async () => {
    const ctx = new RecordingContext();
    const { port } = await start(ctx);
    const err = await startHttp(ctx, { port }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).code).to.equal('http-listen-failed');
    expect((err as Error).message).to.include('EADDRINUSE');
  });
});
