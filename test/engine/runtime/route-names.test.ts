import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft } from '../e2e/support.js';

/**
 * Route names that once shared keys with a channel's own queue (`process` was its processing queue)
 * or that look like a queue's kind or a BullMQ key suffix: each is an ordinary route and delivers.
 */
const NAMES = ['process', 'stage', 'route', 'wait', 'meta', 'events'];

describe("route names never collide with the channel's own queues", function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let engine: Engine | undefined;
  let tmp: string;

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    sink.setDefault({ status: 200, body: '{"ok":true}' });
    tmp = mkdtempSync(join(tmpdir(), 'interlace-route-names-'));
    const dir = join(tmp, 'config');
    mkdirSync(join(dir, 'channels'), { recursive: true });
    writeFileSync(
      join(dir, 'engine.yaml'),
      [
        'engine:',
        '  id: route-names',
        `  dataDir: ${join(tmp, 'var')}`,
        'redis:',
        `  url: ${redis.url}`,
        `  prefix: ${uniquePrefix()}`,
        '  supervise: never',
        'admin:',
        '  port: 0',
        '  token: route-names-admin-token-0123456789',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'channels', 'names.yaml'),
      [
        'name: names',
        'source: { type: mllp, port: 0 }',
        'parse: { format: hl7v2 }',
        'routes:',
        ...NAMES.flatMap((n) => [`  - name: ${n}`, `    destination: { type: http, url: "${sink.url}/${n}" }`]),
        '',
      ].join('\n'),
    );
    engine = await Engine.start({ configDir: dir, env: { PATH: process.env.PATH ?? '' }, log: silentLogger });
    expect(engine.refused).to.deep.equal([]);
  });
  after(async () => {
    await engine?.stop();
    await sink?.close();
    rmSync(tmp, { recursive: true, force: true });
    await redis?.stop();
  });

  it(`a message reaches every route: ${NAMES.join(', ')}`, async () => {
    const client = new MllpClient({ host: '127.0.0.1', port: engine!.channels.get('names')!.address()!.port, timeout: 10_000 });
    try {
      const ack = await client.send(dft('NAMES-1', 1));
      expect(ack.toString('latin1')).to.match(/MSA\|AA\|NAMES-1/);
    } finally {
      await client.close();
    }
    const requests = await sink.waitForRequests(NAMES.length, 60_000);
    expect(requests.map((r) => r.path).sort()).to.deep.equal(NAMES.map((n) => `/${n}`).sort());
  });
});
