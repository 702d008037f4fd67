import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { freePort } from '../../../lib/net.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { dropSchemas, freshSchema } from '../../support/postgres.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, onHandRouter, startEngine, testConfigDir, waitFor, waitForPort } from './support.js';

const TOKEN = 'control-admin-token-0123456789';
const CHANNEL = 'or-implant-charges';

type Proc = { name: string; child: ChildProcess; mllp: number; admin: number; env: Record<string, string>; log: string };

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

/**
 * An operator's stop and start reach every engine process sharing the store: two real engine
 * processes on one PostgreSQL store and one Redis; a stop sent to one closes the channel's port on
 * both, survives a restart of the other, and a start sent to the other opens both again.
 */
describe('stopping a channel with several engine processes', function () {
  this.timeout(300_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let cfg: ReturnType<typeof testConfigDir>;
  const procs: Proc[] = [];

  const launch = (p: Proc) => {
    p.child = startEngine(cfg.dir, p.env);
    p.child.stderr?.on('data', (d: Buffer) => (p.log = (p.log + d.toString()).slice(-3000)));
  };
  const stopProc = async (p: Proc) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGTERM');
    await once(p.child, 'exit');
  };
  const api = async (p: Proc, method: string, path: string) => {
    const res = await fetch(`http://127.0.0.1:${p.admin}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const stateAt = async (p: Proc) =>
    ((await api(p, 'GET', '/api/channels')).body.channels as Array<Record<string, any>>).find((c) => c.name === CHANNEL)!;
  const adminUp = (p: Proc) =>
    waitFor(
      `engine ${p.name}'s admin API`,
      async () => (await fetch(`http://127.0.0.1:${p.admin}/healthz`).catch(() => undefined))?.status === 200 || undefined,
      120_000,
    );

  before(async () => {
    const store = await freshSchema();
    redis = await getRedis();
    sink = await startHttpSink();
    sink.route(onHandRouter(), { record: false });
    sink.setDefault({ status: 201, body: 'ok' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    const engineYaml = join(cfg.dir, 'engine.yaml');
    writeFileSync(engineYaml, readFileSync(engineYaml, 'utf8').replace('  id: e2e', '  id: ${ENGINE_ID}'));
    // the ERP usage post may take a minute here: a test holds one open while the other process restarts
    const channel = join(cfg.dir, 'channels', `${CHANNEL}.yaml`);
    const usage = '/inventory/usage\n      method: POST\n      timeout: 10s';
    const text = readFileSync(channel, 'utf8');
    expect(text, 'the ERP usage route of the shipped channel').to.include(usage);
    writeFileSync(channel, text.replace(usage, usage.replace('10s', '60s')));
    for (const name of ['a', 'b']) {
      const [mllp, admin, fhir] = [await freePort(), await freePort(), await freePort()];
      const env = {
        ENGINE_ID: `engine-${name}`,
        INTERLACE_STORE: store,
        MLLP_PORT: String(mllp),
        ADMIN_PORT: String(admin),
        USAGE_FHIR_PORT: String(fhir),
        ERP_URL: sink.url,
        FHIR_URL: 'http://127.0.0.1:9/fhir',
      };
      const p: Proc = { name, child: undefined as unknown as ChildProcess, mllp, admin, env, log: '' };
      launch(p);
      procs.push(p);
    }
    for (const p of procs)
      await waitForPort(p.mllp, 120_000).catch((err: Error) => {
        throw new Error(`${err.message}; engine ${p.name} exit ${p.child.exitCode}, its log ends:\n${p.log}`);
      });
  });

  after(async () => {
    for (const p of procs) await stopProc(p).catch(() => undefined);
    await sink?.close();
    await redis?.stop();
    cfg?.cleanup();
    await dropSchemas();
  });

  it('a stop sent to one process closes the channel on the other, lasts across its restart, and a start sent there opens both', async () => {
    const [a, b] = procs as [Proc, Proc];
    const stopped = await api(a, 'POST', `/api/channels/${CHANNEL}/stop`);
    expect(stopped.status).to.equal(200);
    expect(await accepts(a.mllp)).to.equal(false);
    await waitFor(`engine b to close port ${b.mllp}`, async () => !(await accepts(b.mllp)) || undefined, 30_000);
    const atB = await stateAt(b);
    expect(atB.state).to.equal('stopped');
    expect(atB.stopped.by).to.equal('engine-admin-token');

    // b restarts: the channel stays stopped there, its port never opens
    await stopProc(b);
    launch(b);
    await adminUp(b);
    expect((await stateAt(b)).state).to.equal('stopped');
    expect(await accepts(b.mllp)).to.equal(false);

    const started = await api(b, 'POST', `/api/channels/${CHANNEL}/start`);
    expect(started.status, JSON.stringify(started.body)).to.equal(200);
    await waitForPort(b.mllp, 30_000);
    await waitForPort(a.mllp, 30_000);
    expect((await stateAt(a)).state).to.equal('running');
    const client = new MllpClient({ host: '127.0.0.1', port: a.mllp, timeout: 15_000 });
    expect((await client.send(dft('SHARED-1', 1))).toString('latin1')).to.match(/MSA\|AA\|SHARED-1/);
    await client.close();
  });

  it("leaves a delivery another process is still sending to it: a restarted process's recovery sweep does not send it again", async () => {
    const [a, b] = procs as [Proc, Proc];
    const posts = () => sink.requests.filter((r) => r.method === 'POST' && r.body.includes('"reference":"SHARED-HOLD"'));
    // the ERP takes 40 s to answer the first post of this usage, at once any other
    let first = true;
    sink.route((req) =>
      req.body.includes('"reference":"SHARED-HOLD"') && first ? ((first = false), { status: 201, delayMs: 40_000 }) : undefined,
    );
    const client = new MllpClient({ host: '127.0.0.1', port: a.mllp, timeout: 15_000 });
    expect((await client.send(dft('SHARED-HOLD', 1))).toString('latin1')).to.match(/MSA\|AA\|SHARED-HOLD/);
    await client.close();
    await waitFor('engine a to post the usage to the ERP', () => posts().length > 0 || undefined, 60_000);

    // b starts while a's attempt is open: its start-up sweep finds the delivery pending in the store
    await stopProc(b);
    launch(b);
    await adminUp(b);
    await new Promise((r) => setTimeout(r, 3_000)); // time for b's route worker to send, had it enqueued the delivery
    expect(sink.inFlight(), "a's post still unanswered once b had swept (else this test proves nothing)").to.equal(1);
    expect(posts(), 'posts of the usage while the first is unanswered').to.have.length(1);

    await waitFor("the ERP's answer to a's post", () => sink.inFlight() === 0 || undefined, 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(posts(), 'posts of the usage').to.have.length(1);
  });
});
