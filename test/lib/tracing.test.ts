import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../lib/log.js';
import { MessageTracing, spanIdOf, traceIdOf } from '../../lib/tracing.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { until } from '../support/until.js';

/** Names of the spans a receiver was sent, by trace id. */
function exported(receiver: HttpSink): Array<{ traceId: string; spanId: string; name: string }> {
  return receiver.requests.flatMap((r) =>
    (
      JSON.parse(r.body) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string; name: string }> }> }>;
      }
    ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
  );
}

describe('lib/tracing: ids derived from the message id, sampling decided from them', () => {
  let receiver: HttpSink;
  beforeEach(async () => {
    receiver = await startHttpSink();
    receiver.setDefault({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' });
  });
  afterEach(() => receiver.close());

  it('the trace id is the UUID without dashes; another id is hashed; span ids differ by span', () => {
    expect(traceIdOf('01938F2E-7C1A-7B3E-9A41-5D2C0E6F8A10')).to.equal('01938f2e7c1a7b3e9a415d2c0e6f8a10');
    expect(traceIdOf('msg-42')).to.match(/^[0-9a-f]{32}$/);
    expect(traceIdOf('msg-42')).to.equal(traceIdOf('msg-42'));
    expect(spanIdOf('m', 'receive')).to.match(/^[0-9a-f]{16}$/);
    expect(spanIdOf('m', 'receive')).to.not.equal(spanIdOf('m', 'process'));
  });

  it('two providers (two threads) link a message without telling each other: receive in one, process and deliver in the other', async () => {
    const config = { otlp: { url: `${receiver.url}/v1/traces`, headers: {} }, sampleRatio: 1, exportEvery: 100 };
    const listener = new MessageTracing(config, 'listener', silentLogger, 'test');
    const processing = new MessageTracing(config, 'processing', silentLogger, 'test');
    const id = randomUUID();
    listener.receive(id, performance.now(), {}).end();
    const p = processing.process(id, {});
    const d = processing.child(id, 'process', 'deliver', {});
    expect(processing.traceparent(d)).to.equal(`00-${traceIdOf(id)}-${d.spanContext().spanId}-01`);
    d.end();
    p.end();
    await Promise.all([listener.shutdown(), processing.shutdown()]);
    const spans = exported(receiver);
    expect(spans.map((s) => s.name).sort()).to.deep.equal(['deliver', 'process', 'receive']);
    expect(new Set(spans.map((s) => s.traceId))).to.deep.equal(new Set([traceIdOf(id)]));
    expect(spans.find((s) => s.name === 'receive')!.spanId).to.equal(spanIdOf(id, 'receive'));
    expect(spans.find((s) => s.name === 'process')!.spanId).to.equal(spanIdOf(id, 'process'));
  });

  it('sampleRatio 0: nothing is exported, and traceparent says not sampled', async () => {
    const t = new MessageTracing(
      { otlp: { url: `${receiver.url}/v1/traces`, headers: {} }, sampleRatio: 0, exportEvery: 100 },
      'processing',
      silentLogger,
      'test',
    );
    const id = randomUUID();
    t.receive(id, performance.now(), {}).end();
    const d = t.child(id, 'process', 'deliver', {});
    expect(t.traceparent(d)).to.match(new RegExp(`^00-${traceIdOf(id)}-[0-9a-f]{16}-00$`));
    d.end();
    await t.shutdown();
    expect(receiver.requests).to.have.length(0);
  });

  it('half the messages with sampleRatio 0.5, the same half in every provider', async () => {
    const config = { otlp: { url: `${receiver.url}/v1/traces`, headers: {} }, sampleRatio: 0.5, exportEvery: 100 };
    const a = new MessageTracing(config, 'listener', silentLogger, 'test');
    const b = new MessageTracing(config, 'processing', silentLogger, 'test');
    const ids = Array.from({ length: 400 }, () => randomUUID());
    for (const id of ids) {
      a.receive(id, performance.now(), {}).end();
      b.process(id, {}).end();
    }
    await Promise.all([a.shutdown(), b.shutdown()]);
    await until('exports received', () => receiver.inFlight() === 0);
    const spans = exported(receiver);
    const receiveIds = new Set(spans.filter((s) => s.name === 'receive').map((s) => s.traceId));
    const processIds = new Set(spans.filter((s) => s.name === 'process').map((s) => s.traceId));
    expect(receiveIds.size).to.be.within(120, 280);
    expect([...processIds].sort()).to.deep.equal([...receiveIds].sort());
  });
});
