import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../engine/store/index.js';
import { StoreError } from '../../../lib/errors.js';

const HOUR = 3_600_000;
const payload = { body: '{"a":1}', contentType: 'application/json' };

describe('SQLite message store', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-store-'));
    store = new SqliteStore({ path: join(dir, 'messages.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

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

  it('survives closing and reopening the file', async () => {
    const r = await store.ingest('or', { raw: Buffer.from('x'), controlId: 'C1' }, HOUR);
    await store.close();
    store = new SqliteStore({ path: join(dir, 'messages.db') });
    expect((await store.getMessage(r.messageId))?.raw.toString()).to.equal('x');
  });

  it('detects a duplicate control id from the same sender within the window, even in the same group commit', async () => {
    const [a, b] = await Promise.all([
      store.ingest('or', { raw: Buffer.from('1'), controlId: 'C1', sender: 'S' }, HOUR),
      store.ingest('or', { raw: Buffer.from('2'), controlId: 'C1', sender: 'S' }, HOUR),
    ]);
    expect(a!.duplicate).to.equal(false);
    expect(b!.duplicate).to.equal(true);
    expect(b!.originalMessageId).to.equal(a!.messageId);
    expect((await store.getMessage(b!.messageId))?.status).to.equal('duplicate');
    // another sender, another channel, or no window: not a duplicate
    expect((await store.ingest('or', { raw: Buffer.from('3'), controlId: 'C1', sender: 'T' }, HOUR)).duplicate).to.equal(false);
    expect((await store.ingest('adt', { raw: Buffer.from('4'), controlId: 'C1', sender: 'S' }, HOUR)).duplicate).to.equal(false);
    expect((await store.ingest('or', { raw: Buffer.from('5'), controlId: 'C1', sender: 'S' }, 0)).duplicate).to.equal(false);
  });

  it('does not count a rejected message as the original of a corrected resend', async () => {
    const bad = await store.ingest('or', { raw: Buffer.from('bad'), controlId: 'C9', sender: 'S', rejected: { diagnostics: [{ severity: 'error', code: 'missing-msh', message: 'no MSH' }] } }, HOUR);
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
    const ds = await store.markRouted(r.messageId, [{ kind: 'charge' }], [
      { route: 'erp', payload },
      { route: 'billing', payload },
    ]);
    expect(ds && ds.map((d) => d.idempotencyKey)).to.deep.equal([`${r.messageId}:erp`, `${r.messageId}:billing`]);
    await store.recordAttempt(`${r.messageId}:erp`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'retrying', status: '503', body: 'busy' });
    await store.recordAttempt(`${r.messageId}:erp`, { startedAt: 0, finishedAt: 1, attempt: 2, state: 'delivered', status: '201', body: 'ok' });
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
    await store.markRouted(r.messageId, [], [{ route: 'a', payload }, { route: 'b', payload }]);
    await store.recordAttempt(`${r.messageId}:a`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'delivered', status: '200' });
    expect(await store.resetForReprocess(r.messageId)).to.equal(false); // routed: b is still in flight
    await store.recordAttempt(`${r.messageId}:b`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'dead', status: '400', error: { code: 'http-rejected', message: '400' } });
    expect((await store.getMessage(r.messageId))?.status).to.equal('failed');
    expect(await store.resetForReprocess(r.messageId)).to.equal(false); // failed: retry the dead delivery instead

    const d = await store.ingest('or', { raw: Buffer.from('y') }, HOUR);
    await store.markRouted(d.messageId, [], [{ route: 'a', payload }]);
    await store.recordAttempt(`${d.messageId}:a`, { startedAt: 0, finishedAt: 1, attempt: 1, state: 'delivered', status: '200' });
    expect(await store.resetForReprocess(d.messageId)).to.equal(true);
    const again = await store.markRouted(d.messageId, [], [
      { route: 'a', payload: { body: 'changed', contentType: 'text/plain' } },
      { route: 'c', payload: { body: 'new route', contentType: 'text/plain' } },
    ]);
    expect(again && again.find((x) => x.route === 'a')).to.deep.include({ state: 'delivered' });
    expect(again && again.find((x) => x.route === 'a')?.payload.body).to.equal('{"a":1}');
    expect(again && again.find((x) => x.route === 'c')?.state).to.equal('pending');
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

  it('says where it could not open the store', () => {
    writeFileSync(join(dir, 'a-file'), '');
    const path = join(dir, 'a-file', 'messages.db');
    expect(() => new SqliteStore({ path })).to.throw(StoreError, `cannot open the message store at ${path}`);
  });
});
