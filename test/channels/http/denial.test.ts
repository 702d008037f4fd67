import { expect } from 'chai';
import net from 'node:net';
import type { HttpSource } from '../../../channels/http/source.js';
import { LISTENER_DEFAULTS } from '../../../lib/listener-guard.js';
import { sleep, until } from '../../support/until.js';
import { RecordingContext } from '../file/support.js';
import { rawExchange, startHttp } from './support.js';

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

  it('bounds the bytes of bodies held across all connections: beyond maxBufferedBytes 503 with Retry-After, the others complete', async () => {
    const ctx = new RecordingContext();
    const started = await startHttp(ctx, { maxBodyBytes: '1MiB', maxBufferedBytes: '2MiB', retryAfter: '7s' });
    source = started.source as HttpSource;
    const limit = 2 * 1024 * 1024;
    const size = 1024 * 1024;
    // six clients from six addresses (the per-address limit is not what is tested) each send most of a 1 MiB body and wait
    const clients = Array.from({ length: 6 }, (_, i) => {
      const s = net.connect({ host: '127.0.0.1', port: started.port, localAddress: `127.0.0.${10 + i}` });
      sockets.push(s);
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      s.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      return { s, answer: () => Buffer.concat(got).toString('latin1'), closed };
    });
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, source?.bufferedBytes() ?? 0)), 5);
    try {
      for (const c of clients) {
        await new Promise((resolve) => (c.s.connecting ? c.s.once('connect', resolve) : resolve(undefined)));
        c.s.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
        c.s.write(Buffer.alloc(700 * 1024, 0x61));
      }
      // at most two bodies of 700 KiB fit in 2 MiB with a third declared: the others are refused, before or while reading
      await until(
        'the listener to refuse the bodies that do not fit',
        () => clients.filter((c) => /^HTTP\/1\.1 503/.test(c.answer())).length >= 4,
      );
      const refused = clients.filter((c) => /^HTTP\/1\.1 503/.test(c.answer()));
      for (const c of refused) {
        expect(c.answer()).to.match(/\r\nretry-after: 7\r\n/i);
        expect(c.answer()).to.match(/\r\nconnection: close\r\n/i);
        expect(c.answer()).to.include('http-busy');
      }
      expect(source.bufferedBytes(), 'bytes held for the bodies still arriving').to.be.at.most(limit);
      const held = clients.filter((c) => c.answer() === '');
      expect(held.length, 'bodies still being read').to.be.within(1, 2);
      // the ones held complete and are stored; the refused connections are closed
      for (const c of held) c.s.write(Buffer.alloc(size - 700 * 1024, 0x62));
      await until('the held bodies to be answered', () => held.every((c) => /^HTTP\/1\.1 202/.test(c.answer())));
      await Promise.all(refused.map((c) => Promise.race([c.closed, sleep(10_000)])));
      expect(
        refused.every((c) => c.s.destroyed),
        'a refused connection was left open',
      ).to.equal(true);
      expect(ctx.inputs.map((i) => i.raw.length)).to.deep.equal(held.map(() => size));
      await until('the budget to be released once the answers are sent', () => source!.bufferedBytes() === 0);
      // and a full-size body is accepted again
      const again = await fetch(`${started.url}/`, { method: 'POST', body: new Uint8Array(size) });
      expect(again.status).to.equal(202);
      expect(peak, 'peak bytes held').to.be.at.most(limit);
    } finally {
      clearInterval(watch);
    }
  });

  it('refuses a chunked body (no Content-Length) that passes maxBufferedBytes while it arrives', async () => {
    const ctx = new RecordingContext();
    const started = await startHttp(ctx, { maxBodyBytes: '1MiB', maxBufferedBytes: '1MiB' });
    source = started.source as HttpSource;
    const first = net.connect({ host: '127.0.0.1', port: started.port });
    sockets.push(first);
    first.on('error', () => undefined);
    await new Promise((resolve) => first.once('connect', resolve));
    first.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${900 * 1024}\r\n\r\n`);
    first.write(Buffer.alloc(800 * 1024, 0x61));
    await until('the first body to be held', () => source!.bufferedBytes() >= 800 * 1024);
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const chunked = [`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`];
    for (let i = 0; i < 6; i++) chunked.push(`${chunk.length.toString(16)}\r\n`, chunk.toString('latin1'), '\r\n');
    chunked.push('0\r\n\r\n');
    const answer = await rawExchange(started.port, chunked);
    expect(answer).to.match(/^HTTP\/1\.1 503/);
    expect(answer).to.match(/\r\nretry-after: \d+\r\n/i);
    expect(ctx.inputs, 'nothing of the refused body was stored').to.have.length(0);
    expect(source.bufferedBytes()).to.be.at.most(1024 * 1024);
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
