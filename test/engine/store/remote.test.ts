import { expect } from 'chai';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { remoteWriter, runStoreCall, WRITE_METHODS, type StoreCall } from '../../../engine/store/remote.js';
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

  /** Connects the two as the threads do, with structured cloning in between. */
  function wire() {
    const calls: string[] = [];
    const remote = remoteWriter(reader, (call: StoreCall) => {
      calls.push(call.method);
      void runStoreCall(writer, structuredClone(call)).then((r) => remote.settle(structuredClone(r)));
    });
    return { store: remote.store, calls, remote };
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

  it('rejects with a StoreError carrying the writer’s code when a write fails', async () => {
    const failing: ReturnType<typeof remoteWriter> = remoteWriter(reader, (call) =>
      queueMicrotask(() =>
        failing.settle({ type: 'store-result', id: call.id, ok: false, error: { code: 'store-write-failed', message: 'disk full' } }),
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
