import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, waitFor } from './support.js';

const TOKEN = 'hot-reload-admin-token-0123456789';

describe('hot reload of one channel (POST /api/channels/:name/reload)', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let engine: Engine | undefined;
  let tmp: string;
  let dir: string;
  let pharmacy: MllpClient;

  const channel = (name: string, lines: string[]) => writeFileSync(join(dir, 'channels', `${name}.yaml`), [...lines, ''].join('\n'));
  const lab = (route: string) =>
    channel('lab', [
      'name: lab',
      'source: { type: mllp, port: 0 }',
      'parse: { format: hl7v2 }',
      'routes:',
      '  - name: results',
      `    destination: { type: http, url: "${sink.url}/${route}" }`,
    ]);
  const reload = async (name: string, token = TOKEN) => {
    const res = await fetch(`http://127.0.0.1:${engine!.adminAddress()!.port}/api/channels/${name}/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** Sends one message to a channel and returns the path the sink received it on. */
  const through = async (client: MllpClient, id: string) => {
    const before = sink.requests.length;
    expect((await client.send(dft(id, 1))).toString('latin1')).to.match(new RegExp(`MSA\\|AA\\|${id}`));
    const all = await sink.waitForRequests(before + 1, 60_000);
    return all.find((r) => r.body.includes(id))?.path ?? all[all.length - 1]!.path;
  };
  const labClient = () => new MllpClient({ host: '127.0.0.1', port: engine!.channels.get('lab')!.address()!.port, timeout: 10_000 });

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    sink.setDefault({ status: 200, body: '{"ok":true}' });
    tmp = mkdtempSync(join(tmpdir(), 'interlace-reload-'));
    dir = join(tmp, 'config');
    mkdirSync(join(dir, 'channels'), { recursive: true });
    writeFileSync(
      join(dir, 'engine.yaml'),
      [
        'engine:',
        '  id: reload',
        `  dataDir: ${join(tmp, 'var')}`,
        'redis:',
        `  url: ${redis.url}`,
        `  prefix: ${uniquePrefix()}`,
        '  supervise: never',
        'admin:',
        '  port: 0',
        `  token: ${TOKEN}`,
        '',
      ].join('\n'),
    );
    lab('lab-v1');
    channel('pharmacy', [
      'name: pharmacy',
      'source: { type: mllp, port: 0 }',
      'parse: { format: hl7v2 }',
      'routes:',
      '  - name: orders',
      `    destination: { type: http, url: "${sink.url}/pharmacy" }`,
    ]);
    engine = await Engine.start({ configDir: dir, env: { PATH: process.env.PATH ?? '' }, log: silentLogger });
    expect(engine.refused).to.deep.equal([]);
    pharmacy = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('pharmacy')!.address()!.port, timeout: 10_000 });
  });
  after(async () => {
    await pharmacy?.close();
    await engine?.stop();
    await sink?.close();
    rmSync(tmp, { recursive: true, force: true });
    await redis?.stop();
  });

  it('refuses an invalid change with file:line:column, and the running version goes on', async () => {
    const c = labClient();
    expect(await through(c, 'LAB-1')).to.equal('/lab-v1');
    expect(await through(pharmacy, 'RX-1')).to.equal('/pharmacy');
    const broken = (extra: string[]) =>
      channel('lab', [
        'name: lab',
        'source: { type: mllp, port: 0 }',
        'parse: { format: hl7v2 }',
        'routes:',
        '  - name: results',
        ...extra,
      ]);
    // a key the schema does not know
    broken([`    destination: { type: http, url: "${sink.url}/lab-broken", retries: 3 }`]);
    let r = await reload('lab');
    expect(r.status).to.equal(400);
    expect(r.body.error.code).to.equal('reload-refused');
    expect(r.body.error.message).to.match(/lab\.yaml has 1 problem; the running version of channel lab stays$/);
    expect(r.body.diagnostics).to.have.length(1);
    expect(r.body.diagnostics[0]).to.match(/lab\.yaml:6:\d+ unknown-key: "retries" is not a field of routes\[0\]\.destination/);
    // an expression that does not compile: found as start would find it
    broken(['    when: "message.MSH.9 = "', `    destination: { type: http, url: "${sink.url}/lab-broken" }`]);
    r = await reload('lab');
    expect(r.status).to.equal(400);
    expect(r.body.diagnostics).to.have.length(1);
    expect(r.body.diagnostics[0]).to.match(/lab\.yaml:6:\d+ /);
    expect(await through(c, 'LAB-2')).to.equal('/lab-v1'); // same connection, same version
    await c.close();
  });

  it('applies a valid change to that channel alone: the other keeps its connection', async () => {
    lab('lab-v2');
    const r = await reload('lab');
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.detail).to.match(/^channel lab reloaded from /);
    const c = labClient();
    expect(await through(c, 'LAB-3')).to.equal('/lab-v2');
    await c.close();
    // the pharmacy connection opened before the reload is the one that answers (not a new one)
    const socket = (pharmacy as unknown as { socket: unknown }).socket;
    expect(socket).to.not.equal(undefined);
    expect(await through(pharmacy, 'RX-2')).to.equal('/pharmacy');
    expect((pharmacy as unknown as { socket: unknown }).socket).to.equal(socket);
    expect((await reload('lab')).body.detail).to.equal('channel lab is unchanged');
  });

  it('is for admins only, names an unknown channel, and is audited', async () => {
    const res = await fetch(`http://127.0.0.1:${engine!.adminAddress()!.port}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ops', role: 'operator', channels: ['*'] }),
    });
    const operator = ((await res.json()) as { token: string }).token;
    expect((await reload('lab', operator)).status).to.equal(403);
    expect((await reload('nope')).body.error.code).to.equal('channel-not-found');
    const audit = await fetch(`http://127.0.0.1:${engine!.adminAddress()!.port}/api/audit?action=channel.reload`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const outcomes = ((await audit.json()) as { entries: Array<{ outcome: number; target: string }> }).entries.map(
      (e) => `${e.target} ${e.outcome}`,
    );
    expect(outcomes).to.include.members(['lab 400', 'lab 200', 'lab 403', 'nope 404']);
  });
});

