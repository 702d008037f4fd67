import { expect } from 'chai';
import { connect } from 'node:net';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, onHandRouter, testConfigDir, waitFor } from './support.js';

const TOKEN = 'channel-control-admin-token-0123';
const CHANNEL = 'or-implant-charges';

/** Whether a TCP connection to the port is accepted (true) or refused (false). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('stopping and starting a channel (operator)', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let cfg: ReturnType<typeof testConfigDir>;
  let base: string;
  const tokens: Record<string, string> = {};

  const call = async (path: string, role: string, method = 'POST') => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${tokens[role] ?? TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const channel = async () => ((await call('/api/channels', 'operator', 'GET')).body.channels as any[]).find((c) => c.name === CHANNEL);
  const port = () => engine.channels.get(CHANNEL)!.address()!.port;

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    sink.route(onHandRouter(), { record: false });
    billing = await startFhirServer();
    sink.setDefault({ status: 201, body: '{"posted":true}' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: sink.url, FHIR_URL: billing.baseUrl, INTERLACE_DATA: cfg.dataDir },
      log: silentLogger,
    });
    base = `http://127.0.0.1:${engine.adminAddress()!.port}`;
    for (const role of ['viewer', 'analyst', 'operator']) {
      const res = await fetch(`${base}/api/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `${role}-service`, role, channels: ['*'] }),
      });
      tokens[role] = ((await res.json()) as { token: string }).token;
    }
  });
  after(async () => {
    await engine?.stop();
    await sink?.close();
    await billing?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('refuses viewers and analysts, and names an unknown channel', async () => {
    for (const role of ['viewer', 'analyst']) {
      const r = await call(`/api/channels/${CHANNEL}/stop`, role);
      expect(r.status, role).to.equal(403);
      expect(r.body.error.message).to.include('control');
    }
    const r = await call('/api/channels/no-such-channel/stop', 'operator');
    expect(r.status).to.equal(404);
    expect(r.body.error.code).to.equal('channel-not-found');
    expect((await channel()).state).to.equal('running');
  });

  it('stop closes the listener and holds queued work; start reopens it and the work is delivered', async () => {
    const first = new MllpClient({ host: '127.0.0.1', port: port(), timeout: 15_000 });
    expect((await first.send(dft('CTL-0001', 1, 'ACCT-CTL'))).toString('latin1')).to.match(/MSA\|AA\|CTL-0001/);
    await first.close();
    // every route of the first message done, so nothing else reaches the sink while the channel is stopped
    await waitFor(
      'CTL-0001 to be delivered on every route',
      async () => (await engine.store.listMessages({ controlId: 'CTL-0001' }))[0]?.status === 'delivered' || undefined,
      60_000,
    );
    const before = sink.requests.length;
    const oldPort = port();
    const fhirPort = engine.inputs.get(CHANNEL)![0]!.address()!.port;
    expect(await accepts(fhirPort)).to.equal(true);

    const stopped = await call(`/api/channels/${CHANNEL}/stop`, 'operator');
    expect(stopped.status).to.equal(200);
    expect(stopped.body.state).to.equal('stopped');
    expect(await accepts(oldPort)).to.equal(false);
    // its FHIR input stops with it
    expect(await accepts(fhirPort)).to.equal(false);
    const shown = await channel();
    expect(shown.state).to.equal('stopped');
    expect(shown.stopped.by).to.equal('operator-service');
    // stopping twice is not an error
    expect((await call(`/api/channels/${CHANNEL}/stop`, 'operator')).body.state).to.equal('stopped');

    // a message stored just before the stop (as a listener does): it waits, neither processed nor delivered
    const waiting = await engine.store.ingest(CHANNEL, { raw: dft('CTL-0002', 1, 'ACCT-CTL'), controlId: 'CTL-0002' }, 0);
    await new Promise((r) => setTimeout(r, 4000));
    expect((await engine.store.getRaw(waiting.messageId))?.status).to.equal('received');
    expect(sink.requests.length).to.equal(before);

    const started = await call(`/api/channels/${CHANNEL}/start`, 'operator');
    expect(started.status).to.equal(200);
    expect(started.body.state).to.equal('running');
    expect((await channel()).state).to.equal('running');
    await waitFor(
      'the held message to be delivered',
      async () => (await engine.store.getRaw(waiting.messageId))?.status === 'delivered' || undefined,
      60_000,
    );

    // the FHIR input listens again too
    expect(await accepts(engine.inputs.get(CHANNEL)![0]!.address()!.port)).to.equal(true);
    // the listener answers again (port 0 in this test: it bound a new one)
    const again = new MllpClient({ host: '127.0.0.1', port: port(), timeout: 15_000 });
    expect((await again.send(dft('CTL-0003', 1, 'ACCT-CTL'))).toString('latin1')).to.match(/MSA\|AA\|CTL-0003/);
    await again.close();
  });

  it('writes each stop and start to the audit log with who did it', async () => {
    const r = await call('/api/audit?limit=100', 'admin', 'GET');
    const entries = (r.body.entries as any[]).filter((e) => e.action.startsWith('channel.'));
    const actions = entries.map((e) => `${e.action} ${e.actor} ${e.target} ${e.outcome}`);
    expect(actions).to.include(`channel.stop operator-service ${CHANNEL} 200`);
    expect(actions).to.include(`channel.start operator-service ${CHANNEL} 200`);
    expect(actions).to.include(`channel.stop viewer-service ${CHANNEL} 403`);
  });
});
