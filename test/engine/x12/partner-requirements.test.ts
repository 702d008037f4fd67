import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../engine/runtime/engine.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { filesIn, parseFile, waitFor, writeFlowConfig, type FlowDirs } from './support.js';

// TD501 (routing sequence code) is empty in this 856, as the base standard allows.
const SAMPLE_856 = readFileSync(new URL('../../../samples/x12/flows/acme-856.x12', import.meta.url));

describe('X12 partner requirements, through the running engine', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let dirs: FlowDirs;
  let engine: Engine;

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    dirs = writeFlowConfig({
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      sinkUrl: sink.url,
      poAckDeadline: '24h',
      token: 'x12-require-test-token-0123456789',
      require: ['856/TD501'],
    });
    engine = await Engine.start({ configDir: dirs.config, env: {} });
    expect(engine.refused).to.deep.equal([]);
  });
  after(async () => {
    await engine?.stop();
    await sink?.close();
    await redis?.stop();
    rmSync(dirs.root, { recursive: true, force: true });
  });

  it('a set the 997 rejects for a required element is not processed: it goes to the exception queue, never to the ERP', async () => {
    writeFileSync(join(dirs.inbound, 'asn-strict.x12'), SAMPLE_856);
    const [ackName] = await waitFor(
      'the 997 for the 856',
      () => filesIn(dirs.outbound, /^asn-strict\.x12.*\.ack$/).length > 0 && filesIn(dirs.outbound, /^asn-strict\.x12.*\.ack$/),
    );
    const ak = parseFile(join(dirs.outbound, ackName!)).interchanges[0]!.groups[0]!.sets[0]!.segments.map((s) => s.elements.join('*'));
    expect(ak).to.include.members(['AK2*856*0001', 'AK5*R*5', 'AK9*R*1*1*0']);
    expect(ak.some((s) => s.startsWith('AK3*TD5*'))).to.equal(true);
    const [asn] = await engine.store.listMessages({ channel: 'acme-in', controlId: '000000301' });
    const settled = await waitFor('the 856 settled', async () => {
      const m = await engine.store.getMessage(asn!.id);
      return m && m.status !== 'received' ? m : undefined;
    });
    expect(settled.status, JSON.stringify(settled.error)).to.equal('error');
    expect(settled.error).to.include({ code: 'x12-element-missing' });
    expect(settled.error!.message).to.include('TD501').and.include('acme-medical');
    expect(settled.deliveries).to.deep.equal([]);
    expect(sink.requests.filter((r) => r.path === '/receiving')).to.deep.equal([]);
  });
});