describe('reload of a channel when its file changes (engine.watchChannels)', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let engine: Engine | undefined;
  let tmp: string;
  let dir: string;

  const lab = (lines: string[]) => writeFileSync(join(dir, 'channels', 'lab.yaml'), [...lines, ''].join('\n'));
  const labFile = (route: string, extra = '') =>
    lab([
      'name: lab',
      'source: { type: mllp, port: 0 }',
      'parse: { format: hl7v2 }',
      'routes:',
      '  - name: results',
      `    destination: { type: http, url: "${sink.url}/${route}"${extra} }`,
    ]);
  const audits = async () => (await engine!.store.listAudit({ actor: 'file-watch' })).map((e) => `${e.outcome} ${e.detail}`);
  const through = async (id: string) => {
    const c = new MllpClient({ host: '127.0.0.1', port: engine!.channels.get('lab')!.address()!.port, timeout: 10_000 });
    const before = sink.requests.length;
    expect((await c.send(dft(id, 1))).toString('latin1')).to.match(new RegExp(`MSA\\|AA\\|${id}`));
    await c.close();
    const all = await sink.waitForRequests(before + 1, 60_000);
    return all.find((r) => r.body.includes(id))?.path;
  };

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    sink.setDefault({ status: 200, body: '{"ok":true}' });
    tmp = mkdtempSync(join(tmpdir(), 'interlace-watch-'));
    dir = join(tmp, 'config');
    mkdirSync(join(dir, 'channels'), { recursive: true });
    writeFileSync(
      join(dir, 'engine.yaml'),
      [
        'engine:',
        '  id: watch',
        `  dataDir: ${join(tmp, 'var')}`,
        '  watchChannels: true',
        'redis:',
        `  url: ${redis.url}`,
        `  prefix: ${uniquePrefix()}`,
        '  supervise: never',
        '',
      ].join('\n'),
    );
    labFile('lab-v1');
    engine = await Engine.start({ configDir: dir, env: { PATH: process.env.PATH ?? '' }, log: silentLogger });
    expect(engine.refused).to.deep.equal([]);
  });
  after(async () => {
    await engine?.stop();
    await sink?.close();
    rmSync(tmp, { recursive: true, force: true });
    await redis?.stop();
  });

  it('applies a valid change, refuses an invalid one with its diagnostics in the audit log, and keeps the running version', async () => {
    expect(await through('W-1')).to.equal('/lab-v1');
    labFile('lab-v2');
    await waitFor('the changed file to be applied', async () => (await audits()).some((a) => a.startsWith('200 ')) || undefined, 30_000);
    expect(await through('W-2')).to.equal('/lab-v2');

    labFile('lab-broken', ', retries: 3');
    await waitFor('the broken file to be refused', async () => (await audits()).find((a) => a.startsWith('400 ')), 30_000);
    const refused = (await audits()).find((a) => a.startsWith('400 '))!;
    expect(refused).to.match(/lab\.yaml has 1 problem; the running version of channel lab stays\n.*lab\.yaml:6:\d+ unknown-key: "retries"/);
    expect(await through('W-3')).to.equal('/lab-v2');
  });
});
