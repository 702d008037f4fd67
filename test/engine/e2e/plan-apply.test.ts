import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { main } from '../../../engine/cli/main.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft } from './support.js';

const TOKEN = 'plan-apply-admin-token-0123456789';

/** Runs the CLI in this process; what it printed on stdout and stderr, and its exit code. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error, warn } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  console.warn = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    Object.assign(console, { log, error, warn });
  }
}

describe('interlace plan and apply against a running engine', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let engine: Engine | undefined;
  let tmp: string;
  let dir: string;
  let admin: string;
  const savedSinkUrl = process.env.SINK_URL;

  const lab = (site: string, path: string) =>
    [
      'name: lab',
      'source: { type: mllp, port: 0 }',
      'parse: { format: hl7v2 }',
      'transforms:',
      `  - map: { site: "'${site}'" }`,
      'routes:',
      '  - name: results',
      `    body: { json: "{ 'site': vars.site }" }`,
      `    destination: { type: http, url: "\${SINK_URL}/${path}" }`,
      '',
    ].join('\n');
  const other = (name: string) =>
    [
      `name: ${name}`,
      'source: { type: mllp, port: 0 }',
      'parse: { format: hl7v2 }',
      'routes:',
      '  - name: out',
      `    destination: { type: http, url: "\${SINK_URL}/${name}" }`,
      '',
    ].join('\n');
  /** A copy of the running engine's config directory, to change. */
  const copy = (name: string) => {
    const to = join(tmp, name);
    cpSync(dir, to, { recursive: true });
    return to;
  };
  const plan = (configDir: string, ...more: string[]) => cli('plan', '--config', configDir, '--engine', admin, '--token', TOKEN, ...more);
  /** Sends one message to channel lab; the request the sink received for it. */
  const throughLab = async (id: string) => {
    const client = new MllpClient({ host: '127.0.0.1', port: engine!.channels.get('lab')!.address()!.port, timeout: 10_000 });
    try {
      const before = sink.requests.length;
      expect((await client.send(dft(id, 1))).toString('latin1')).to.match(new RegExp(`MSA\\|AA\\|${id}`));
      const all = await sink.waitForRequests(before + 1, 60_000);
      return all[all.length - 1]!;
    } finally {
      await client.close();
    }
  };

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    sink.setDefault({ status: 200, body: '{"ok":true}' });
    process.env.SINK_URL = sink.url; // the CLI validates a directory in its own environment, as `validate` does
    tmp = mkdtempSync(join(tmpdir(), 'interlace-plan-'));
    dir = join(tmp, 'config');
    mkdirSync(join(dir, 'channels'), { recursive: true });
    mkdirSync(join(dir, 'tables'), { recursive: true });
    writeFileSync(
      join(dir, 'engine.yaml'),
      [
        'engine:',
        '  id: plan',
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
    writeFileSync(join(dir, 'channels', 'lab.yaml'), lab('main-v1', 'lab'));
    writeFileSync(join(dir, 'channels', 'pharmacy.yaml'), other('pharmacy'));
    writeFileSync(join(dir, 'tables', 'codes.csv'), 'code,name\nA,Alpha\nB,Beta\n');
    engine = await Engine.start({ configDir: dir, env: { PATH: process.env.PATH ?? '', SINK_URL: sink.url }, log: silentLogger });
    expect(engine.refused).to.deep.equal([]);
    admin = `http://127.0.0.1:${engine.adminAddress()!.port}`;
  });
  after(async () => {
    if (savedSinkUrl === undefined) delete process.env.SINK_URL;
    else process.env.SINK_URL = savedSinkUrl;
    await engine?.stop();
    await sink?.close();
    rmSync(tmp, { recursive: true, force: true });
    await redis?.stop();
  });

  it('finds no change against the directory the engine runs (exit 0)', async () => {
    const r = await plan(dir);
    expect(r.err).to.equal('');
    expect(r.out).to.equal('No changes: the running configuration matches the directory.');
    expect(r.code).to.equal(0);
  });

  it('shows a changed field, an added and a removed channel and a changed table (exit 2), and apply applies none of it', async () => {
    const proposed = copy('proposed');
    writeFileSync(join(proposed, 'channels', 'lab.yaml'), lab('main-v2', 'lab-v2'));
    writeFileSync(join(proposed, 'channels', 'radiology.yaml'), other('radiology'));
    rmSync(join(proposed, 'channels', 'pharmacy.yaml'));
    writeFileSync(join(proposed, 'tables', 'codes.csv'), 'code,name\nA,Alpha (new name)\nC,Gamma\n');
    const r = await plan(proposed);
    expect(r.err).to.equal('');
    expect(r.code).to.equal(2);
    const lines = r.out.split('\n');
    expect(lines).to.include('~ channel lab (channels/lab.yaml)');
    expect(lines).to.include(`    ~ transforms[0].map.site: "'main-v1'" → "'main-v2'"`);
    // interpolations as written, never resolved
    expect(lines).to.include('    ~ routes[results].destination.url: "${SINK_URL}/lab" → "${SINK_URL}/lab-v2"');
    expect(r.out).to.not.include(sink.url);
    expect(lines).to.include('+ channel radiology (channels/radiology.yaml) (needs a restart)');
    expect(lines).to.include('- channel pharmacy (channels/pharmacy.yaml) (needs a restart)');
    expect(lines).to.include('~ table codes (tables/codes.csv): 1 rows added, 1 removed, 1 changed');
    expect(r.out).to.match(/Plan: 1 channels to add, 1 to change, 1 to remove; 1 tables, 0 partners changed\./);
    expect(r.out).to.match(/A restart is needed to apply it all: channel radiology is added .*; channel pharmacy is removed\./);

    const json = await plan(proposed, '--json');
    expect(json.code).to.equal(2);
    const p = JSON.parse(json.out);
    expect(p.channels.added).to.deep.equal([{ name: 'radiology', file: 'channels/radiology.yaml' }]);
    expect(p.channels.removed).to.deep.equal([{ name: 'pharmacy', file: 'channels/pharmacy.yaml' }]);
    expect(p.channels.changed[0].changes).to.deep.include({
      path: 'transforms[0].map.site',
      kind: 'changed',
      before: "'main-v1'",
      after: "'main-v2'",
    });
    expect(p.tables.changed).to.deep.equal([{ name: 'codes', file: 'tables/codes.csv', rowsAdded: 1, rowsRemoved: 1, rowsChanged: 1 }]);

    const a = await cli('apply', '--config', proposed, '--engine', admin, '--token', TOKEN, '--yes');
    expect(a.code).to.equal(1);
    expect(a.err).to.match(/^interlace apply: nothing applied: this plan needs a restart of the engine \(channel radiology is added/);
    const sent = await throughLab('PLAN-1');
    expect(sent.path).to.equal('/lab');
    expect(JSON.parse(sent.body)).to.deep.equal({ site: 'main-v1' });
  });

  it('shows an engine.yaml change as needing a restart, never the admin token written in it', async () => {
    const proposed = copy('engine-change');
    const file = join(proposed, 'engine.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('id: plan', 'id: plan-2').replace(TOKEN, 'another-admin-token-0123456789'));
    const r = await plan(proposed);
    expect(r.code).to.equal(2);
    expect(r.out.split('\n')).to.include.members([
      '~ engine.yaml (needs a restart)',
      '    ~ engine.id: "plan" → "plan-2"',
      '    ~ admin.token: "(secret written inline, not shown)" → "(secret written inline, not shown)"',
    ]);
    expect(r.out).to.not.include(TOKEN);
    expect(r.out).to.not.include('another-admin-token');
    const a = await cli('apply', '--config', proposed, '--engine', admin, '--token', TOKEN, '--yes');
    expect(a.code).to.equal(1);
    expect(a.err).to.match(/nothing applied: this plan needs a restart of the engine \(engine\.yaml changed \(it is read at start\)\)/);
  });

  it('refuses an invalid proposal with its file:line:column diagnostics', async () => {
    const proposed = copy('invalid');
    writeFileSync(
      join(proposed, 'channels', 'lab.yaml'),
      lab('main-v1', 'lab').replace('parse: { format: hl7v2 }', 'parse: { format: hl7v2, strictness: 3 }'),
    );
    const r = await plan(proposed);
    expect(r.code).to.equal(1);
    expect(r.out).to.equal('');
    expect(r.err).to.match(/^interlace plan: .*invalid is not a valid configuration \(1 problem\); nothing was compared\n/);
    expect(r.err).to.match(/channels\/lab\.yaml:3:\d+ unknown-key: "strictness"/);
  });

  it('applies a changed channel through the reload API: the next message goes out with the new mapping', async () => {
    writeFileSync(join(dir, 'channels', 'lab.yaml'), lab('main-v2', 'lab-v2'));
    if (!process.stdin.isTTY) {
      const asked = await cli('apply', '--config', dir, '--engine', admin, '--token', TOKEN);
      expect(asked.code).to.equal(1);
      expect(asked.err).to.match(/nothing applied: pass --yes/);
    }
    const a = await cli('apply', '--config', dir, '--engine', admin, '--token', TOKEN, '--yes');
    expect(a.err).to.equal('');
    expect(a.code).to.equal(0);
    expect(a.out).to.include('channel lab: channel lab reloaded from ');
    expect(a.out).to.match(/Applied: 1 channel reloaded\.$/);
    const sent = await throughLab('PLAN-2');
    expect(sent.path).to.equal('/lab-v2');
    expect(JSON.parse(sent.body)).to.deep.equal({ site: 'main-v2' });
    expect((await plan(dir)).code).to.equal(0);
    // audited as the reload it is, by the token that applied it
    const audit = await engine!.store.listAudit({ action: 'channel.reload' });
    expect(audit.map((e) => [e.target, e.outcome])).to.deep.equal([['lab', 200]]);
  });

  it('needs an admin: a viewer token is refused the running configuration', async () => {
    const created = await fetch(`${admin}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dashboard', role: 'viewer', channels: ['*'] }),
    });
    expect(created.status, await created.clone().text()).to.equal(201);
    const viewer = ((await created.json()) as { token: string }).token;
    const r = await cli('plan', '--config', dir, '--engine', admin, '--token', viewer);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(
      'interlace plan: the engine did not give its configuration: HTTP 403 forbidden: the viewer role may not do this (it needs the admin permission)',
    );
  });

  it('answers a missing directory, an unreachable engine and a bad token in one sentence', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const cases = [
      [
        ['plan', '--config', join(tmp, 'nothing-here'), '--engine', admin, '--token', TOKEN],
        /is not a directory; expected a config directory/,
      ],
      [
        ['plan', '--config', dir, '--engine', `http://127.0.0.1:${port}`, '--token', TOKEN],
        /admin API at http:\/\/127\.0\.0\.1:\d+ did not answer \(ECONNREFUSED\)/,
      ],
      [
        ['apply', '--config', dir, '--engine', admin, '--token', 'not-the-token', '--yes'],
        /HTTP 401 unauthorized: sign in, or send a valid bearer token/,
      ],
    ] as const;
    for (const [argv, expected] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).to.equal(1);
      expect(r.err).to.match(expected);
      expect(r.err.split('\n'), r.err).to.have.length(1);
      expect(r.err).to.not.match(/\n\s+at /);
    }
    expect(readFileSync(join(dir, 'channels', 'lab.yaml'), 'utf8')).to.include('main-v2');
  });
});
