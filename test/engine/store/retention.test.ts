import { expect } from 'chai';
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { openStore, type Store } from '../../../engine/store/index.js';
import { RetentionService } from '../../../engine/runtime/retention.js';
import { silentLogger } from '../../../lib/log.js';
import { storeBackends } from '../../support/stores.js';

const payload = { body: '{"mrn":"MRN0001"}', contentType: 'application/json' };
const raw = (id: string) => Buffer.from(`MSH|^~\\&|OR|H|ERP|H|20261121||DFT^P03|${id}|P|2.5.1\rPID|1||MRN0001\r`, 'latin1');

for (const backend of storeBackends())
  describe(`retention: purging message content (${backend.name})`, function () {
    this.timeout(30_000);
    let store: Store;
    beforeEach(async () => {
      store = await openStore(await backend.fresh());
    });
    afterEach(() => store.close());
    after(() => backend.cleanup());

    /** A delivered message with a business key, an errored one and one still waiting, on `channel`. */
    async function traffic(channel: string) {
      const delivered = (await store.ingest(channel, { raw: raw(`${channel}-1`), controlId: `${channel}-1` }, 0)).messageId;
      await store.markRouted(delivered, [{ kind: 'charge', mrn: 'MRN0001' }], [{ route: 'erp', payload }]);
      await store.recordAttempt(`${delivered}:erp`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'delivered', status: '201' });
      await store.recordKeys(delivered, channel, [{ name: 'mrn', value: 'MRN0001' }]);
      await store.recordAnswer(delivered, { kind: 'hl7', code: 'AA' });
      const errored = (await store.ingest(channel, { raw: raw(`${channel}-2`), controlId: `${channel}-2` }, 0)).messageId;
      await store.markError(errored, { code: 'unknown-item', message: 'item 999999 is not in the item master' });
      const waiting = (await store.ingest(channel, { raw: raw(`${channel}-3`), controlId: `${channel}-3` }, 0)).messageId;
      return { delivered, errored, waiting };
    }

    it('purges raw, canonical, payloads and keys of final messages received before the cutoff, and keeps the metadata', async () => {
      const or = await traffic('or');
      const lab = await traffic('lab');
      const cutoff = Date.now() + 1000;
      expect(await store.purgeContent('or', cutoff, 100)).to.equal(2); // the waiting one is not final
      expect(await store.purgeContent('or', cutoff, 100)).to.equal(0); // purged once

      const m = (await store.getMessage(or.delivered))!;
      expect(m.raw.length).to.equal(0);
      expect(m.canonical).to.equal(undefined);
      expect(m.contentPurgedAt).to.be.a('string');
      expect(m.deliveries[0]!.payload).to.equal(null);
      // what stays: status, control id, timeline, delivery state and attempts, the acknowledgment ledger
      expect([m.status, m.controlId, m.deliveries[0]!.state, m.deliveries[0]!.attempts]).to.deep.equal([
        'delivered',
        'or-1',
        'delivered',
        1,
      ]);
      expect(m.acks.map((a) => `${a.direction} ${a.code}`)).to.include('sent AA');
      expect(m.history.map((h) => h.detail ?? h.status).pop()).to.match(/^content purged by retention \(received before /);
      expect(await store.messageKeys(or.delivered)).to.deep.equal([]);
      expect(await store.listMessages({ key: { name: 'mrn', value: 'MRN0001' } })).to.have.length(1); // lab's only
      expect((await store.getMessage(or.errored))!.raw.length).to.equal(0);
      expect((await store.getRaw(or.waiting))!.raw.length).to.be.greaterThan(0);
      // another channel is untouched
      expect((await store.getMessage(lab.delivered))!.raw.equals(raw('lab-1'))).to.equal(true);
      expect((await store.getMessage(lab.delivered))!.contentPurgedAt).to.equal(undefined);
    });

    it('purges nothing received after the cutoff, and at most limit messages a call', async () => {
      await traffic('or');
      expect(await store.purgeContent('or', Date.now() - 60_000, 100)).to.equal(0);
      expect(await store.purgeContent('or', Date.now() + 1000, 1)).to.equal(1);
      expect(await store.purgeContent('or', Date.now() + 1000, 1)).to.equal(1);
      expect(await store.purgeContent('or', Date.now() + 1000, 1)).to.equal(0);
    });

    it('runs periodically per channel with its own retention, and writes each purge to the audit log', async () => {
      const or = await traffic('or');
      const lab = await traffic('lab');
      let now = Date.now();
      const service = new RetentionService({
        store,
        channels: [
          { name: 'or', retentionMs: 7 * 86_400_000 },
          { name: 'lab', retentionMs: 30 * 86_400_000 },
          { name: 'pharmacy', retentionMs: undefined },
        ],
        everyMs: 3_600_000,
        batch: 1,
        log: silentLogger,
        now: () => now,
      });
      expect(await service.run()).to.deep.equal({});
      now += 8 * 86_400_000; // past or's 7 days, not lab's 30
      const orCutoff = new Date(now - 7 * 86_400_000).toISOString();
      expect(await service.run()).to.deep.equal({ or: 2 });
      expect((await store.getMessage(or.delivered))!.contentPurgedAt).to.be.a('string');
      expect((await store.getMessage(lab.delivered))!.contentPurgedAt).to.equal(undefined);
      now += 30 * 86_400_000;
      expect(await service.run()).to.deep.equal({ lab: 2 });
      const audit = await store.listAudit({ action: 'retention.purge' });
      expect(audit.map((e) => `${e.actor} ${e.actorKind} ${e.target} ${e.outcome} ${e.detail}`)).to.deep.equal([
        `retention service lab 200 2 messages received before ${new Date(now - 30 * 86_400_000).toISOString()}: content purged`,
        `retention service or 200 2 messages received before ${orCutoff}: content purged`,
      ]);
      expect((await store.getRaw(lab.waiting))!.raw.length).to.be.greaterThan(0); // still waiting: never purged
    });

    it('purges the oldest content past a channel size, then returns the space to the file system', async () => {
      const big = (i: number) => Buffer.concat([raw(`big-${i}`), Buffer.alloc(100 * 1024, 0x41)]);
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const id = (await store.ingest('big', { raw: big(i), controlId: `big-${i}` }, 0)).messageId;
        await store.markFiltered(id, 'not for us');
        ids.push(id);
        await new Promise((r) => setTimeout(r, 2)); // distinct receive times
      }
      const waiting = (await store.ingest('big', { raw: big(60), controlId: 'big-60' }, 0)).messageId;
      const size = big(0).length;
      const file = store.location.startsWith('sqlite:') ? store.location.slice('sqlite:'.length) : undefined;
      /** The SQLite file's size once its WAL is written back into it. */
      const fileSize = () => {
        const db = new Database(file!);
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
        return statSync(file!).size;
      };
      const before = file ? fileSize() : 0;

      const service = new RetentionService({
        store,
        channels: [
          { name: 'big', retentionMs: undefined, maxBytes: 10 * size + 100 },
          { name: 'or', retentionMs: undefined },
        ],
        everyMs: 3_600_000,
        // the size is read 7 messages at a time: the cutoff is found on the second page
        sizePage: 7,
        log: silentLogger,
      });
      // the waiting message counts toward the size but is never purged: the 50 oldest finished ones go
      expect(await service.run()).to.deep.equal({ big: 51 });
      const purged = await Promise.all(ids.map(async (id) => (await store.getMessage(id))!.contentPurgedAt !== undefined));
      expect(purged.indexOf(false)).to.equal(51);
      expect(purged.slice(51).every((p) => !p)).to.equal(true);
      expect((await store.getRaw(waiting))!.raw.length).to.equal(big(60).length);
      expect(await service.run()).to.deep.equal({}); // within the size now
      const audit = await store.listAudit({ action: 'retention.purge' });
      expect(audit[0]?.detail).to.match(/^51 messages received before /);

      if (file) {
        // 51 × 100 KiB freed and returned: the file shrinks by at least 4 MiB
        const after = fileSize();
        expect(service.reclaimed, `reclaimed ${service.reclaimed}`).to.be.greaterThan(4 * 1024 * 1024);
        expect(before - after, `${before} → ${after} bytes`).to.be.greaterThan(4 * 1024 * 1024);
      } else expect(service.reclaimed).to.equal(0); // PostgreSQL: autovacuum's work
    });
  });
