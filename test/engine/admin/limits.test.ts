import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { AdminServer } from '../../../engine/admin/server.js';
import { engineSchema } from '../../../engine/config/engine-schema.js';
import { ADMIN_LIMITS } from '../../../lib/listener-guard.js';
import { silentLogger } from '../../../lib/log.js';
import { gate } from '../../channels/file/support.js';
import { sleep, until } from '../../support/until.js';

const TOKEN = 'limits-admin-token-0123456789';

/** One GET over its own connection from `localAddress`: status, headers and body. */
function get(
  port: number,
  path: string,
  localAddress: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
}

/** Probes of the admin API by one client address, as the MLLP and HTTP listeners are probed. */
describe('admin API: limits per client address', function () {
  this.timeout(60_000);
  let server: AdminServer | undefined;
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    server = undefined;
  });

  function start(health: () => Promise<{ ok: boolean; checks: Record<string, string> }>, limits = ADMIN_LIMITS) {
    server = new AdminServer(
      {
        store: {} as never,
        channels: async () => [],
        reprocess: async () => ({ ok: false, detail: '' }),
        health,
        status: async () => ({}),
      },
      TOKEN,
      silentLogger,
      [],
      limits,
    );
    return server.listen(0, '127.0.0.1');
  }

  it('closes connections from one address past maxConnectionsPerAddress; other addresses are served', async () => {
    const { port } = await start(async () => ({ ok: true, checks: {} }), { ...ADMIN_LIMITS, maxConnectionsPerAddress: 3 });
    const open = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.5' }, () => resolve(s));
            s.on('error', () => undefined);
          }),
      ),
    );
    sockets.push(...open);
    const closed = await Promise.all(
      open.map((s) => Promise.race([new Promise((r) => s.once('close', () => r(true))), sleep(2000).then(() => false)])),
    );
    expect(closed.filter(Boolean), 'connections closed by the limit').to.have.length(2);
    expect((await get(port, '/healthz', '127.0.0.1')).status, 'another address').to.equal(200);
    // the three kept are usable
    const kept = open.filter((_, i) => !closed[i])[0]!;
    const answer = new Promise<string>((resolve) => kept.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    kept.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await answer).to.match(/^HTTP\/1\.1 200/);
  });

  it('answers 429 with Retry-After past maxRequestsPerAddress requests in progress, before doing any work', async () => {
    const slow = gate();
    let calls = 0;
    const { port } = await start(
      async () => {
        calls += 1;
        await slow.promise;
        return { ok: true, checks: {} };
      },
      { ...ADMIN_LIMITS, maxRequestsPerAddress: 4 },
    );
    const pending = Array.from({ length: 6 }, () => get(port, '/healthz', '127.0.0.6'));
    await until('four requests to be in progress', () => calls === 4);
    await sleep(300);
    expect(calls, 'requests past the limit reached the backend').to.equal(4);
    // another address is not held up by this one
    expect((await get(port, '/api/engine', '127.0.0.7')).status).to.equal(401);
    slow.open();
    const answers = await Promise.all(pending);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).to.have.length(2);
    expect(answers.filter((a) => a.status === 200)).to.have.length(4);
    for (const r of refused) {
      expect(r.headers['retry-after']).to.equal('1');
      expect(JSON.parse(r.body).error.code).to.equal('too-many-requests');
    }
    // the slots are given back once answered
    const again = await Promise.all(Array.from({ length: 4 }, () => get(port, '/healthz', '127.0.0.6')));
    expect(again.map((a) => a.status)).to.deep.equal([200, 200, 200, 200]);
  });

  it('engine.yaml admin limits default to the documented values', () => {
    const admin = engineSchema.shape.admin.unwrap().parse({});
    expect(admin).to.include({ maxConnections: 256, maxConnectionsPerAddress: 32, maxRequestsPerAddress: 32 });
  });
});
