import { expect } from 'chai';
import { UnrecoverableError, Worker } from 'bullmq';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconcileDead } from '../../../engine/runtime/processing.js';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { silentLogger } from '../../../lib/log.js';
import { toRedisOptions } from '../../../routes/queue-names.js';
import { RouteQueue } from '../../../routes/route-queue.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';

describe('recovery: a delivery BullMQ dead-lettered without the ledger knowing', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let dir: string;
  let store: SqliteStore;
  let queue: RouteQueue;

  beforeEach(async () => {
    redis = await getRedis();
    dir = mkdtempSync(join(tmpdir(), 'interlace-reconcile-'));
    store = new SqliteStore({ path: join(dir, 'messages.db') });
    const destination = { send: async () => ({ status: '200' }), health: async () => ({ ok: true }), close: async () => {} };
    queue = new RouteQueue({
      connection: redis.url,
      prefix: uniquePrefix(),
      channel: 'or',
      route: 'erp',
      destination,
      retry: { attempts: 1, delay: 10, maxDelay: 10, factor: 2, jitter: 0 },
      ledger: store,
    });
  });
  afterEach(async () => {
    await queue.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await redis.stop();
  });

  it('is recorded dead by the sweep, so its message ends failed instead of open for ever', async () => {
    const { messageId } = await store.ingest('or', { raw: Buffer.from('MSH|x') }, 0);
    const [delivery] =
      (await store.markRouted(messageId, [], [{ route: 'erp', payload: { body: '{}', contentType: 'application/json' } }])) || [];
    await queue.enqueue([
      {
        deliveryId: delivery!.id,
        messageId,
        channel: 'or',
        route: 'erp',
        idempotencyKey: delivery!.idempotencyKey,
        correlationId: messageId,
        payload: delivery!.payload,
      },
    ]);
    // a worker that fails the job without telling the ledger (as a job that stalled too often would)
    const rogue = new Worker(
      queue.queueName,
      async () => {
        throw new UnrecoverableError('stalled too often');
      },
      { connection: toRedisOptions(redis.url), prefix: queue.queuePrefix },
    );
    for (let i = 0; i < 100 && (await queue.jobState(delivery!.id)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 50));
    await rogue.close();
    expect(await queue.jobState(delivery!.id)).to.equal('failed');
    expect((await store.getDelivery(delivery!.id))?.state).to.equal('pending');

    const open = await store.pendingDeliveries(10);
    expect(await reconcileDead(open, () => queue, store, silentLogger)).to.equal(1);
    expect((await store.getDelivery(delivery!.id))?.state).to.equal('dead');
    const m = await store.getMessage(messageId);
    expect(m?.status).to.equal('failed');
    expect(m?.acks.at(-1)).to.include({ code: 'route-dead-reconciled' });
    // an open delivery whose job is merely waiting is left alone
    expect(await reconcileDead(open, () => ({ jobState: async () => 'delayed' }), store, silentLogger)).to.equal(0);
  });
});
