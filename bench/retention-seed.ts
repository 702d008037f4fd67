/**
 * The retention bench's old messages: a SQLite store filled through the store's own API with finished
 * messages of the shipped OR channel, as the engine would have left them. One DFT^P03 (the load's,
 * bench/mllp-load.ts) is run once through the channel as `interlace test` runs it (an in-memory
 * store, the on-hand question answered locally) to get what the channel stores: its canonical
 * documents, one payload per route (ERP usage, FHIR ChargeItems, X12 850) and its business keys.
 * Each seeded message then has its own raw DFT (own MSH-10, MRN, account, lots) and that content:
 * ingest, the ACK recorded, keys, markRouted, every delivery delivered, in groups of `group`
 * messages (three group commits per group, `sync: normal`). Lineage and the business duplicate key
 * are left out: they are metadata retention keeps, and one template would make every message a
 * duplicate of the first.
 *
 * The messages must be older than the retention: the store stamps a message with `Date.now()`, so
 * while seeding that clock runs `ageMs` behind (the store's code is not changed; the clock is
 * restored before returning).
 */
import { silentLogger } from '../lib/log.js';
import { loadConfig } from '../engine/config/index.js';
import { buildProcessor } from '../engine/runtime/channel.js';
import { tablesOf } from '../engine/runtime/check.js';
import { openStore, type NewDelivery, type Store } from '../engine/store/index.js';
import { dftP03 } from './mllp-load.js';

export const SEED_CHANNEL = 'or-implant-charges';

type Template = { canonical: unknown; deliveries: NewDelivery[]; keys: Array<{ name: string; value: string }> };

/** The ERP's on-hand answer (2, below the reorder point, so the 850 route fires too), without a server. */
const onHand: typeof fetch = () =>
  Promise.resolve(new Response('{"onHand": 2}', { status: 200, headers: { 'content-type': 'application/json' } }));

/** What the shipped channel stores for one DFT^P03 of the load. */
async function template(root: string): Promise<Template> {
  const { config } = await loadConfig(`${root}/config`, { env: process.env });
  const channel = config.channels.find((c) => c.name === SEED_CHANNEL);
  if (!channel) throw new Error(`channel ${SEED_CHANNEL} is not in config/ (or is not valid: run interlace validate)`);
  const store = await openStore('sqlite::memory:');
  try {
    const processor = buildProcessor(channel.config, tablesOf(config), store, silentLogger, onHand);
    const { messageId } = await store.ingest(SEED_CHANNEL, { raw: dftP03('TEMPLATE1', 1), origin: 'bench' }, 0);
    const outcome = await processor.process(messageId);
    if (outcome.outcome !== 'routed') throw new Error(`the template message was not routed: ${JSON.stringify(outcome)}`);
    const stored = (await store.getMessage(messageId))!;
    return {
      canonical: stored.canonical,
      deliveries: stored.deliveries.map((d) => ({ route: d.route, payload: d.payload })),
      keys: await store.messageKeys(messageId),
    };
  } finally {
    await store.close();
  }
}

/** One group of messages, numbered from `first`: received, answered, routed and delivered. */
async function seedGroup(store: Store, t: Template, first: number, count: number): Promise<void> {
  const n = Array.from({ length: count }, (_, i) => first + i);
  const ingested = await Promise.all(
    n.map((i) => {
      const controlId = `RS${i.toString(36).padStart(8, '0')}`;
      const input = { raw: dftP03(controlId, i), controlId, sender: 'ORSYS^MAINHOSP', messageType: 'DFT^P03', origin: '127.0.0.1' };
      return store.ingest(SEED_CHANNEL, input, 0);
    }),
  );
  const ids = ingested.map((r) => r.messageId);
  await Promise.all(
    ids.flatMap((id, i) => [
      store.recordAnswer(id, { kind: 'hl7-ack', code: 'AA' }),
      store.recordKeys(
        id,
        SEED_CHANNEL,
        t.keys.map((k) => ({ name: k.name, value: `${k.value}-${n[i]}` })),
      ),
      store.markRouted(id, t.canonical, t.deliveries),
    ]),
  );
  const now = Date.now();
  await Promise.all(
    ids.flatMap((id) =>
      t.deliveries.map((d) =>
        store.recordAttempt(`${id}:${d.route}`, { attempt: 1, state: 'delivered', startedAt: now, finishedAt: now, status: '200' }),
      ),
    ),
  );
}

export type SeedOptions = {
  root: string;
  /** The database file (`messages.db` of the engine's data directory). */
  path: string;
  messages: number;
  /** How long ago the messages were received. */
  ageMs: number;
  group?: number;
  /** Called after each group with how many messages are stored so far. */
  progress?: (stored: number) => void;
};

/** Seeds the store; resolves the bytes of raw and canonical content per message (the template's). */
export async function seedStore(o: SeedOptions): Promise<{ contentBytes: number }> {
  const t = await template(o.root);
  const realNow = Date.now;
  const store = await openStore(`sqlite:${o.path}`, { sync: 'normal' });
  Date.now = () => realNow() - o.ageMs;
  try {
    const group = o.group ?? 2000;
    for (let first = 0; first < o.messages; first += group) {
      await seedGroup(store, t, first, Math.min(group, o.messages - first));
      o.progress?.(Math.min(o.messages, first + group));
    }
  } finally {
    Date.now = realNow;
    await store.close();
  }
  return { contentBytes: dftP03('RS00000000', 0).length + Buffer.byteLength(JSON.stringify(t.canonical)) };
}
