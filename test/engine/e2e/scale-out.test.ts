import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { freePort } from '../../../lib/net.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { dropSchemas, freshSchema, pgQuery } from '../../support/postgres.js';
import { startRedisServer, uniquePrefix, type PrivateRedis } from '../../support/redis.js';
import { dft, onHandRouter, startEngine, testConfigDir, waitFor, waitForPort } from './support.js';

const TOKEN = 'scale-out-admin-token-0123456789';

type Proc = { name: string; child: ChildProcess; mllp: number; admin: number; alive: boolean; log: string };

/** Sends `count` messages one after another over one connection; resolves with the control ids answered AA. */
async function send(port: number, ids: string[]): Promise<string[]> {
  const client = new MllpClient({ host: '127.0.0.1', port, timeout: 10_000 });
  const acked: string[] = [];
  try {
    for (const id of ids) {
      try {
        const ack = await client.send(dft(id, 2));
        if (/MSA\|AA\|/.test(ack.toString('latin1'))) acked.push(id);
      } catch {
        break; // the process went away: what was not answered was not acknowledged
      }
    }
  } finally {
    await client.close().catch(() => {});
  }
  return acked;
}

async function engineStatus(p: Proc): Promise<{ singletons?: Record<string, string> } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${p.admin}/api/engine`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: AbortSignal.timeout(5000),
    });
    return res.ok ? ((await res.json()) as { singletons?: Record<string, string> }) : undefined;
  } catch {
    return undefined;
  }
}

/** The processes (alive) whose file poller is active now. */
async function pollerHolders(procs: Proc[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of procs.filter((x) => x.alive)) if ((await engineStatus(p))?.singletons?.['or-drop'] === 'active') out.push(p.name);
  return out;
}

describe('several engine processes on one PostgreSQL and one Redis', function () {
  this.timeout(600_000);
  let redis: PrivateRedis;
  let sink: HttpSink;
  let cfg: ReturnType<typeof testConfigDir>;
  let dropDir: string;
  const procs: Proc[] = [];
  let storeUrl = '';

  before(async () => {
    const store = await freshSchema();
    storeUrl = store;
    redis = await startRedisServer();
    sink = await startHttpSink();
    sink.route(onHandRouter(), { record: false }); // the OR channel asks the ERP what is on hand
    sink.setDefault({ status: 201, body: 'ok' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    // each process its own id; one store for all (INTERLACE_STORE), one drop folder polled by one of them
    const engineYaml = join(cfg.dir, 'engine.yaml');
    writeFileSync(engineYaml, readFileSync(engineYaml, 'utf8').replace('  id: e2e', '  id: ${ENGINE_ID}'));
    dropDir = join(cfg.dataDir, 'drop');
    mkdirSync(dropDir, { recursive: true });
    const mllpChannel = readFileSync(join(cfg.dir, 'channels', 'or-implant-charges.yaml'), 'utf8');
    const fileChannel = mllpChannel
      .replace('name: or-implant-charges', 'name: or-drop')
      // the MLLP source (with its comments) becomes a drop folder; the FHIR input stays with the MLLP channel
      .replace(
        /source:\n {2}type: mllp\n(?:(?: {2}.*|#.*)\n)+?parse:/,
        `source:\n  type: file\n  directory: ${dropDir}\n  pattern: '*.hl7'\n  pollInterval: 500ms\n  minAge: 200ms\nparse:`,
      )
      .replace(/\ninputs:\n(?: .*\n)+/, '\n');
    expect(fileChannel).to.contain('type: file');
    expect(fileChannel).to.not.contain('type: mllp');
    expect(fileChannel).to.not.match(/^inputs:/m);
    writeFileSync(join(cfg.dir, 'channels', 'or-drop.yaml'), fileChannel);
    for (const name of ['a', 'b', 'c']) {
      const [mllp, admin] = [await freePort(), await freePort()];
      const env = {
        ENGINE_ID: `engine-${name}`,
        INTERLACE_STORE: store,
        MLLP_PORT: String(mllp),
        ADMIN_PORT: String(admin),
        ERP_URL: sink.url,
        FHIR_URL: 'http://127.0.0.1:9/fhir',
      };
      procs.push({ name, child: startEngine(cfg.dir, env), mllp, admin, alive: true, log: '' });
    }
    // the engine logs at warn; the tail of each process's log is kept for failure messages
    for (const p of procs) p.child.stderr?.on('data', (d: Buffer) => (p.log = (p.log + d.toString()).slice(-3000)));
    for (const p of procs) {
      await waitForPort(p.mllp, 120_000).catch((err: Error) => {
        throw new Error(`${err.message}; engine ${p.name} exit ${p.child.exitCode}, its log ends:\n${p.log}`);
      });
    }
  });

  after(async () => {
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await once(p.child, 'exit');
      }
    }
    await sink?.close();
    await redis?.stop();
    cfg?.cleanup();
    await dropSchemas();
  });

  it('delivers every acknowledged message through a kill -9 and a Redis restart, one body per idempotency key, pollers taken over', async () => {
    // exactly one process polls the drop folder
    const first = await waitFor(
      'one process to hold the file poller',
      async () => {
        const h = await pollerHolders(procs);
        return h.length === 1 ? h : undefined;
      },
      60_000,
    );
    const holder = procs.find((p) => p.name === first[0])!;
    const dropped: string[] = [];
    const drop = (id: string) => {
      writeFileSync(join(dropDir, `${id}.hl7`), dft(id, 1));
      dropped.push(id);
    };
    for (let i = 0; i < 5; i++) drop(`DROP-A-${i}`);

    // load through all three listeners
    const ids = (tag: string, p: Proc, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${p.name}-${i}`);
    const acked: string[] = [];
    const round = async (tag: string, n: number) => {
      const alive = procs.filter((p) => p.alive);
      for (const r of await Promise.all(alive.map((p) => send(p.mllp, ids(tag, p, n))))) acked.push(...r);
    };
    await round('R1', 40);
    await waitFor('deliveries from the first round', () => (sink.requests.length > 30 ? true : undefined), 120_000);

    // kill -9 the process that polls, while it is loaded
    const inFlight = send(holder.mllp, ids('R2', holder, 200));
    await new Promise((r) => setTimeout(r, 300));
    holder.child.kill('SIGKILL');
    await once(holder.child, 'exit');
    holder.alive = false;
    acked.push(...(await inFlight));

    // another process takes the poller over (lease TTL 10 s, retried every 2 s)
    const taken = await waitFor(
      'another process to take the file poller over',
      async () => {
        const h = await pollerHolders(procs);
        return h.length === 1 ? h : undefined;
      },
      90_000,
    );
    expect(taken[0]).to.not.equal(holder.name);
    for (let i = 0; i < 5; i++) drop(`DROP-B-${i}`);
    await round('R3', 30);

    // Redis restarts (killed, started again from its append-only file)
    await redis.restart();
    await round('R4', 30);

    // the same control id through two processes: answered by both, processed once
    const [p1, p2] = procs.filter((p) => p.alive);
    const dup1 = await send(p1!.mllp, ['DUP-1']);
    const dup2 = await send(p2!.mllp, ['DUP-1']);
    expect([...dup1, ...dup2], 'both copies acknowledged').to.deep.equal(['DUP-1', 'DUP-1']);
    acked.push('DUP-1');

    const expected = [...new Set([...acked, ...dropped])];
    // Only the ERP usage posts carry a reference; one set per look (the sink answers on this event loop).
    const delivered = () =>
      new Set(sink.requests.filter((r) => r.path === '/inventory/usage').map((r) => JSON.parse(r.body).reference as string));
    const missing = () => {
      const seen = delivered();
      return expected.filter((id) => !seen.has(id));
    };
    await waitFor(
      'every acknowledged message and every dropped file at the ERP',
      () => (missing().length === 0 ? true : undefined),
      300_000,
    ).catch(async (err: Error) => {
      // what the store says of the missing ones, and the end of each engine's log
      const states = await pgQuery(
        storeUrl,
        `SELECT m.control_id, m.status, m.error, d.route, d.state, d.attempts FROM messages m
         LEFT JOIN deliveries d ON d.message_id = m.id WHERE m.control_id = ANY($1)`,
        [missing().slice(0, 20)],
      ).catch((e: Error) => [{ error: e.message }]);
      throw new Error(
        `${err.message}: ${missing().length} of ${expected.length} missing, e.g. ${missing().slice(0, 5).join(', ')}; ` +
          `in the store: ${JSON.stringify(states)}; logs: ${procs.map((p) => `${p.name}: ${p.log.slice(-800)}`).join('\n')}`,
      );
    });
    expect(acked.length, 'acknowledged messages').to.be.greaterThan(200);

    const bodiesByKey = new Map<string, Set<string>>();
    const keysByReference = new Map<string, Set<string>>();
    for (const r of sink.requests) {
      const key = String(r.headers['idempotency-key']);
      bodiesByKey.set(key, (bodiesByKey.get(key) ?? new Set()).add(r.body));
      const ref = JSON.parse(r.body).reference as string;
      keysByReference.set(ref, (keysByReference.get(ref) ?? new Set()).add(key));
    }
    expect(
      [...bodiesByKey].filter(([, b]) => b.size > 1).map(([k]) => k),
      'idempotency keys sent with two bodies',
    ).to.deep.equal([]);
    expect(
      [...keysByReference].filter(([, k]) => k.size > 1).map(([r]) => r),
      'messages processed twice (two keys)',
    ).to.deep.equal([]);

    // after the Redis restart the poller still runs on exactly one process
    const after = await waitFor(
      'one poller after the Redis restart',
      async () => {
        const h = await pollerHolders(procs);
        return h.length === 1 ? h : undefined;
      },
      90_000,
    );
    expect(after).to.have.length(1);
  });
});
