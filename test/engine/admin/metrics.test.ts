import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { AdminServer } from '../../../engine/admin/server.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { createLogger, silentLogger } from '../../../lib/log.js';
import { Histogram, render } from '../../../lib/metrics.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, onHandRouter, sample, testConfigDir, waitFor } from '../e2e/support.js';

const TOKEN = 'metrics-admin-token-0123456789';

/** `name{labels} value` lines of an exposition, by series. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('metrics: Prometheus exposition', () => {
  it('renders histograms cumulatively and adds up a series counted on two threads', () => {
    const h = new Histogram([0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    const other = new Histogram([0.1, 1]);
    other.observe(0.01);
    const hist = (x: Histogram) => ({ labels: { channel: 'a' }, buckets: x.buckets, counts: x.counts, sum: x.sum, count: x.count });
    const text = render(
      [
        { name: 't_total', help: 'h', type: 'counter', samples: [{ labels: { channel: 'a"b' }, value: 2 }] },
        { name: 't_seconds', help: 'h', type: 'histogram', samples: [hist(h)] },
      ],
      [
        { name: 't_total', help: 'h', type: 'counter', samples: [{ labels: { channel: 'a"b' }, value: 3 }] },
        { name: 't_seconds', help: 'h', type: 'histogram', samples: [hist(other)] },
      ],
    );
    const s = series(text);
    expect(s.get('t_total{channel="a\\"b"}')).to.equal(5);
    expect(s.get('t_seconds_bucket{channel="a",le="0.1"}')).to.equal(2);
    expect(s.get('t_seconds_bucket{channel="a",le="1"}')).to.equal(3);
    expect(s.get('t_seconds_bucket{channel="a",le="+Inf"}')).to.equal(4);
    expect(s.get('t_seconds_count{channel="a"}')).to.equal(4);
    expect(text.match(/# TYPE t_total counter/g)).to.have.length(1);
  });

  it('asks for the token unless the scraper is in admin.metricsFrom', async () => {
    const backend = {
      store: {} as never,
      channels: async () => [],
      reprocess: async () => ({ ok: false, detail: '' }),
      health: async () => ({ ok: true, checks: {} }),
      status: async () => ({}),
      metrics: async () => 'interlace_x 1\n',
    };
    for (const [from, expected] of [
      [['10.0.0.0/8'], 401],
      [['127.0.0.0/8'], 200],
      [['127.0.0.1', '::1'], 200],
    ] as const) {
      const server = new AdminServer(backend, TOKEN, silentLogger, from);
      const { port } = await server.listen(0, '127.0.0.1');
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(res.status, `metricsFrom ${from.join(',')}`).to.equal(expected);
        if (expected === 200) expect(await res.text()).to.equal('interlace_x 1\n');
        const api = await fetch(`http://127.0.0.1:${port}/api/engine`);
        expect(api.status, 'the API still needs the token').to.equal(401);
      } finally {
        await server.close();
      }
    }
  });
});

describe('metrics of a running engine, scraped after traffic', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let client: MllpClient;
  let cfg: ReturnType<typeof testConfigDir>;
  let admin: string;

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    billing = await startFhirServer();
    sink.route(onHandRouter(), { record: false });
    sink.setDefault({ status: 201, body: '{"posted":true}' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    const file = join(cfg.dir, 'engine.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`  token: ${TOKEN}\n`, `  token: ${TOKEN}\n  metricsFrom: [127.0.0.1]\n`));
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: sink.url, FHIR_URL: billing.baseUrl, INTERLACE_DATA: cfg.dataDir },
      log: process.env.DEBUG_LOG ? createLogger({ level: 'warn' }) : silentLogger,
    });
    client = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('or-implant-charges')!.address()!.port, timeout: 10_000 });
    admin = `http://127.0.0.1:${engine.adminAddress()!.port}`;
  });
  after(async () => {
    await client?.close();
    await engine?.stop();
    await sink?.close();
    await billing?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  const scrape = async () => {
    const res = await fetch(`${admin}/metrics`); // no token: 127.0.0.1 is in metricsFrom
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it('counts received, rejected, duplicate, filtered, errored, delivered and retried, with latencies', async () => {
    const ch = 'or-implant-charges';
    // Counters are per process: engines started earlier in this test process may have counted already.
    const start = series(await scrape());
    sink.respond({ status: 503, body: 'maintenance' }); // the first ERP post is retried
    await client.send(dft('MET-1'));
    await client.send(dft('MET-2'));
    await client.send(dft('MET-2')); // duplicate
    await client.send(sample('bad/no-msh.hl7')); // rejected
    await client.send(sample('adt-a01-admit.hl7')); // filtered
    await client.send(dft('MET-NOACCT', 1, '')); // errored
    const want: Record<string, number> = {
      [`interlace_channel_received_messages_total{channel="${ch}"}`]: 6,
      [`interlace_channel_duplicate_messages_total{channel="${ch}"}`]: 1,
      [`interlace_channel_rejected_messages_total{channel="${ch}"}`]: 1,
      [`interlace_channel_filtered_messages_total{channel="${ch}"}`]: 1,
      [`interlace_channel_errored_messages_total{channel="${ch}"}`]: 1,
      [`interlace_route_delivered_deliveries_total{channel="${ch}",route="erp-usage"}`]: 2,
      [`interlace_route_delivered_deliveries_total{channel="${ch}",route="billing-charges"}`]: 2,
      [`interlace_route_retried_deliveries_total{channel="${ch}",route="erp-usage"}`]: 1,
      [`interlace_delivery_latency_seconds_count{channel="${ch}",route="erp-usage"}`]: 2,
      [`interlace_ack_latency_seconds_count{channel="${ch}"}`]: 6,
    };
    const idle: Record<string, number> = {
      [`interlace_route_queue_deliveries{channel="${ch}",route="erp-usage",state="waiting"}`]: 0,
      [`interlace_route_queue_oldest_age_seconds{channel="${ch}",route="erp-usage"}`]: 0,
    };
    const delayed = `interlace_route_queue_deliveries{channel="${ch}",route="erp-usage",state="delayed"}`;
    let last = new Map<string, number>();
    try {
      await waitFor(
        'the counters to reach their expected values',
        async () => {
          last = series(await scrape());
          // The queue gauges settle after the counters: a delivery counted as delivered may still
          // leave its job in BullMQ's sets for a moment, so they are waited on too.
          const counted = Object.entries(want).every(([k, v]) => (last.get(k) ?? 0) - (start.get(k) ?? 0) === v);
          return (counted && Object.entries(idle).every(([k, v]) => last.get(k) === v)) || undefined;
        },
        45_000,
      );
    } catch (err) {
      const got = Object.keys(want).map((k) => `${k} rose by ${(last.get(k) ?? 0) - (start.get(k) ?? 0)} (want ${want[k]})`);
      const gauges = [...Object.keys(idle), delayed].map((k) => `${k} is ${last.get(k)}`);
      throw new Error(`${(err as Error).message}:\n${[...got, ...gauges].join('\n')}`);
    }
    const s = last;
    const inf = `interlace_ack_latency_seconds_bucket{channel="${ch}",le="+Inf"}`;
    expect((s.get(inf) ?? 0) - (start.get(inf) ?? 0)).to.equal(6);
    expect(s.get('interlace_store_commit_seconds_count')).to.be.greaterThan(0);
    expect(s.get('interlace_redis_up')).to.equal(1);
    expect(s.get('interlace_store_up')).to.equal(1);
    expect(s.get('interlace_processing_up')).to.equal(1);
    expect(s.get(`interlace_channel_up{channel="${ch}"}`)).to.equal(1);
    for (const thread of ['listener', 'processing']) {
      expect(s.get(`interlace_heap_used_bytes{thread="${thread}"}`), thread).to.be.greaterThan(1e6);
      expect(s.has(`interlace_event_loop_lag_seconds{thread="${thread}",quantile="0.99"}`), thread).to.equal(true);
    }
    expect(s.get('interlace_process_resident_memory_bytes')).to.be.greaterThan(1e7);
  });

  it('shows a route queue backing up: depth and oldest age', async () => {
    sink.respond(...Array.from({ length: 50 }, () => ({ status: 503, body: 'down' })));
    await client.send(dft('MET-BACKLOG'));
    const key = 'interlace_route_queue_oldest_age_seconds{channel="or-implant-charges",route="erp-usage"}';
    const age = await waitFor(
      'an oldest age above 1 s',
      async () => {
        const v = series(await scrape()).get(key) ?? 0;
        return v > 1 ? v : undefined;
      },
      30_000,
    );
    expect(age).to.be.lessThan(60);
    sink.respond(); // no effect: the queued responses drain as the route retries
  });

  it('documents every metric it exposes in docs/metrics.md', async () => {
    const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    const names = new Set([...(await scrape()).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
    const missing = [...names].filter((n) => !doc.includes(`\`${n}\``));
    expect(missing, 'metrics missing from docs/metrics.md').to.deep.equal([]);
  });
});
