import { expect } from 'chai';
import { silentLogger } from '../../../lib/log.js';
import { engineReconciliation } from '../../../engine/reconcile/config.js';
import { MAX_DEFERRED, ReconciliationService, type RunRange, type RunReport } from '../../../engine/reconcile/service.js';
import type { Store } from '../../../engine/store/types.js';
import { openStore } from '../../../engine/store/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { RedisLeases, type Leases } from '../../../lib/lease.js';
import { getRedis, uniquePrefix } from '../../support/redis.js';
import { sleep, until as waitFor } from '../../support/until.js';

// The engine's own service (on the thread that answers senders) hands on-demand runs to the
// processing thread: it must not read or write the store itself, and it remembers the last report.
describe('reconciliation: an on-demand run handed elsewhere', () => {
  it('runs where it is handed, one at a time, without touching the store here, and keeps the last report', async () => {
    const untouchable = new Proxy({} as Store, {
      get: (_t, name) => () => {
        throw new Error(`the store was called here (${String(name)})`);
      },
    });
    const asked: RunRange[] = [];
    let running = 0;
    const report = (r: RunRange): RunReport => ({
      from: r.from,
      to: r.to,
      asOf: '2026-12-05T00:00:00.000Z',
      ms: 1,
      result: { opened: 0, updated: 0, reopened: 0, resolved: 0 } as never,
      summary: {} as never,
    });
    const service = new ReconciliationService({
      store: untouchable,
      config: engineReconciliation.parse({}),
      partners: [],
      tables: async () => ({}),
      log: silentLogger,
      runElsewhere: async (r) => {
        expect(++running, 'runs overlap').to.equal(1);
        asked.push(r);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        return report(r);
      },
    });
    const [a, b] = await Promise.all([
      service.run({ from: '2026-11-01', to: '2026-11-30', actor: 'api' }),
      service.run({ from: '2026-12-01', to: '2026-12-04' }),
    ]);
    expect(asked.map((r) => r.from)).to.deep.equal(['2026-11-01', '2026-12-01']);
    expect([a.from, b.from]).to.deep.equal(['2026-11-01', '2026-12-01']);
    expect(service.last?.from).to.equal('2026-12-01');
  });
});

// A continuous run waits while processing has a backlog, but never more than MAX_DEFERRED intervals
// in a row. The first run (the whole window) never waits.
describe('reconciliation: continuous runs wait for a processing backlog', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('runs at each interval while processing is idle, waits while it is busy, and runs anyway after MAX_DEFERRED intervals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interlace-recon-'));
    dirs.push(dir);
    const store = await openStore(`sqlite:${join(dir, 'messages.db')}`);
    const runs: number[] = [];
    let busy = false;
    let ticks = 0;
    const log = pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          if (/"msg":"reconciliation (run|ran after waiting)/.test(line)) runs.push(ticks);
        },
      },
    );
    const service = new ReconciliationService({
      store,
      config: engineReconciliation.parse({ interval: '20ms' }),
      partners: [],
      tables: async () => ({}),
      log,
      busy: () => {
        ticks++;
        return busy;
      },
    });
    const until = async (what: () => boolean, why: string) => {
      for (const end = Date.now() + 20_000; !what();) {
        if (Date.now() > end) throw new Error(`${why}; runs at ticks ${JSON.stringify(runs)}, ${ticks} ticks`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    busy = true;
    service.start();
    try {
      await until(() => runs.length >= 1, 'the first run expected at once, busy or not');
      expect(runs[0]).to.equal(0);
      busy = false;
      await until(() => runs.length >= 3, 'runs expected at each interval while processing is idle');
      busy = true;
      const before = runs.length;
      const from = ticks;
      await until(() => runs.length > before, 'a run expected once it was put off MAX_DEFERRED times');
      // the run came at the MAX_DEFERRED-th busy tick, not before
      expect(runs[before]! - from).to.be.at.least(MAX_DEFERRED);
      busy = false;
      const after = runs.length;
      await until(() => runs.length > after, 'a run expected at the next idle tick');
    } finally {
      await service.stop();
      await store.close();
    }
  });
});

// Several engine processes share the store: one of them runs continuous reconciliation, and another
// takes over when it stops.
describe('reconciliation: continuous runs in one engine process at a time', () => {
  const dirs: string[] = [];
  const closing: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of closing.splice(0)) await c();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });
  /** A Redis, a key prefix and a SQLite store that the services of a test (its engine processes) share. */
  const shared = async () => {
    const redis = await getRedis();
    const dir = mkdtempSync(join(tmpdir(), 'interlace-recon-'));
    dirs.push(dir);
    const store = await openStore(`sqlite:${join(dir, 'messages.db')}`);
    closing.push(() => store.close());
    return { redis, prefix: uniquePrefix(), store };
  };
  /** One engine process's continuous reconciliation, every 20 ms. */
  const continuous = (store: Store, leases: Leases) =>
    new ReconciliationService({
      store,
      config: engineReconciliation.parse({ interval: '20ms' }),
      partners: [],
      tables: async () => ({}),
      log: silentLogger,
      leases,
    });

  it('runs where the reconciliation lease is held, and moves when its holder stops', async () => {
    const { redis, prefix, store } = await shared();
    const services = [0, 1].map(() => {
      const leases = new RedisLeases(redis.url, prefix);
      closing.push(() => leases.close());
      return continuous(store, leases);
    });
    for (const s of services) s.start();
    await waitFor('a first run', () => services.some((s) => s.last !== undefined));
    await sleep(200); // ten intervals
    const ran = services.map((s) => s.last !== undefined);
    expect(ran.filter(Boolean), `runs in each service: ${JSON.stringify(ran)}`).to.have.length(1);
    const [leader, other] = ran[0] ? [services[0]!, services[1]!] : [services[1]!, services[0]!];
    await leader.stop(); // releases the lease
    await waitFor('the other process to take over once the lease was released', () => other.last !== undefined);
    await other.stop();
  });

  it('keeps running when Redis answers slower than the interval (ticks never overlap, a held lease is never dropped)', async () => {
    const { redis, prefix, store } = await shared();
    const real = new RedisLeases(redis.url, prefix);
    closing.push(() => real.close());
    // Redis answers a take-over after three intervals: a second tick would ask while the first waits
    const slow: Leases = { tryAcquire: async (name, options) => (await sleep(60), real.tryAcquire(name, options)) };
    const reports = new Set<RunReport>();
    const service = continuous(store, slow);
    service.start();
    closing.push(() => service.stop());
    await waitFor(
      'three runs (a dropped lease, still renewed, would stop them for good)',
      () => {
        if (service.last) reports.add(service.last);
        return reports.size >= 3;
      },
      10_000,
    );
  });
});
