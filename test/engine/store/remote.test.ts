import { expect } from 'chai';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { remoteWriter, runStoreCall, storeCallServer, WRITE_METHODS, type StoreCalls } from '../../../engine/store/remote.js';
import { StoreError } from '../../../lib/errors.js';

describe('one writer: the processing thread writes through the listener connection', () => {
  let writer: SqliteStore;
  let reader: SqliteStore;
  let path: string;

  beforeEach(async () => {
    path = `/tmp/interlace-remote-${process.pid}-${Date.now()}.db`;
    writer = new SqliteStore({ path });
    reader = new SqliteStore({ path, sync: 'normal' });
  });
  afterEach(async () => {
    await reader.close();
    await writer.close();
  });

  /** Connects the two as the threads do, with structured cloning in between; `batches` lists the methods of each crossing. */
  function wire() {
    const calls: string[] = [];
    const batches: string[][] = [];
    const serve = storeCallServer(writer, (results) => remote.settle(structuredClone(results)));
    const remote = remoteWriter(reader, (batch: StoreCalls) => {
      batches.push(batch.calls.map((c) => c.method));
      calls.push(...batch.calls.map((c) => c.method));
      serve(structuredClone(batch));
    });
    return { store: remote.store, calls, batches, remote };
  }

  it('sends every write to the writer, reads locally, and returns the writer’s results', async () => {
    const { store, calls } = wire();
    const { messageId } = await writer.ingest('or', { raw: Buffer.from('MSH|x') }, 0);
    const routed = await store.markRouted(
      messageId,
      [{ kind: 'charge' }],
      [{ route: 'erp', payload: { body: '{}', contentType: 'application/json' } }],
    );
    expect(routed && routed[0]!.id).to.equal(`${messageId}:erp`);
    expect(await store.beginAttempt(`${messageId}:erp`, 1)).to.equal(true); // a read, on the reader
    await store.recordAttempt(`${messageId}:erp`, { attempt: 1, state: 'delivered', status: '200', startedAt: 1, finishedAt: 2 });
    expect(calls).to.deep.equal(['markRouted', 'recordAttempt']);
    expect((await reader.getMessage(messageId))?.status).to.equal('delivered');
  });

  it('sends the writes of one turn as one batch, in the order they were made, and settles each with its own result', async () => {
    const { store, batches } = wire();
    const a = await writer.ingest('or', { raw: Buffer.from('MSH|a') }, 0);
    const b = await writer.ingest('or', { raw: Buffer.from('MSH|b') }, 0);
    const c = await writer.ingest('or', { raw: Buffer.from('MSH|c') }, 0);
    const results = await Promise.all([
      store.markFiltered(a.messageId, 'not for us'),
      store.markRouted(b.messageId, [{ kind: 'charge' }], [{ route: 'erp', payload: { body: '{}', contentType: 'application/json' } }]),
      store.markFiltered(c.messageId, 'not for us either'),
    ]);
    expect(batches).to.deep.equal([['markFiltered', 'markRouted', 'markFiltered']]);
    expect(results[1] && results[1][0]!.id).to.equal(`${b.messageId}:erp`);
    expect((await reader.getMessage(a.messageId))?.status).to.equal('filtered');
    expect((await reader.getMessage(b.messageId))?.status).to.equal('routed');
    expect((await reader.getMessage(c.messageId))?.status).to.equal('filtered');
    await store.markFiltered(a.messageId, 'again');
    expect(batches).to.have.length(2);
  });

  it('rejects with a StoreError carrying the writer’s code when a write fails', async () => {
    const failing: ReturnType<typeof remoteWriter> = remoteWriter(reader, (batch) =>
      queueMicrotask(() =>
        failing.settle({
          type: 'store-results',
          results: batch.calls.map((call) => ({
            type: 'store-result' as const,
            id: call.id,
            ok: false as const,
            error: { code: 'store-write-failed' as const, message: 'disk full' },
          })),
        }),
      ),
    );
    const err = await failing.store.markFiltered('x', 'y').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(StoreError);
    expect(err).to.include({ code: 'store-write-failed', message: 'disk full' });
  });

  it('fails pending writes when the thread stops, and refuses a method that is not a write', async () => {
    const never = remoteWriter(reader, () => {});
    const pending = never.store.markFiltered('x', 'y');
    never.failAll('the processing thread stopped');
    expect(
      await pending.then(
        () => 'resolved',
        (e: Error) => e.message,
      ),
    ).to.equal('the processing thread stopped');
    const r = await runStoreCall(writer, { type: 'store', id: 1, method: 'close' as never, args: [] });
    expect(r).to.deep.include({ ok: false });
    expect(WRITE_METHODS).to.include('ingest');
  });
});
