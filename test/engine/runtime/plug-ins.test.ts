import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Source, SourceContext, SourceDefinition } from '../../../channels/types.js';
import type { ChannelConfig } from '../../../engine/config/index.js';
import { partnerSchema } from '../../../engine/config/partner-schema.js';
import { ChannelIntake } from '../../../engine/runtime/intake.js';
import { createEngineServices } from '../../../engine/runtime/services.js';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { createEngineX12 } from '../../../engine/x12/index.js';
import { silentLogger } from '../../../lib/log.js';
import { parseX12 } from '../../../parsers/x12/index.js';

const SAMPLE_856 = readFileSync(new URL('../../../samples/x12/flows/acme-856.x12', import.meta.url));

/**
 * A transport the runtime has never heard of, registered only in this test's registry: it receives
 * bytes when `push` is called, stores them and answers with whatever the engine gives its context.
 */
type PushSource = Source & { push(raw: Buffer): Promise<string | undefined> };
const pushed = new Map<string, PushSource>();
const pushSourceDef: SourceDefinition<{ type: 'push'; id: string }> = {
  type: 'push',
  schema: z.strictObject({ type: z.literal('push'), id: z.string() }),
  create(config, ctx: SourceContext) {
    const source: PushSource = {
      start: async () => {},
      stop: async () => {},
      async push(raw) {
        const result = await ctx.ingest({ raw, origin: 'push' });
        const answer = await ctx.interchanges?.answer(raw, result);
        if (!answer) return undefined;
        const receipt = await ctx.interchanges!.deliver(answer, `${result.messageId}.ack`, result.messageId);
        return receipt?.name;
      },
    };
    pushed.set(config.id, source);
    return source;
  },
};

describe('transports as plug-ins: X12 handling for any source, engine services for every connector', () => {
  let dir: string;
  let store: SqliteStore;
  let outbound: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-plugins-'));
    outbound = join(dir, 'to-acme');
    mkdirSync(outbound);
    store = new SqliteStore({ path: join(dir, 'messages.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function intake(id: string, format: string, identities: unknown[] = []) {
    const partners = [
      partnerSchema.parse({
        id: 'acme-medical',
        name: 'Acme',
        isa: { qualifier: 'ZZ', id: 'ACMEMEDICAL' },
        gs: { id: 'ACMEMED' },
        version: '004010',
        acknowledgments: { send: '997' },
        transport: { type: 'file', inbound: join(dir, 'from-acme'), outbound },
      }),
    ];
    const engine = {
      x12: { interchangeId: 'INTERLACEHOSP', qualifier: 'ZZ', applicationCode: 'INTERLACE', defaultAck: '999' as const, identities },
      store: { duplicateWindow: 86_400_000 },
    };
    const x12 = createEngineX12(
      { partners: partners.map((config) => ({ file: 'acme.yaml', id: config.id, config })), engine: engine as never },
      store,
      silentLogger,
    );
    const services = createEngineServices({ partners, x12: x12.services, log: silentLogger });
    const config = { name: `ch-${id}`, source: { type: 'push', id }, parse: { format }, routes: [] } as unknown as ChannelConfig;
    return new ChannelIntake({ config, store, duplicateWindowMs: 86_400_000, log: silentLogger, x12, services, registry: [pushSourceDef] });
  }

  it('a source type the runtime does not know gets the interchange service when its channel parses X12, and the 997 goes out through the partner transport', async () => {
    intake('a', 'x12');
    const name = await pushed.get('a')!.push(SAMPLE_856);
    expect(name).to.match(/\.ack$/);
    expect(readdirSync(outbound)).to.deep.equal([name]);
    const ack = parseX12(readFileSync(join(outbound, name!))).message!.interchanges[0]!;
    expect([ack.header.senderId.trim(), ack.header.receiverId.trim()]).to.deep.equal(['INTERLACEHOSP', 'ACMEMEDICAL']);
    expect(ack.groups[0]!.sets[0]!.id).to.equal('997');
  });

  it('an interchange addressed to an identity that is not ours is stored as rejected, never processed, and answered with TA1 R 009 through the partner transport', async () => {
    intake('c', 'x12', [{ qualifier: '01', interchangeId: '987654321', applicationCode: 'EASTCAMPUS' }]);
    const foreign = Buffer.from(SAMPLE_856.toString('latin1').replace('*ZZ*INTERLACEHOSP  *', '*ZZ*OTHERHOSPITAL *'), 'latin1');
    const name = await pushed.get('c')!.push(foreign);
    const ack = parseX12(readFileSync(join(outbound, name!))).message!.interchanges[0]!;
    expect(ack.ta1.map((t) => t.elements.slice(4, 6).join(' '))).to.deep.equal(['R 009']);
    expect(ack.groups).to.have.length(0);
    const [stored] = await store.listMessages({ channel: 'ch-c' });
    expect(stored!.status).to.equal('rejected');
    const detail = await store.getMessage(stored!.id);
    expect(JSON.stringify(detail)).to.include('x12-receiver-unknown');
    // The same bytes addressed to our second identity are stored as received and answered from it.
    const east = Buffer.from(
      SAMPLE_856.toString('latin1').replace('*ZZ*INTERLACEHOSP  *', '*01*987654321      *').replace('000000301', '000000399'),
      'latin1',
    );
    const second = await pushed.get('c')!.push(east);
    const ok = parseX12(readFileSync(join(outbound, second!))).message!.interchanges[0]!;
    expect([ok.header.senderQualifier, ok.header.senderId.trim(), ok.groups[0]!.sets[0]!.id]).to.deep.equal(['01', '987654321', '997']);
    expect((await store.listMessages({ channel: 'ch-c', status: 'received' })).length).to.equal(1);
  });

  it('a channel that does not parse X12 gives its source no interchange service', async () => {
    intake('b', 'hl7v2');
    expect(await pushed.get('b')!.push(SAMPLE_856)).to.equal(undefined);
    expect(readdirSync(outbound)).to.deep.equal([]);
  });
});
