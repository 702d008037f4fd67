import { expect } from 'chai';
import net from 'node:net';
import type { HttpSource } from '../../../channels/http/source.js';
import { LISTENER_DEFAULTS } from '../../../lib/listener-guard.js';
import { sleep, until } from '../../support/until.js';
import { RecordingContext } from '../file/support.js';
import { startHttp } from './support.js';

/** Probes from the hardening review, on the HTTP listener (the AS2 listener shares lib/listener-guard.ts). */
describe('http source: denial of service by one peer', () => {
  let source: HttpSource | undefined;
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await source?.stop();
    source = undefined;
  });

  it('stops reading a client that pipelines requests and never reads the answers; what it holds stays bounded', async () => {
    const ctx = new RecordingContext();
    const started = await startHttp(ctx, { drainTimeout: '100ms' });
    source = started.source as HttpSource;
    const client = net.connect({ host: '127.0.0.1', port: started.port });
    sockets.push(client);
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    client.pause();
    const body = 'x'.repeat(300);
    const one = `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const batch = one.repeat(200);
    await until('the listener to stop reading the connection', () => {
      if (source!.connectionStats()[0]?.paused) return true;
      if (client.writableLength < 1024 * 1024) client.write(batch);
      return false;
    });
    const atPause = ctx.inputs.length;
    await sleep(500);
    const stats = source.connectionStats()[0]!;
    expect(stats.paused, 'reading resumed although the client reads nothing').to.equal(true);
    expect(ctx.inputs.length - atPause, 'requests kept being taken while paused').to.be.at.most(LISTENER_DEFAULTS.maxPendingAnswers + 400);
    expect(stats.unsentBytes).to.be.below(LISTENER_DEFAULTS.maxUnsentBytes + 512 * 1024);
  });

  it('limits connections per peer address', async () => {
    const ctx = new RecordingContext();
    const started = await startHttp(ctx, { maxConnectionsPerAddress: 2 });
    source = started.source as HttpSource;
    const open = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port: started.port, localAddress: '127.0.0.3' }, () => resolve(s));
            s.on('error', () => undefined);
          }),
      ),
    );
    sockets.push(...open);
    const closedOnes = await Promise.all(
      open.map((s) => Promise.race([new Promise((r) => s.once('close', () => r(true))), sleep(2000).then(() => false)])),
    );
    expect(closedOnes.filter(Boolean)).to.have.length(2);
    expect((await fetch(`${started.url}/`, { method: 'POST', body: 'from elsewhere' })).status).to.equal(202);
  });

  it('answers 408 and closes a slowloris client that never finishes its headers', async () => {
    const ctx = new RecordingContext();
    const started = await startHttp(ctx, { headersTimeout: '300ms', requestTimeout: '1s' });
    source = started.source as HttpSource;
    const s = net.connect({ host: '127.0.0.1', port: started.port });
    sockets.push(s);
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => undefined);
    await new Promise((resolve) => s.once('connect', resolve));
    s.write('POST / HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => s.writable && s.write('X-Slow: a\r\n'), 100);
    await Promise.race([new Promise((r) => s.once('close', r)), sleep(30_000)]);
    clearInterval(timer);
    expect(s.destroyed, 'a slow header writer held the connection for 30 s').to.equal(true);
    expect(Buffer.concat(got).toString()).to.match(/^HTTP\/1\.1 408/);
  });
});
