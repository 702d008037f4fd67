import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger, type Logger } from '../../../lib/log.js';
import { tracing } from '../../../lib/tracing.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { until } from '../../support/until.js';
import { dft } from './support.js';

/** A span as an OTLP/HTTP JSON ExportTraceServiceRequest carries it, with its resource's thread. */
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  status?: { code?: number };
  thread: unknown;
};

type OtlpValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };

function valueOf(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return v.doubleValue;
}

const attributes = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** Every span the receiver was sent, decoded from the JSON encoding of OTLP. */
function spansOf(receiver: HttpSink): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const r of receiver.requests) {
    const body = JSON.parse(r.body) as {
      resourceSpans: Array<{
        resource: { attributes: OtlpAttribute[] };
        scopeSpans: Array<{ spans: Array<Omit<OtlpSpan, 'attributes' | 'thread'> & { attributes: OtlpAttribute[] }> }>;
      }>;
    };
    for (const rs of body.resourceSpans) {
      const thread = attributes(rs.resource.attributes)['interlace.thread'];
      for (const ss of rs.scopeSpans) for (const s of ss.spans) out.push({ ...s, attributes: attributes(s.attributes), thread });
    }
  }
  return out;
}

/** A config directory: one MLLP channel, two steps, one HTTP route retried after 200 ms. */
function configDir(tmp: string, redisUrl: string, erp: string, telemetry: string[]): string {
  const dir = join(tmp, 'config');
  mkdirSync(join(dir, 'channels'), { recursive: true });
  writeFileSync(
    join(dir, 'engine.yaml'),
    [
      'engine:',
      '  id: tracing',
      `  dataDir: ${join(tmp, 'var')}`,
      '  shutdownTimeout: 10s',
      'redis:',
      `  url: ${redisUrl}`,
      `  prefix: ${uniquePrefix()}`,
      '  supervise: never',
      'admin:',
      '  port: 0',
      '  token: tracing-admin-token-0123456789',
      ...telemetry,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'channels', 'traced.yaml'),
    [
      'name: traced',
      'source: { type: mllp, port: 0 }',
      'parse: { format: hl7v2 }',
      'transforms:',
      `  - filter: { when: "meta.messageType = 'DFT^P03'", reason: not a charge }`,
      '  - map: { erp: "{ \'reference\': meta.controlId }" }',
      'routes:',
      '  - name: erp',
      '    body: { json: vars.erp }',
      '    retry: { attempts: 3, delay: 200ms, jitter: 0 }',
      `    destination: { type: http, url: "${erp}/charges" }`,
      '',
    ].join('\n'),
  );
  return dir;
}

/** A logger whose lines the test reads. */
function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

