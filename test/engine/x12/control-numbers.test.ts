import { expect } from 'chai';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../engine/store/index.js';
import { MAX_CONTROL_NUMBER } from '../../../engine/store/rows.js';
import { pgQuery } from '../../support/postgres.js';
import { storeBackends } from '../../support/stores.js';

const fixture = fileURLToPath(new URL('./fixtures/allocate.ts', import.meta.url));

function runChild(path: string, partner: string, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path, partner, String(count)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`allocate child exited ${code}`))));
  });
}

for (const backend of storeBackends({ writerThread: true }))
  describe(`X12 control numbers (store: ${backend.title})`, function () {
    this.timeout(30_000);
    let path: string;
    beforeEach(async () => {
      path = await backend.fresh();
    });
    after(() => backend.cleanup());

    it('counts from 1 per partner and level, and keeps counting after the store is reopened', async () => {
      let store = await openStore(path, backend.options);
      const a = await store.nextControlNumbers('acme-medical', { interchanges: 1, groups: 2, sets: 3 });
      expect(a).to.deep.equal({ interchanges: [1], groups: [1, 2], sets: [1, 2, 3] });
      const other = await store.nextControlNumbers('other-partner', { interchanges: 1 });
      expect(other.interchanges).to.deep.equal([1]);
      await store.close();
      store = await openStore(path, backend.options);
      const b = await store.nextControlNumbers('acme-medical', { interchanges: 2, groups: 1, sets: 1 });
      expect(b).to.deep.equal({ interchanges: [2, 3], groups: [3], sets: [4] });
      await store.close();
    });

    it('never hands out the same number to callers in the same tick', async () => {
      const store = await openStore(path, backend.options);
      const all = await Promise.all(
        Array.from({ length: 200 }, () => store.nextControlNumbers('acme-medical', { interchanges: 1, sets: 3 })),
      );
      const isa = all.map((n) => n.interchanges[0]!);
      const sets = all.flatMap((n) => n.sets);
      expect(new Set(isa).size).to.equal(200);
      expect(Math.max(...isa)).to.equal(200);
      expect(new Set(sets).size).to.equal(600);
      await store.close();
    });

    it('never hands out the same number to several processes sharing the database', async function () {
      this.timeout(60_000);
      await (await openStore(path, backend.options)).close(); // create the schema once
      const results = await Promise.all([
        runChild(path, 'acme-medical', 150),
        runChild(path, 'acme-medical', 150),
        runChild(path, 'acme-medical', 150),
      ]);
      const all = results.flat();
      expect(all).to.have.length(450);
      expect(new Set(all).size).to.equal(450);
      expect([...all].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 450 }, (_, i) => i + 1));
      for (const r of results) expect(r).to.deep.equal([...r].sort((x, y) => x - y)); // monotonic within each process
    });

    it('rolls over from 999999999 to 1', async () => {
      const store = await openStore(path, backend.options);
      await store.nextControlNumbers('acme-medical', { interchanges: 1, groups: 1, sets: 1 });
      await store.close();
      if (backend.name === 'sqlite') {
        const db = new Database(path.slice('sqlite:'.length));
        db.prepare('UPDATE x12_control_numbers SET last = ?').run(MAX_CONTROL_NUMBER - 1);
        db.close();
      } else {
        await pgQuery(path, 'UPDATE x12_control_numbers SET last = $1', [MAX_CONTROL_NUMBER - 1]);
      }
      const again = await openStore(path, backend.options);
      const n = await again.nextControlNumbers('acme-medical', { interchanges: 3, groups: 1, sets: 2 });
      expect(n.interchanges).to.deep.equal([MAX_CONTROL_NUMBER, 1, 2]);
      expect(n.groups).to.deep.equal([MAX_CONTROL_NUMBER]);
      expect(n.sets).to.deep.equal([MAX_CONTROL_NUMBER, 1]);
      const next = await again.nextControlNumbers('acme-medical', { interchanges: 1 });
      expect(next.interchanges).to.deep.equal([3]);
      await again.close();
    });

    it('refuses a request that is not a small whole number, without taking any', async () => {
      const store = await openStore(path, backend.options);
      for (const bad of [-1, 1.5, 10_001, Number.NaN]) {
        let err: unknown;
        await store.nextControlNumbers('acme-medical', { sets: bad }).catch((e) => (err = e));
        expect(err, String(bad)).to.be.instanceOf(RangeError);
      }
      expect((await store.nextControlNumbers('acme-medical', { sets: 1 })).sets).to.deep.equal([1]);
      await store.close();
    });
  });
