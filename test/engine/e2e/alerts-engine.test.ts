import { expect } from 'chai';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, onHandRouter, testConfigDir, waitFor } from './support.js';

const TOKEN = 'alerts-engine-admin-token-0123';

describe('alerts in a running engine (engine.yaml alerts:)', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let erp: HttpSink;
  let hooks: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let cfg: ReturnType<typeof testConfigDir>;

  before(async () => {
    redis = await getRedis();
    erp = await startHttpSink();
    erp.route(onHandRouter(), { record: false });
    erp.setDefault({ status: 201, body: '{"posted":true}' });
    hooks = await startHttpSink();
    billing = await startFhirServer();
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    appendFileSync(
      join(cfg.dir, 'engine.yaml'),
      [
        'alerts:',
        '  every: 300ms',
        '  webhook:',
        '    url: ${HOOK_URL}',
        '  rules:',
        '    - name: or-exceptions',
        '      when: channel-errors',
        '',
      ].join('\n'),
    );
    engine = await Engine.start({
      configDir: cfg.dir,
      env: {
        ...process.env,
        MLLP_PORT: '0',
        ADMIN_PORT: '0',
        ERP_URL: erp.url,
        FHIR_URL: billing.baseUrl,
        HOOK_URL: `${hooks.url}/alerts`,
        INTERLACE_DATA: cfg.dataDir,
      },
      log: silentLogger,
    });
  });
  after(async () => {
    await engine?.stop();
    await erp?.close();
    await hooks?.close();
    await billing?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('notifies when a message goes to the exception queue, shows it in GET /api/alerts, and notifies its recovery once it is resolved', async () => {
    const client = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('or-implant-charges')!.address()!.port, timeout: 15_000 });
    const unknownItem = Buffer.from(dft('ALERT-0001', 1).toString('latin1').replace('100234^', '999999^'), 'latin1');
    expect((await client.send(unknownItem)).toString('latin1')).to.match(/MSA\|AA\|ALERT-0001/);
    await client.close();
    const [firing] = await hooks.waitForRequests(1, 60_000);
    expect(JSON.parse(firing!.body)).to.include({ state: 'firing', rule: 'or-exceptions', subject: 'or-implant-charges', engine: 'e2e' });
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${engine.adminAddress()!.port}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
    const listed = (await (await api('/api/alerts')).json()) as { alerts: Array<{ rule: string; subject: string }> };
    expect(listed.alerts.map((a) => `${a.rule} ${a.subject}`)).to.deep.equal(['or-exceptions or-implant-charges']);

    const id = ((await (await api('/api/exceptions')).json()) as { exceptions: Array<{ id: string }> }).exceptions[0]!.id;
    expect((await api(`/api/messages/${id}/resolve`, { method: 'POST', body: '{"note":"billed by hand"}' })).status).to.equal(200);
    await waitFor('the recovery notice', () => (hooks.requests.length >= 2 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // several more checks: nothing more is sent
    expect(hooks.requests.map((r) => (JSON.parse(r.body) as { state: string }).state)).to.deep.equal(['firing', 'resolved']);
  });
});