describe('OpenTelemetry traces of messages', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let erp: HttpSink;
  let tmp: string;
  let engine: Engine | undefined;

  before(async () => {
    redis = await getRedis();
  });
  beforeEach(async () => {
    erp = await startHttpSink();
    tmp = mkdtempSync(join(tmpdir(), 'interlace-tracing-'));
  });
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
    await erp.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  after(async () => {
    await redis?.stop();
  });

  const send = async (e: Engine, controlId: string): Promise<string> => {
    const client = new MllpClient({ host: '127.0.0.1', port: e.channels.get('traced')!.address()!.port, timeout: 10_000 });
    try {
      return (await client.send(dft(controlId, 1))).toString('latin1');
    } finally {
      await client.close();
    }
  };

  it('one trace per message: receive → process → parse, steps, route → each delivery attempt, across the thread and the retry', async () => {
    const receiver = await startHttpSink();
    receiver.setDefault({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' });
    try {
      erp.respond({ status: 503, body: 'maintenance' }); // the first attempt (in process) fails; the BullMQ retry delivers
      const dir = configDir(tmp, redis.url, erp.url, [
        'telemetry:',
        '  traces:',
        `    otlp: { url: "${receiver.url}/v1/traces", headers: { x-collector-key: k-123 } }`,
        '    exportEvery: 200',
      ]);
      engine = await Engine.start({ configDir: dir, env: { PATH: process.env.PATH ?? '' }, log: silentLogger });
      expect(engine.refused).to.deep.equal([]);
      expect(await send(engine, 'TRACE-1')).to.match(/MSA\|AA\|TRACE-1/);
      const [failed, delivered] = await erp.waitForRequests(2, 60_000);
      const messageId = String(delivered!.headers['x-interlace-message-id']);
      const traceId = messageId.replace(/-/g, '');

      // both attempts' spans, exported by the processing thread; the ack span by the listener
      await until('both attempts and the ack exported', () => {
        const names = spansOf(receiver).map((s) => s.name);
        return names.filter((n) => n === 'deliver').length >= 2 && names.includes('ack');
      });
      expect(receiver.requests[0]!.headers['x-collector-key']).to.equal('k-123');
      expect(receiver.requests[0]!.headers['content-type']).to.match(/^application\/json/);
      const spans = spansOf(receiver);
      expect(new Set(spans.map((s) => s.traceId)), 'one trace, whose id is the message id').to.deep.equal(new Set([traceId]));
      const one = (name: string) => {
        const found = spans.filter((s) => s.name === name);
        expect(found, name).to.have.length(1);
        return found[0]!;
      };
      const receive = one('receive');
      expect(receive.parentSpanId || undefined, 'receive is the root').to.equal(undefined);
      expect(receive.thread).to.equal('listener');
      expect(receive.attributes).to.include({
        'interlace.channel': 'traced',
        'interlace.message_id': messageId,
        'interlace.control_id': 'TRACE-1',
      });
      expect(one('frame').parentSpanId, 'the MLLP frame read').to.equal(receive.spanId);
      expect(one('store').parentSpanId, 'the durable store').to.equal(receive.spanId);
      const ack = one('ack');
      expect(ack.parentSpanId).to.equal(receive.spanId);
      expect(ack.attributes['interlace.ack.code']).to.equal('AA');
      const processSpan = one('process');
      expect(processSpan.thread, 'processed on the other thread').to.equal('processing');
      expect(processSpan.parentSpanId).to.equal(receive.spanId);
      expect(processSpan.attributes['interlace.outcome']).to.equal('routed');
      expect(one('parse').parentSpanId).to.equal(processSpan.spanId);
      expect(one('route').parentSpanId).to.equal(processSpan.spanId);
      const steps = spans
        .filter((s) => s.name === 'step')
        .sort((a, b) => Number(a.attributes['interlace.step.index']) - Number(b.attributes['interlace.step.index']));
      expect(steps.map((s) => s.attributes['interlace.step.kind'])).to.deep.equal(['filter', 'map']);
      for (const s of steps) expect(s.parentSpanId).to.equal(processSpan.spanId);

      const attempts = spans
        .filter((s) => s.name === 'deliver')
        .sort((a, b) => Number(a.attributes['interlace.attempt']) - Number(b.attributes['interlace.attempt']));
      expect(attempts.map((s) => s.parentSpanId)).to.deep.equal([processSpan.spanId, processSpan.spanId]);
      expect(attempts.map((s) => s.attributes['interlace.outcome'])).to.deep.equal(['retrying', 'delivered']);
      expect(attempts.map((s) => s.attributes['interlace.status'])).to.deep.equal(['503', '200']);
      expect(attempts.map((s) => s.attributes['interlace.destination'])).to.deep.equal(['http', 'http']);
      expect(attempts[0]!.status?.code, 'a failed attempt is an error span').to.equal(2);

      // downstream: the traceparent of each attempt, whose trace id is the correlation id's
      expect(failed!.headers.traceparent).to.equal(`00-${traceId}-${attempts[0]!.spanId}-01`);
      expect(delivered!.headers.traceparent).to.equal(`00-${traceId}-${attempts[1]!.spanId}-01`);
      expect(String(delivered!.headers['x-correlation-id']).replace(/-/g, '')).to.equal(traceId);

      // no content in any span: the patient's identifier and name never leave
      const exported = receiver.requests.map((r) => r.body).join('\n');
      expect(exported).to.not.include('MRN0001');
      expect(exported).to.not.include('PATIENT');
    } finally {
      await engine?.stop();
      engine = undefined;
      await receiver.close();
    }
  });

  it('off by default: no tracer on the listener thread, and no traceparent from the attempts on the processing thread', async () => {
    engine = await Engine.start({
      configDir: configDir(tmp, redis.url, erp.url, []),
      env: { PATH: process.env.PATH ?? '' },
      log: silentLogger,
    });
    expect(tracing()).to.equal(undefined);
    expect(await send(engine, 'UNTRACED-1')).to.match(/MSA\|AA\|UNTRACED-1/);
    const [request] = await erp.waitForRequests(1, 60_000);
    expect(request!.headers.traceparent).to.equal(undefined);
    expect(request!.headers['x-correlation-id']).to.equal(request!.headers['x-interlace-message-id']);
  });

  it('an unreachable collector neither blocks nor fails message flow; its failure is logged once', async () => {
    // a port nobody listens on
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const { log, lines } = capturingLogger();
    const dir = configDir(tmp, redis.url, erp.url, [
      'telemetry:',
      '  traces:',
      `    otlp: { url: "http://127.0.0.1:${port}/v1/traces" }`,
      '    exportEvery: 100',
    ]);
    engine = await Engine.start({ configDir: dir, env: { PATH: process.env.PATH ?? '' }, log });
    expect(await send(engine, 'LOST-1')).to.match(/MSA\|AA\|LOST-1/);
    await until('the export failure logged', () => lines.some((l) => l.includes('trace export failed')));
    expect(await send(engine, 'LOST-2')).to.match(/MSA\|AA\|LOST-2/);
    const requests = await erp.waitForRequests(2, 60_000);
    expect(requests.map((r) => JSON.parse(r.body) as { reference: string }).map((b) => b.reference)).to.deep.equal(['LOST-1', 'LOST-2']);
    await engine.stop(); // flushes to the unreachable collector: bounded, and still logged once
    engine = undefined;
    expect(lines.filter((l) => l.includes('trace export failed'))).to.have.length(1);
  });
});
