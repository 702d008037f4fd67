import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { openThreadStore, writerPort, openStore, type Store } from '../../../engine/store/index.js';
import { SqliteWriterThread } from '../../../engine/store/sqlite/threaded.js';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { StoreError } from '../../../lib/errors.js';

const HOUR = 3_600_000;
const input = (n: number) => ({ raw: Buffer.from(`MSH|${n}`), controlId: `C${n}`, sender: 'S' });

/** Waits (20 ms steps, up to `timeoutMs`) until `check` holds; names what never came. */
async function until(check: () => boolean | Promise<boolean>, o: { timeoutMs: number; what: string }): Promise<void> {
  const end = Date.now() + o.timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${o.timeoutMs} ms waiting for ${o.what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The writer thread's worker, to end it as a crash would. */
const workerOf = (t: SqliteWriterThread) => (t as unknown as { worker: Worker }).worker;

describe('SQLite writer thread: one writing connection off the threads that answer senders', function () {
  this.timeout(30_000);
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-writer-'));
    path = join(dir, 'messages.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the reading connection read-only: a write that does not go to the writer fails instead of writing beside it', async () => {
    const writer = new SqliteStore({ path });
    const reader = new SqliteStore({ path, readOnly: true });
    try {
      const err = await reader.ingest('or', input(1), HOUR).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StoreError);
      expect((err as Error).message).to.match(/could not be stored: attempt to write a readonly database/);
      await writer.ingest('or', input(2), HOUR);
      expect((await reader.listMessages({})).length, 'reads see the writer’s commits').to.equal(1);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('fails what the writer had not answered when it dies, fails writes at once while it is down, and serves again once restarted', async () => {
    const t = await SqliteWriterThread.open({ path });
    const store = t.store;
    const seen: string[] = [];
    store.onIngested((batch) => seen.push(...batch.map((m) => m.id)));
    try {
      const first = await store.ingest('or', input(1), HOUR);
      const dying = workerOf(t);
      const exited = new Promise((resolve) => dying.once('exit', resolve));
      // a write in flight when the thread ends: it settles with the writer's reason, never hangs
      const inFlight = store.ingest('or', input(2), HOUR).then(
        (r) => r,
        (e: Error) => e,
      );
      await dying.terminate();
      await exited;
      const lost = await inFlight;
      if (lost instanceof Error) expect(lost.message).to.match(/writer thread (stopped|is not running)/);
      expect(await store.ping(), 'ping while the writer is down').to.equal(false);
      const refused = await store.ingest('or', input(3), HOUR).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(refused, 'a write while the writer is down').to.be.instanceOf(StoreError);
      expect((refused as StoreError).code).to.equal('store-write-failed');
      expect(refused!.message).to.equal("the store's writer thread is not running; it is being restarted");

      await until(() => store.ping(), { timeoutMs: 15_000, what: 'the writer thread restarted (store.ping() true)' });
      const again = await store.ingest('or', input(4), HOUR);
      expect(seen, 'ingests reported after commit, before and after the restart').to.include.members([first.messageId, again.messageId]);
      const ids = (await store.listMessages({})).map((m) => m.id);
      expect(ids).to.include.members([first.messageId, again.messageId]);
      // the write that was in flight either committed before the end or failed: never both, never neither
      if (!(lost instanceof Error)) expect(ids).to.include(lost.messageId);
    } finally {
      await store.close();
    }
  });

  it('gives another thread a port for its writes; when the writer dies that thread is told, and a new port works', async () => {
    const t = await SqliteWriterThread.open({ path });
    const store = t.store;
    let lost = 0;
    const other: Store = await openThreadStore(`sqlite:${path}`, { writer: t.connect(), onWriterLost: () => lost++ });
    let replacement: Store | undefined;
    try {
      const { messageId } = await store.ingest('or', input(1), HOUR);
      expect(await other.markFiltered(messageId, 'not for us'), 'a write on the other thread’s port').to.equal(true);
      expect((await store.getMessage(messageId))?.status).to.equal('filtered');

      const w = workerOf(t);
      await w.terminate();
      await until(() => lost === 1, { timeoutMs: 10_000, what: 'the other thread told its writer was lost (onWriterLost)' });
      const refused = await other.markFiltered(messageId, 'again').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(refused?.message, 'a write on the dead port').to.match(/writer thread stopped/);

      await until(() => store.ping(), { timeoutMs: 15_000, what: 'the writer thread restarted' });
      replacement = await openThreadStore(`sqlite:${path}`, { writer: t.connect() });
      const { messageId: second } = await store.ingest('or', input(2), HOUR);
      expect(await replacement.markFiltered(second, 'not for us either')).to.equal(true);
      expect((await store.getMessage(second))?.status).to.equal('filtered');
    } finally {
      await replacement?.close();
      await other.close();
      await store.close();
    }
  });

  it('has a port for other threads only when opened with a writer thread, and refuses a SQLite thread store without one', async () => {
    const threaded = await openStore(`sqlite:${path}`, { writerThread: true });
    const plain = await openStore(`sqlite:${path}`);
    try {
      const port = writerPort(threaded);
      expect(port, 'writer thread').to.not.equal(undefined);
      port!.close();
      expect(writerPort(plain), 'no writer thread').to.equal(undefined);
      const err = await openThreadStore(`sqlite:${path}`).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.equal(`a thread of the engine opened ${path} without a port to its writer thread`);
    } finally {
      await plain.close();
      await threaded.close();
    }
  });
});
