import { expect } from 'chai';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Store } from '../../../engine/store/index.js';
import { storeBackends } from '../../support/stores.js';

const HOUR = 3_600_000;

for (const backend of storeBackends({ writerThread: true }))
  describe(`admin tables and business keys (${backend.title})`, function () {
    this.timeout(30_000);
    let location: string;
    let store: Store;
    beforeEach(async () => {
      location = await backend.fresh();
      store = await openStore(location, backend.options);
    });
    afterEach(() => store.close());
    after(() => backend.cleanup());

    it('keeps users, replaces them by name, and lists them in name order', async () => {
      await store.putUser({ name: 'zoe', role: 'viewer', channels: ['or'], disabled: false });
      await store.putUser({ name: 'ann', role: 'analyst', channels: ['*'], passwordHash: 'scrypt$1$2$3$s$h', disabled: false });
      await store.putUser({ name: 'zoe', role: 'operator', channels: ['or', 'lab'], disabled: true });
      const users = await store.listUsers();
      expect(users.map((u) => [u.name, u.role, u.channels, u.disabled])).to.deep.equal([
        ['ann', 'analyst', ['*'], false],
        ['zoe', 'operator', ['or', 'lab'], true],
      ]);
      expect((await store.getUser('ann'))?.passwordHash).to.equal('scrypt$1$2$3$s$h');
      expect(await store.getUser('nobody')).to.equal(undefined);
    });

    it('finds a token by its hash until it is revoked, once', async () => {
      await store.putToken({ id: 't1', name: 'ci', role: 'viewer', channels: ['or'], tokenHash: 'h1', createdBy: 'ann' });
      expect((await store.findToken('h1'))?.revokedAt).to.equal(undefined);
      await store.touchToken('t1');
      expect((await store.findToken('h1'))?.lastUsedAt).to.be.a('string');
      expect(await store.revokeToken('t1')).to.equal(true);
      expect(await store.revokeToken('t1')).to.equal(false);
      expect((await store.findToken('h1'))?.revokedAt).to.be.a('string');
      expect(await store.findToken('h2')).to.equal(undefined);
    });

    it('keeps sessions until deleted, one by one or all of a user', async () => {
      const now = Date.now();
      const s = (idHash: string, user: string) => ({
        idHash,
        user,
        csrf: `c-${idHash}`,
        address: '127.0.0.1',
        createdAt: new Date(now).toISOString(),
        seenAt: new Date(now).toISOString(),
        expiresAt: new Date(now + HOUR).toISOString(),
      });
      await store.putSession(s('a', 'ann'));
      await store.putSession(s('b', 'ann'));
      await store.putSession(s('c', 'zoe'));
      expect((await store.findSession('a'))?.csrf).to.equal('c-a');
      await store.touchSession('a', now + 5, now + 2 * HOUR);
      expect((await store.findSession('a'))?.expiresAt).to.equal(new Date(now + 2 * HOUR).toISOString());
      await store.deleteSession('c');
      expect(await store.findSession('c')).to.equal(undefined);
      await store.deleteSessionsOf('ann');
      expect(await store.findSession('a')).to.equal(undefined);
      expect(await store.findSession('b')).to.equal(undefined);
    });

    it('appends to the audit log, lists it newest first with filters, and the database refuses to change it', async () => {
      for (let i = 0; i < 5; i++)
        await store.appendAudit({ actor: i % 2 ? 'ann' : 'zoe', actorKind: 'user', action: `act-${i}`, outcome: 200, address: '10.0.0.1' });
      const all = await store.listAudit({});
      expect(all.map((e) => e.action)).to.deep.equal(['act-4', 'act-3', 'act-2', 'act-1', 'act-0']);
      expect((await store.listAudit({ actor: 'ann' })).map((e) => e.action)).to.deep.equal(['act-3', 'act-1']);
      expect((await store.listAudit({ before: all[1]!.id, limit: 2 })).map((e) => e.action)).to.deep.equal(['act-2', 'act-1']);
      await store.close();
      // Straight to the database, past the store interface: the table itself is append-only.
      if (backend.name === 'sqlite') {
        const db = new Database(location.slice('sqlite:'.length));
        try {
          expect(() => db.prepare(`UPDATE audit_log SET actor = 'x'`).run()).to.throw(/append-only/);
          expect(() => db.prepare('DELETE FROM audit_log').run()).to.throw(/append-only/);
        } finally {
          db.close();
        }
      } else {
        const client = new pg.Client({ connectionString: location });
        await client.connect();
        try {
          for (const sql of [`UPDATE audit_log SET actor = 'x'`, 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
            const err = await client.query(sql).then(
              () => undefined,
              (e: Error) => e,
            );
            expect(err?.message, sql).to.match(/append-only/);
          }
        } finally {
          await client.end();
        }
      }
      store = await openStore(location, backend.options);
      expect(await store.listAudit({})).to.have.length(5);
    });

    it('finds messages by a business key, by time range and within a channel scope', async () => {
      const a = await store.ingest('or', { raw: Buffer.from('a'), controlId: 'A' }, HOUR);
      const b = await store.ingest('lab', { raw: Buffer.from('b'), controlId: 'B' }, HOUR);
      await store.recordKeys(a.messageId, 'or', [
        { name: 'mrn', value: 'MRN1' },
        { name: 'account', value: 'ACC1' },
      ]);
      await store.recordKeys(b.messageId, 'lab', [{ name: 'mrn', value: 'MRN1' }]);
      // a reprocess finds the keys again: they replace the earlier ones
      await store.recordKeys(a.messageId, 'or', [
        { name: 'mrn', value: 'MRN1' },
        { name: 'account', value: 'ACC2' },
      ]);
      expect(await store.messageKeys(a.messageId)).to.deep.equal([
        { name: 'account', value: 'ACC2' },
        { name: 'mrn', value: 'MRN1' },
      ]);
      const ids = async (q: Parameters<Store['listMessages']>[0]) => (await store.listMessages(q)).map((m) => m.id);
      expect(await ids({ key: { name: 'mrn', value: 'MRN1' } })).to.have.members([a.messageId, b.messageId]);
      expect(await ids({ key: { name: 'mrn', value: 'MRN1' }, channels: ['or'] })).to.deep.equal([a.messageId]);
      expect(await ids({ key: { name: 'account', value: 'ACC1' } })).to.deep.equal([]);
      expect(await ids({ channels: [] })).to.deep.equal([]);
      const future = new Date(Date.now() + HOUR).toISOString();
      const past = new Date(Date.now() - HOUR).toISOString();
      expect(await ids({ from: future })).to.deep.equal([]);
      expect(await ids({ from: past, to: future })).to.have.length(2);
      const perMinute = await store.arrivalsPerMinute(Date.now() - HOUR);
      expect(perMinute.reduce((n, r) => n + r.count, 0)).to.equal(2);
      expect(perMinute.map((r) => r.channel).sort()).to.deep.equal(['lab', 'or']);
      expect(perMinute[0]!.minute % 60000).to.equal(0);
    });

    it('resolves an exception once: error becomes filtered with who and why on its timeline', async () => {
      const { messageId } = await store.ingest('or', { raw: Buffer.from('x'), controlId: 'E' }, HOUR);
      expect(await store.resolveException(messageId, 'ann', 'duplicate charge')).to.equal(false); // still received
      await store.markError(messageId, { code: 'lookup-missing', message: 'no row', rule: 'item' });
      expect((await store.listExceptions({ channels: ['lab'] })).length).to.equal(0);
      expect((await store.listExceptions({ channels: ['or'] })).length).to.equal(1);
      expect(await store.resolveException(messageId, 'ann', 'duplicate charge')).to.equal(true);
      expect(await store.resolveException(messageId, 'ann', 'again')).to.equal(false);
      const m = await store.getMessage(messageId);
      expect(m?.status).to.equal('filtered');
      expect(m?.history.at(-1)).to.include({ status: 'filtered', detail: 'resolved by ann: duplicate charge' });
      expect(await store.listExceptions({})).to.deep.equal([]);
    });
  });
