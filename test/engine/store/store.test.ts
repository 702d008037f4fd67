import { expect } from 'chai';
import { lastIdAt } from '../../../engine/store/ids.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../../engine/store/index.js';
import { StoreError } from '../../../lib/errors.js';
import { storeBackends } from '../../support/stores.js';

const HOUR = 3_600_000;
const payload = { body: '{"a":1}', contentType: 'application/json' };

for (const backend of storeBackends({ writerThread: true }))
  describe(`message store (${backend.title})`, function () {
    this.timeout(30_000);
    let location: string;
    let store: Store;
    /** More stores on the same database: other engine processes (or threads) writing at once. */
    let others: Store[];
    beforeEach(async () => {
      location = await backend.fresh();
      store = await openStore(location, backend.options);
      others = [];
    });
    afterEach(async () => {
      await Promise.all([store, ...others].map((s) => s.close()));
    });
    after(() => backend.cleanup());
    const another = async () => {
      const s = await openStore(location, backend.options);
      others.push(s);
      return s;
    };

    it('stores raw bytes unchanged and reports the ingest to listeners after the commit', async () => {
      const seen: string[] = [];
      store.onIngested((batch) => seen.push(...batch.map((m) => m.id)));
      const raw = Buffer.from([0x4d, 0x53, 0x48, 0x7c, 0xe9, 0x00, 0xff, 0x0d]);
      const r = await store.ingest('or', { raw, controlId: 'C1', sender: 'OR^HOSP' }, HOUR);
      expect(r.duplicate).to.equal(false);
      const m = await store.getMessage(r.messageId);
      expect(m?.raw.equals(raw)).to.equal(true);
      expect(m?.status).to.equal('received');
      expect(m?.history.map((h) => h.status)).to.deep.equal(['received']);
      expect(seen).to.deep.equal([r.messageId]);
    });

    it('commits writes of the same tick together and keeps them all', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.ingest('or', { raw: Buffer.from(`m${i}`), controlId: `C${i}`, sender: 'S' }, HOUR)),
      );
      expect(new Set(results.map((r) => r.messageId)).size).to.equal(50);
      const counts = await store.channelCounts();
      expect(counts.or?.received).to.equal(50);
    });

    it('counts messages per channel and status through every change of status (the dashboard counts)', async () => {
      const id = async (channel: string, n: number) =>
        (await store.ingest(channel, { raw: Buffer.from(`${channel}${n}`), controlId: `${channel}-${n}`, sender: 'S' }, HOUR)).messageId;
      const payload = { body: '{}', contentType: 'application/json' };
      const [a, b, c, d, e] = [await id('or', 1), await id('or', 2), await id('or', 3), await id('lab', 1), await id('lab', 2)];
      await store.ingest('or', { raw: Buffer.from('or1 again'), controlId: 'or-1', sender: 'S' }, HOUR); // duplicate at the door
      await store.markRouted(a, [], [{ route: 'erp', payload }]);
      await store.recordAttempt(`${a}:erp`, { attempt: 1, state: 'delivered', startedAt: 0, finishedAt: 1, status: '200' });
      await store.markRouted(b, [], [{ route: 'erp', payload }]);
      await store.markError(c, { code: 'unknown-item', message: 'item 9 is not in the item master' });
      await store.markFiltered(d, 'not for us');
      expect(await store.resetForReprocess(c)).to.equal(true); // error → received again
      await store.markFiltered(e, 'not for us');
      const counts = await store.channelCounts();
      const pick = (x: Record<string, number> | undefined) =>
        Object.fromEntries(Object.entries(x ?? {}).filter(([k, v]) => v !== 0 && k !== 'queued'));
      expect(pick(counts.or as never)).to.deep.equal({ received: 1, routed: 1, delivered: 1, duplicate: 1 });
      expect(counts.or?.queued).to.equal(2);
      expect(pick(counts.lab as never)).to.deep.equal({ filtered: 2 });
      // the same as counting every message
      const all = await store.listMessages({ limit: 1000 });
      const counted: Record<string, Record<string, number>> = {};
      for (const m of all) (counted[m.channel] ??= {})[m.status] = (counted[m.channel]![m.status] ?? 0) + 1;
      expect({ or: pick(counts.or as never), lab: pick(counts.lab as never) }).to.deep.equal(counted);
    });

    it('lists the messages received before a time (to=), newest first, whatever was received after it', async () => {
      const early = (await store.ingest('or', { raw: Buffer.from('a'), controlId: 'T1' }, HOUR)).messageId;
      await new Promise((r) => setTimeout(r, 5));
      const cut = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      const late = (await store.ingest('or', { raw: Buffer.from('b'), controlId: 'T2' }, HOUR)).messageId;
      expect((await store.listMessages({ to: cut })).map((m) => m.id)).to.deep.equal([early]);
      expect((await store.listMessages({ from: cut })).map((m) => m.id)).to.deep.equal([late]);
      // ids sort by the time they were made: each is at most the last id of its receive time
      for (const id of [early, late]) {
        const m = (await store.getMessage(id))!;
        expect(id <= lastIdAt(Date.parse(m.receivedAt)), `${id} made after ${m.receivedAt}`).to.equal(true);
        expect(id > lastIdAt(Date.parse(m.receivedAt) - 1000)).to.equal(true);
      }
    });

    it('survives closing and reopening the file', async () => {
      const r = await store.ingest('or', { raw: Buffer.from('x'), controlId: 'C1' }, HOUR);
      await store.close();
      store = await openStore(location, backend.options);
      expect((await store.getMessage(r.messageId))?.raw.toString()).to.equal('x');
    });

    it('detects a duplicate control id from the same sender within the window, even when both arrive at once', async () => {
      const results = await Promise.all([
        store.ingest('or', { raw: Buffer.from('1'), controlId: 'C1', sender: 'S' }, HOUR),
        store.ingest('or', { raw: Buffer.from('2'), controlId: 'C1', sender: 'S' }, HOUR),
      ]);
      const a = results.find((r) => !r.duplicate);
      const b = results.find((r) => r.duplicate);
      expect(a, 'one original').to.not.equal(undefined);
      expect(b, 'one duplicate').to.not.equal(undefined);
      expect(b!.originalMessageId).to.equal(a!.messageId);
      expect((await store.getMessage(b!.messageId))?.status).to.equal('duplicate');
      // another sender, another channel, or no window: not a duplicate
      expect((await store.ingest('or', { raw: Buffer.from('3'), controlId: 'C1', sender: 'T' }, HOUR)).duplicate).to.equal(false);
      expect((await store.ingest('adt', { raw: Buffer.from('4'), controlId: 'C1', sender: 'S' }, HOUR)).duplicate).to.equal(false);
      expect((await store.ingest('or', { raw: Buffer.from('5'), controlId: 'C1', sender: 'S' }, 0)).duplicate).to.equal(false);
    });

    it('does not count a rejected message as the original of a corrected resend', async () => {
      const bad = await store.ingest(
        'or',
        {
          raw: Buffer.from('bad'),
          controlId: 'C9',
          sender: 'S',
          rejected: { diagnostics: [{ severity: 'error', code: 'missing-msh', message: 'no MSH' }] },
        },
        HOUR,
      );
      const good = await store.ingest('or', { raw: Buffer.from('good'), controlId: 'C9', sender: 'S' }, HOUR);
      expect(good.duplicate).to.equal(false);
      const m = await store.getMessage(bad.messageId);
      expect(m?.status).to.equal('rejected');
      expect(m?.error?.code).to.equal('missing-msh');
    });

    it('records what we answered in the acknowledgment ledger', async () => {
      const r = await store.ingest('or', { raw: Buffer.from('x'), controlId: 'C1' }, HOUR);
      await store.recordAnswer(r.messageId, { kind: 'hl7-ack', code: 'AA' });
      const m = await store.getMessage(r.messageId);
      expect(m?.acks).to.have.length(1);
      expect(m?.acks[0]).to.include({ direction: 'sent', kind: 'hl7-ack', code: 'AA' });
    });

    it('routes a message, records every attempt, and settles as delivered when every delivery is', async () => {
      const r = await store.ingest('or', { raw: Buffer.from('x') }, HOUR);
      const ds = await store.markRouted(
        r.messageId,
        [{ kind: 'charge' }],
        [
          { route: 'erp', payload },
          { route: 'billing', payload },
        ],
      );
      expect(ds && ds.map((d) => d.idempotencyKey)).to.deep.equal([`${r.messageId}:erp`, `${r.messageId}:billing`]);
      await store.recordAttempt(`${r.messageId}:erp`, {
        startedAt: 0,
        finishedAt: 1,
        attempt: 1,
        state: 'retrying',
        status: '503',
        body: 'busy',
      });
      await store.recordAttempt(`${r.messageId}:erp`, {
        startedAt: 0,
        finishedAt: 1,
        attempt: 2,
        state: 'delivered',
        status: '201',
        body: 'ok',
      });
      expect((await store.getMessage(r.messageId))?.status).to.equal('routed');
      await store.recordAttempt(`${r.messageId}:billing`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'delivered', status: '200' });
      const m = await store.getMessage(r.messageId);
      expect(m?.status).to.equal('delivered');
      expect(m?.canonical).to.deep.equal([{ kind: 'charge' }]);
      expect(m?.acks.map((a) => `${a.kind}:${a.code}:${a.attempt}`)).to.deep.equal(['erp:503:1', 'erp:201:2', 'billing:200:1']);
      expect(await store.beginAttempt(`${r.messageId}:erp`, 3)).to.equal(false);
    });

    it('marks a message failed when a delivery is dead-lettered; only settled messages run again, and existing deliveries keep their content', async () => {
      const r = await store.ingest('or', { raw: Buffer.from('x') }, HOUR);
      await store.markRouted(
        r.messageId,
        [],
        [
          { route: 'a', payload },
          { route: 'b', payload },
        ],
      );
      await store.recordAttempt(`${r.messageId}:a`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'delivered', status: '200' });
      expect(await store.resetForReprocess(r.messageId)).to.equal(false); // routed: b is still in flight
      await store.recordAttempt(`${r.messageId}:b`, {
        startedAt: 0,
        finishedAt: 1,
        attempt: 1,
        state: 'dead',
        status: '400',
        error: { code: 'http-rejected', message: '400' },
      });
      expect((await store.getMessage(r.messageId))?.status).to.equal('failed');
      expect(await store.resetForReprocess(r.messageId)).to.equal(false); // failed: retry the dead delivery instead

      const d = await store.ingest('or', { raw: Buffer.from('y') }, HOUR);
      await store.markRouted(d.messageId, [], [{ route: 'a', payload }]);
      await store.recordAttempt(`${d.messageId}:a`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'delivered', status: '200' });
      expect(await store.resetForReprocess(d.messageId)).to.equal(true);
      const again = await store.markRouted(
        d.messageId,
        [],
        [
          { route: 'a', payload: { body: 'changed', contentType: 'text/plain' } },
          { route: 'c', payload: { body: 'new route', contentType: 'text/plain' } },
        ],
      );
      expect(again && again.find((x) => x.route === 'a')).to.deep.include({ state: 'delivered' });
      expect(again && again.find((x) => x.route === 'a')?.payload.body).to.equal('{"a":1}');
      expect(again && again.find((x) => x.route === 'c')?.state).to.equal('pending');
    });

    it('routes a business case once: a later message with the same business key becomes a duplicate of the routed one, with no delivery', async () => {
      const key = { name: 'case', value: 'ACCT1 TX1 TX2' };
      const ingestWithKey = async (raw: string, channel = 'or') => {
        const r = await store.ingest(channel, { raw: Buffer.from(raw) }, HOUR);
        await store.recordKeys(r.messageId, channel, [key, { name: 'account', value: 'ACCT1' }]);
        return r.messageId;
      };
      // the first of the case is in the exception queue: it routed nothing, so it is no original
      const failed = await ingestWithKey('in error');
      await store.markError(failed, { code: 'x', message: 'y' });
      const first = await ingestWithKey('first');
      const routed = await store.markRouted(first, [], [{ route: 'erp', payload }], undefined, key);
      expect(Array.isArray(routed) && routed.map((d) => d.id)).to.deep.equal([`${first}:erp`]);
      const second = await ingestWithKey('second');
      expect(await store.markRouted(second, [{ kind: 'supply-usage' }], [{ route: 'erp', payload }], undefined, key)).to.deep.equal({
        duplicateOf: first,
      });
      const m = await store.getMessage(second);
      expect(m).to.deep.include({ status: 'duplicate', duplicateOf: first, deliveries: [] });
      expect(m!.history.at(-1)).to.deep.include({
        status: 'duplicate',
        detail: `duplicate of message ${first}: same case (duplicates.key); not routed again`,
      });
      expect(await store.resetForReprocess(second)).to.equal(false);
      // reprocessing the original finds only itself: it is routed again as before
      await store.recordAttempt(`${first}:erp`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'delivered', status: '200' });
      expect(await store.resetForReprocess(first)).to.equal(true);
      expect(Array.isArray(await store.markRouted(first, [], [{ route: 'erp', payload }], undefined, key))).to.equal(true);
      // another channel's key of the same name and value is another business
      const elsewhere = await ingestWithKey('other channel', 'adt');
      expect(Array.isArray(await store.markRouted(elsewhere, [], [{ route: 'erp', payload }], undefined, key))).to.equal(true);
    });

    it('two messages of one business case routed at once, from two store connections: exactly one is routed', async () => {
      const other = await another();
      const key = { name: 'case', value: 'ACCT2 TX9' };
      for (let round = 0; round < 5; round++) {
        const value = `${key.value}-${round}`;
        const ids: string[] = [];
        for (const raw of ['hl7', 'fhir']) {
          const r = await store.ingest('or', { raw: Buffer.from(`${raw} ${round}`) }, HOUR);
          await store.recordKeys(r.messageId, 'or', [{ name: 'case', value }]);
          ids.push(r.messageId);
        }
        const results = await Promise.all([
          store.markRouted(ids[0]!, [], [{ route: 'erp', payload }], undefined, { name: 'case', value }),
          other.markRouted(ids[1]!, [], [{ route: 'erp', payload }], undefined, { name: 'case', value }),
        ]);
        const routedIds = ids.filter((_, i) => Array.isArray(results[i]));
        expect(routedIds, `round ${round}`).to.have.length(1);
        const duplicate = results.find((r) => r && !Array.isArray(r));
        expect(duplicate).to.deep.equal({ duplicateOf: routedIds[0] });
      }
    });

    it('refuses processing outcomes for a message that is no longer received', async () => {
      const r = await store.ingest('or', { raw: Buffer.from('x') }, HOUR);
      expect(await store.markFiltered(r.messageId, 'not a charge')).to.equal(true);
      expect(await store.markError(r.messageId, { code: 'x', message: 'y' })).to.equal(false);
      expect(await store.markRouted(r.messageId, [], [])).to.equal(false);
      const m = await store.getMessage(r.messageId);
      expect(m?.history.map((h) => h.status)).to.deep.equal(['received', 'filtered']);
    });

    it('lists what is pending for recovery, oldest first', async () => {
      const a = await store.ingest('or', { raw: Buffer.from('a') }, HOUR);
      const b = await store.ingest('or', { raw: Buffer.from('b') }, HOUR);
      await store.markRouted(b.messageId, [], [{ route: 'erp', payload }]);
      expect((await store.pendingMessages(10)).map((m) => m.id)).to.deep.equal([a.messageId]);
      expect((await store.pendingDeliveries(10)).map((d) => d.id)).to.deep.equal([`${b.messageId}:erp`]);
      expect(await store.pendingMessages(10, 0, ['adt'])).to.deep.equal([]);
      expect((await store.pendingMessages(10, 0, ['adt', 'or'])).map((m) => m.id)).to.deep.equal([a.messageId]);
      expect(await store.pendingDeliveries(10, 0, [])).to.deep.equal([]);
    });

    it('filters listings by channel, status and control id', async () => {
      await store.ingest('or', { raw: Buffer.from('a'), controlId: 'A1' }, HOUR);
      const b = await store.ingest('adt', { raw: Buffer.from('b'), controlId: 'B1' }, HOUR);
      expect((await store.listMessages({ channel: 'adt' })).map((m) => m.id)).to.deep.equal([b.messageId]);
      expect((await store.listMessages({ controlId: 'A1' })).map((m) => m.controlId)).to.deep.equal(['A1']);
      expect(await store.listMessages({ status: 'delivered' })).to.deep.equal([]);
    });

    it('lists the exception queue newest first, by channel and by the rule or code that failed', async () => {
      const a = await store.ingest('or', { raw: Buffer.from('a') }, HOUR);
      const b = await store.ingest('or', { raw: Buffer.from('b') }, HOUR);
      const c = await store.ingest('adt', { raw: Buffer.from('c') }, HOUR);
      const d = await store.ingest('or', { raw: Buffer.from('d') }, HOUR);
      await store.markError(a.messageId, { code: 'rule-failed', message: 'no account', rule: 'has-account', field: 'PID-18', value: '' });
      await store.markError(b.messageId, { code: 'missing-msh', message: 'no MSH' });
      await store.markError(c.messageId, { code: 'rule-failed', message: 'no account', rule: 'has-account' });
      await store.markFiltered(d.messageId, 'not a charge');
      expect((await store.listExceptions({})).map((m) => m.id)).to.deep.equal([c.messageId, b.messageId, a.messageId]);
      expect((await store.listExceptions({ channel: 'or' })).map((m) => m.id)).to.deep.equal([b.messageId, a.messageId]);
      expect((await store.listExceptions({ reason: 'has-account' })).map((m) => m.id)).to.deep.equal([c.messageId, a.messageId]);
      expect((await store.listExceptions({ reason: 'missing-msh' })).map((m) => m.id)).to.deep.equal([b.messageId]);
      expect((await store.listExceptions({ channel: 'or', reason: 'has-account' }))[0]!.error).to.include({
        rule: 'has-account',
        field: 'PID-18',
      });
      expect((await store.listExceptions({ before: b.messageId })).map((m) => m.id)).to.deep.equal([a.messageId]);
      expect((await store.listExceptions({ limit: 1 })).map((m) => m.id)).to.deep.equal([c.messageId]);
    });

    it('keeps file summaries, newest first, by channel', async () => {
      const summary = { bytesRead: 10, rowsRead: 3, accepted: 2, rejected: 1, messages: 3, problems: [] };
      const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 8, 0, s)).toISOString();
      await store.recordFileSummary({
        channel: 'items',
        file: 'a.csv',
        sha256: 'aa',
        bytes: 10,
        startedAt: at(0),
        finishedAt: at(1),
        summary,
      });
      await store.recordFileSummary({
        channel: 'items',
        file: 'b.csv',
        sha256: 'bb',
        bytes: 20,
        startedAt: at(2),
        finishedAt: at(3),
        summary: { ...summary, rejected: 0 },
      });
      await store.recordFileSummary({
        channel: 'prices',
        file: 'c.csv',
        sha256: 'cc',
        bytes: 5,
        startedAt: at(4),
        finishedAt: at(5),
        summary,
      });
      const items = await store.listFileSummaries({ channel: 'items' });
      expect(items.map((f) => [f.file, f.bytes, f.summary.rejected])).to.deep.equal([
        ['b.csv', 20, 0],
        ['a.csv', 10, 1],
      ]);
      expect(items[1]).to.deep.include({ sha256: 'aa', startedAt: at(0), finishedAt: at(1) });
      expect((await store.listFileSummaries({ limit: 1 })).map((f) => f.file)).to.deep.equal(['c.csv']);
    });

    it('reopens a dead delivery: it is retrying again and its message routed', async () => {
      const r = await store.ingest('or', { raw: Buffer.from('x') }, HOUR);
      await store.markRouted(r.messageId, [], [{ route: 'erp', payload }]);
      const id = `${r.messageId}:erp`;
      await store.recordAttempt(id, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'dead', status: '400' });
      expect((await store.getMessage(r.messageId))?.status).to.equal('failed');
      await store.reopen(id);
      expect((await store.getDelivery(id))?.state).to.equal('retrying');
      expect((await store.getMessage(r.messageId))?.status).to.equal('routed');
      expect(await store.beginAttempt(id, 2)).to.equal(true);
    });

    it('gives the raw bytes and status of a message, and knows an interchange seen within a window', async () => {
      const raw = Buffer.from([0x49, 0x53, 0x41, 0xe2, 0x00]);
      const r = await store.ingest('edi', { raw, controlId: '000000301', sender: 'ACMEMEDICAL' }, HOUR);
      const got = await store.getRaw(r.messageId);
      expect(got?.raw.equals(raw)).to.equal(true);
      expect(got).to.include({ channel: 'edi', status: 'received' });
      expect(await store.getRaw('no-such-message')).to.equal(undefined);
      const since = Date.now() - HOUR;
      expect(await store.seenInterchange('ACMEMEDICAL', '000000301', since)).to.equal(true);
      expect(await store.seenInterchange('ACMEMEDICAL', '000000301', since, r.messageId), 'itself does not count').to.equal(false);
      expect(await store.seenInterchange('OTHER', '000000301', since)).to.equal(false);
      expect(await store.seenInterchange('ACMEMEDICAL', '000000301', Date.now() + HOUR), 'outside the window').to.equal(false);
      expect(await store.ping()).to.equal(true);
    });

    it('says where it could not open the store', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'interlace-store-bad-'));
      writeFileSync(join(dir, 'a-file'), '');
      const bad = backend.name === 'sqlite' ? `sqlite:${join(dir, 'a-file', 'messages.db')}` : 'postgres://nobody:secret@127.0.0.1:1/none';
      const err = await openStore(bad, backend.options).then(
        () => undefined,
        (e: unknown) => e,
      );
      rmSync(dir, { recursive: true, force: true });
      expect(err).to.be.instanceOf(StoreError);
      const where = backend.name === 'sqlite' ? bad.slice('sqlite:'.length) : 'postgres://nobody:***@127.0.0.1:1/none';
      expect((err as Error).message).to.contain(`cannot open the message store at ${where}`);
      expect((err as Error).message, 'no password in the message').to.not.contain('secret');
    });

    describe('several writers on one database', () => {
      it('finds exactly one original among many copies of a control id sent through several stores at once', async () => {
        const stores = [store, await another(), await another()];
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            stores[i % 3]!.ingest('or', { raw: Buffer.from(`copy ${i}`), controlId: 'SAME', sender: 'S' }, HOUR),
          ),
        );
        const originals = results.filter((r) => !r.duplicate);
        expect(originals, 'originals').to.have.length(1);
        for (const r of results.filter((x) => x.duplicate)) expect(r.originalMessageId).to.equal(originals[0]!.messageId);
      });

      it('never hands out a control number twice across stores', async () => {
        const stores = [store, await another(), await another()];
        const all = await Promise.all(
          Array.from({ length: 90 }, (_, i) => stores[i % 3]!.nextControlNumbers('acme', { interchanges: 1, sets: 2 })),
        );
        const isa = all.map((n) => n.interchanges[0]!);
        expect([...isa].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 90 }, (_, i) => i + 1));
        expect(new Set(all.flatMap((n) => n.sets)).size).to.equal(180);
      });

      it('routes a message once when several stores try at once, and one idempotency key keeps one body', async () => {
        const r = await store.ingest('or', { raw: Buffer.from('x') }, HOUR);
        const stores = [store, await another(), await another()];
        const outcomes = await Promise.all(
          stores.map((s, i) =>
            s.markRouted(r.messageId, [{ n: i }], [{ route: 'erp', payload: { body: `body ${i}`, contentType: 'text/plain' } }]),
          ),
        );
        const winners = outcomes.filter((o) => o !== false);
        expect(winners, 'markRouted that succeeded').to.have.length(1);
        const d = await store.getDelivery(`${r.messageId}:erp`);
        expect(d?.payload.body).to.equal(winners[0]![0]!.payload.body);
        expect((await store.getMessage(r.messageId))?.history.map((h) => h.status)).to.deep.equal(['received', 'routed']);
      });

      it('settles a message once when its routes finish in different stores at the same moment', async () => {
        const routes = ['a', 'b', 'c', 'd', 'e', 'f'];
        const r = await store.ingest('or', { raw: Buffer.from('x') }, HOUR);
        await store.markRouted(
          r.messageId,
          [],
          routes.map((route) => ({ route, payload })),
        );
        const stores = [store, await another(), await another()];
        await Promise.all(
          routes.map((route, i) =>
            stores[i % 3]!.recordAttempt(`${r.messageId}:${route}`, {
              startedAt: 0,
              finishedAt: 1,
              attempt: 1,
              state: 'delivered',
              status: '200',
            }),
          ),
        );
        const m = await store.getMessage(r.messageId);
        expect(m?.status).to.equal('delivered');
        expect(m?.history.map((h) => h.status)).to.deep.equal(['received', 'routed', 'delivered']);
      });

      it('lets exactly one processing outcome win for a message', async () => {
        const r = await store.ingest('or', { raw: Buffer.from('x') }, HOUR);
        const other = await another();
        const [f, e] = await Promise.all([
          store.markFiltered(r.messageId, 'rule'),
          other.markError(r.messageId, { code: 'x', message: 'y' }),
        ]);
        expect([f, e].filter(Boolean)).to.have.length(1);
        expect((await store.getMessage(r.messageId))?.history).to.have.length(2);
      });
    });
  });
