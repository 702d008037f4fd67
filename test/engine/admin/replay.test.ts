import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { main } from '../../../engine/cli/main.js';
import { Engine } from '../../../engine/runtime/engine.js';
import type { ReplayReport } from '../../../engine/runtime/replay.js';
import { silentLogger } from '../../../lib/log.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, onHandRouter, testConfigDir, waitFor } from '../e2e/support.js';

const TOKEN = 'replay-admin-token-0123456789';
const CH = 'or-implant-charges';

/** Runs the CLI in this process; resolves with its exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('dry-run replay with a diff (POST /api/replay, interlace replay)', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let client: MllpClient;
  let cfg: ReturnType<typeof testConfigDir>;
  let admin: string;
  let proposed: string;
  let started: string;

  const api = async (body: unknown) => {
    const res = await fetch(`${admin}/api/replay`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    billing = await startFhirServer();
    sink.route(onHandRouter(), { record: false });
    sink.setDefault({ status: 201, body: '{"posted":true}' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: sink.url, FHIR_URL: billing.baseUrl, INTERLACE_DATA: cfg.dataDir },
      log: silentLogger,
    });
    client = new MllpClient({ host: '127.0.0.1', port: engine.channels.get(CH)!.address()!.port, timeout: 10_000 });
    admin = `http://127.0.0.1:${engine.adminAddress()!.port}`;
    started = new Date(Date.now() - 1000).toISOString();
    for (const id of ['RPL-1', 'RPL-2', 'RPL-3']) await client.send(dft(id, 2));
    await waitFor(
      'the three messages delivered',
      async () => {
        const r = await fetch(`${admin}/api/messages?channel=${CH}&status=delivered`, { headers: { Authorization: `Bearer ${TOKEN}` } });
        const ids = ((await r.json()) as any).messages.map((m: any) => m.controlId);
        return ['RPL-1', 'RPL-2', 'RPL-3'].every((c) => ids.includes(c)) || undefined;
      },
      45_000,
    );
    // the proposal: the ERP reference gets a prefix, and the billing route is gone
    proposed = mkdtempSync(join(tmpdir(), 'interlace-proposed-test-'));
    cpSync(cfg.dir, proposed, { recursive: true });
    const file = join(proposed, 'channels', `${CH}.yaml`);
    const text = readFileSync(file, 'utf8');
    const changed = text.replace('"reference": meta.controlId,', '"reference": "OR-" & meta.controlId,');
    expect(changed, 'the mapping line the test changes').to.not.equal(text);
    const start = changed.indexOf('  - name: billing-charges');
    const end = changed.indexOf('  # Replenishment: one purchase order per supplier');
    writeFileSync(file, changed.slice(0, start) + changed.slice(end));
  });
  after(async () => {
    await client?.close();
    await engine?.stop();
    await sink?.close();
    await billing?.close();
    cfg?.cleanup();
    if (proposed) rmSync(proposed, { recursive: true, force: true });
    await redis?.stop();
  });

  it('replays through the running configuration and finds nothing to change', async () => {
    const r = await api({ channel: CH, since: started });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const report = r.body as ReplayReport;
    expect(report.replayed).to.equal(3);
    expect(report.changed, JSON.stringify(report.messages[0], null, 1)).to.equal(0);
    expect(report.routes['erp-usage']).to.deep.equal({ unchanged: 3, changed: 0, added: 0, removed: 0 });
  });

  it('shows per message and route what a mapping change would send differently, delivering nothing', async () => {
    const posted = sink.requests.length;
    const r = await cli(['replay', '--channel', CH, '--since', '10m', '--config', proposed, '--engine', admin, '--token', TOKEN, '--json']);
    expect(r.code, r.err).to.equal(0);
    const report = JSON.parse(r.out) as ReplayReport;
    expect(report.replayed).to.equal(3);
    expect(report.changed).to.equal(3);
    expect(report.routes['erp-usage']).to.deep.equal({ unchanged: 0, changed: 3, added: 0, removed: 0 });
    expect(report.routes['billing-charges']).to.deep.equal({ unchanged: 0, changed: 0, added: 0, removed: 3 });
    const one = report.messages.find((m) => m.controlId === 'RPL-2')!;
    const erp = one.routes.find((x) => x.route === 'erp-usage')!;
    expect(erp.change).to.equal('changed');
    expect(erp.diff).to.deep.equal(['~ reference: "RPL-2" → "OR-RPL-2"']);
    expect(JSON.parse(erp.sent!.body).reference).to.equal('RPL-2');
    expect(JSON.parse(erp.wouldSend!.body).reference).to.equal('OR-RPL-2');
    expect(one.routes.find((x) => x.route === 'billing-charges')!.change).to.equal('removed');
    // nothing delivered, nothing written
    expect(sink.requests.length).to.equal(posted);
    const stored = await engine.store.getMessage(one.messageId);
    expect(stored!.status).to.equal('delivered');
    expect(JSON.parse(stored!.deliveries.find((d) => d.route === 'erp-usage')!.payload.body).reference).to.equal('RPL-2');
  });

  it('prints the diff for a person', async () => {
    const r = await cli(['replay', '--channel', CH, '--since', '10m', '--config', proposed, '--engine', admin, '--token', TOKEN]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.include('route erp-usage: would send differently\n    ~ reference: "RPL-1" → "OR-RPL-1"');
    expect(r.out).to.include('route billing-charges: would no longer be sent');
    expect(r.out).to.match(/3 messages replayed, 3 would change/);
  });

  it('refuses an invalid proposal with file:line:column, and a bad time range in one sentence', async () => {
    const file = join(proposed, 'channels', `${CH}.yaml`);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('  - name: erp-usage\n', '  - name: erp-usage\n    bogus: 1\n'));
    try {
      const r = await cli(['replay', '--channel', CH, '--since', '10m', '--config', proposed, '--engine', admin, '--token', TOKEN]);
      expect(r.code).to.equal(1);
      expect(r.err).to.include('invalid-proposal');
      expect(r.err, r.err).to.match(new RegExp(`channels/${CH}\\.yaml:\\d+:\\d+ unknown-key`));
    } finally {
      writeFileSync(file, good);
    }
    const bad = await api({ channel: CH, since: 'yesterday-ish' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal('invalid-time');
    const missing = await api({ channel: 'no-such', since: '1h' });
    expect(missing.status).to.equal(404);
  });
});
