import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { MllpClient } from '../../../channels/mllp/client.js';
import { pingRedis } from '../../../engine/runtime/redis.js';
import { ConfigError } from '../../../lib/errors.js';
import { freePort } from '../../../lib/net.js';
import { toRedisOptions } from '../../../routes/queue-names.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { uniquePrefix } from '../../support/redis.js';
import { startSentinelSet, type SentinelSet } from '../../support/sentinel.js';
import { dft, onHandRouter, startEngine, testConfigDir, waitFor, waitForPort } from './support.js';

const TOKEN = 'sentinel-admin-token-0123456789';

describe('Redis Sentinel', function () {
  this.timeout(600_000);

  describe('redis+sentinel:// URLs', () => {
    it('lists the Sentinels, the master name, credentials and database', () => {
      const o = toRedisOptions('redis+sentinel://app:s%40cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/charges/2');
      expect(o).to.deep.include({ name: 'charges', username: 'app', password: 's@cret', db: 2, maxRetriesPerRequest: null });
      expect(o.sentinels).to.deep.equal([
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ]);
    });

    it('refuses a malformed one with one sentence', () => {
      for (const [url, message] of [
        ['redis+sentinel://10.0.0.1:26379', /expected .*redis\+sentinel:\/\/\[user:password@\]host:port\[,host:port…\]\/MASTER\[\/db\]/],
        ['redis+sentinel://10.0.0.1:99999/m', /lists "10\.0\.0\.1:99999"; expected host:port/],
        ['redis+sentinel://a:1,,b:2/m', /lists ""; expected host:port/],
        ['redis+sentinel://a:1/m/x', /expected redis\+sentinel/],
      ] as const) {
        expect(() => toRedisOptions(url), url).to.throw(ConfigError, message);
      }
    });
  });

  describe('a failover under load', () => {
    let set: SentinelSet;
    let sink: HttpSink;
    let cfg: ReturnType<typeof testConfigDir>;
    let child: ChildProcess | undefined;

    before(async () => {
      set = await startSentinelSet();
      sink = await startHttpSink();
      sink.route(onHandRouter(), { record: false }); // the OR channel asks the ERP what is on hand
      sink.setDefault({ status: 201, body: 'ok' });
      cfg = testConfigDir({ redisUrl: set.url, prefix: uniquePrefix(), token: TOKEN });
    });
    after(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
      await sink?.close();
      await set?.stop();
      cfg?.cleanup();
    });

    it('follows the new master: every acknowledged message is delivered, and health says Redis is ok again', async () => {
      const [mllp, admin] = [await freePort(), await freePort()];
      child = startEngine(cfg.dir, {
        MLLP_PORT: String(mllp),
        ADMIN_PORT: String(admin),
        ERP_URL: sink.url,
        FHIR_URL: 'http://127.0.0.1:9/fhir',
      });
      let log = '';
      child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-3000)));
      await waitForPort(mllp, 120_000).catch((err: Error) => {
        throw new Error(`${err.message}; the engine's log ends:\n${log}`);
      });
      const acked: string[] = [];
      let running = true;
      const sender = (async () => {
        const client = new MllpClient({ host: '127.0.0.1', port: mllp, timeout: 10_000 });
        for (let i = 0; running; i++) {
          const id = `SENT-${i}`;
          const ack = await client.send(dft(id, 1)).catch(() => undefined);
          if (ack && /MSA\|AA\|/.test(ack.toString('latin1'))) acked.push(id);
          await new Promise((r) => setTimeout(r, 20));
        }
        await client.close().catch(() => {});
      })();
      await waitFor('deliveries before the failover', () => (sink.requests.length > 20 ? true : undefined), 120_000);
      const old = await set.killMaster();
      const now = await set.failedOver(old, 60_000);
      expect(now).to.not.equal(old);
      const before = sink.requests.length;
      await waitFor('deliveries through the new master', () => (sink.requests.length > before + 20 ? true : undefined), 180_000).catch(
        (err: Error) => {
          throw new Error(
            `${err.message}: ${sink.requests.length - before} after the failover, ${acked.length} acknowledged; the engine's log ends:\n${log}`,
          );
        },
      );
      running = false;
      await sender;
      // Only the ERP usage posts carry a reference; one set per look (the sink answers on this event loop).
      const delivered = () =>
        new Set(sink.requests.filter((r) => r.path === '/inventory/usage').map((r) => JSON.parse(r.body).reference as string));
      const missing = () => {
        const seen = delivered();
        return acked.filter((id) => !seen.has(id));
      };
      await waitFor('every acknowledged message at the ERP', () => (missing().length === 0 ? true : undefined), 240_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}: ${missing().length} of ${acked.length} missing, e.g. ${missing().slice(0, 5).join(', ')}`);
        },
      );
      expect(await pingRedis(set.url, 2000), 'the Sentinel URL reaches the new master').to.equal(true);
      const health = await waitFor(
        '/healthz to report Redis ok',
        async () => {
          const res = await fetch(`http://127.0.0.1:${admin}/healthz`).catch(() => undefined);
          const body = res && ((await res.json()) as { checks?: Record<string, string> });
          return body?.checks?.redis === 'ok' ? body : undefined;
        },
        60_000,
      );
      expect(health.checks?.redis).to.equal('ok');
    });
  });
});
