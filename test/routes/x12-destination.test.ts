import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partnerSchema } from '../../engine/config/partner-schema.js';
import { SqliteStore } from '../../engine/store/sqlite/store.js';
import { createX12Services, PartnerDirectory } from '../../engine/x12/index.js';
import { ConfigError, PermanentDeliveryError, TransientDeliveryError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { unavailableServices } from '../../lib/services.js';
import { parseX12 } from '../../parsers/x12/index.js';
import { po850 } from '../../parsers/x12/sets/index.js';
import { x12, x12DestinationSchema } from '../../routes/destinations/x12/index.js';
import type { Delivery, Destination } from '../../routes/types.js';

const PO = JSON.parse(readFileSync(new URL('../../samples/x12/flows/purchase-order-4500012345.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const OWN = { interchangeId: 'INTERLACEHOSP', qualifier: 'ZZ', applicationCode: 'INTERLACE', defaultAck: '997' } as const;

function partner(id: string, outbound: string, extra: Record<string, unknown> = {}) {
  return partnerSchema.parse({
    id,
    name: id,
    isa: { qualifier: 'ZZ', id: id.toUpperCase().replace(/-/g, '').slice(0, 15) },
    gs: { id: 'PARTNER' },
    version: '004010',
    transport: { type: 'file', inbound: join(outbound, '..', 'in'), outbound },
    ...extra,
  });
}

function delivery(body: string, n = 1): Delivery {
  return {
    deliveryId: `m${n}:po`,
    messageId: `m${n}`,
    channel: 'c',
    route: 'po',
    idempotencyKey: `m${n}:po`,
    correlationId: `m${n}`,
    attempt: 1,
    payload: { body, contentType: 'application/json' },
  };
}

async function rejects(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('x12 destination', () => {
  let dir: string;
  let out: string;
  let store: SqliteStore;
  let partners: PartnerDirectory;
  let dest: Destination;
  const create = (config: Record<string, unknown>) =>
    x12.create(x12DestinationSchema.parse({ type: 'x12', ...config }), {
      channel: 'c',
      route: 'po',
      log: silentLogger,
      services: { ...unavailableServices(), x12: createX12Services(store, partners) },
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-x12dest-'));
    out = join(dir, 'out');
    mkdirSync(out);
    store = new SqliteStore({ path: join(dir, 'messages.db') });
    partners = new PartnerDirectory(
      [
        partner('acme-medical', out, { acknowledgments: { expect: '999', deadline: '2h' }, poAckDeadline: '1d' }),
        partner('five-ten', out, { version: '005010', acknowledgments: { expect: 'none' } }),
        partner('missing-dir', join(dir, 'nope')),
        partnerSchema.parse({
          id: 'over-sftp',
          name: 'x',
          isa: { qualifier: 'ZZ', id: 'SFTPCO' },
          gs: { id: 'SFTPCO' },
          version: '004010',
          transport: { type: 'sftp', host: 'h', user: 'u', password: 'p', inbound: '/in', outbound: '/out' },
        }),
      ],
      OWN,
    );
    dest = create({ partner: 'acme-medical', set: 850 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the purchase order as an 850 interchange for the partner and records what it expects back', async () => {
    const result = await dest.send(delivery(JSON.stringify(PO)));
    expect(result.status).to.equal('written');
    expect(readdirSync(out)).to.deep.equal(['acme-medical-850-000000001.x12']);
    const parsed = parseX12(readFileSync(join(out, 'acme-medical-850-000000001.x12')));
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    const ic = parsed.message!.interchanges[0]!;
    expect(ic.header).to.include({ senderId: 'INTERLACEHOSP', receiverId: 'ACMEMEDICAL', usage: 'P', ackRequested: false });
    const { source: _s, ...back } = po850.toCanonical(ic.groups[0]!.sets[0]!).documents[0] as Record<string, unknown>;
    expect(back).to.deep.equal(PO);
    const expected = await store.x12Expectations('m1');
    expect(expected.map((e) => [e.expected, e.deliveryId, e.poNumber])).to.deep.equal([
      ['999', 'm1:po', '4500012345'],
      ['855', 'm1:po', '4500012345'],
    ]);
    const now = Date.now();
    expect(await store.overdueX12(now + 3_600_000)).to.deep.equal([]);
    expect((await store.overdueX12(now + 2 * 3_600_000 + 1000)).map((e) => e.expected)).to.deep.equal(['999']);
    expect(await store.overdueX12Counts(now + 2 * 86_400_000)).to.deep.equal({ 'acme-medical': 2 });
  });

  it('writes several documents as several sets of one group, in 005010 with a repetition separator', async () => {
    const d = create({ partner: 'five-ten', set: '850', usage: 'T' });
    await d.send(delivery(JSON.stringify({ documents: [PO, { ...PO, number: 'PO-2' }] })));
    const ic = parseX12(readFileSync(join(out, 'five-ten-850-000000001.x12'))).message!.interchanges[0]!;
    expect(ic.header).to.include({ version: '00501', usage: 'T' });
    expect(ic.delimiters.repetition).to.equal('^');
    expect(
      ic.groups[0]!.sets.map((s) => [
        s.controlNumber,
        po850.toCanonical(s).documents[0]!.kind === 'purchase-order' && (po850.toCanonical(s).documents[0] as { number: string }).number,
      ]),
    ).to.deep.equal([
      ['0001', '4500012345'],
      ['0002', 'PO-2'],
    ]);
    expect(await store.x12Expectations('m1')).to.deep.equal([]); // expect: none
  });

  it('does not write a second interchange when a delivery already sent is retried', async () => {
    await dest.send(delivery(JSON.stringify(PO)));
    const again = await dest.send({ ...delivery(JSON.stringify(PO)), attempt: 2 });
    expect(again.body).to.match(/^already sent as ISA13 000000001/);
    expect(readdirSync(out)).to.deep.equal(['acme-medical-850-000000001.x12']);
    // a crash between recording and the rename left only the temporary file: the retry finishes the move
    await dest.send(delivery(JSON.stringify(PO), 2));
    const final = join(out, 'acme-medical-850-000000002.x12');
    writeFileSync(join(out, '.acme-medical-850-000000002.x12.tmp'), readFileSync(final));
    rmSync(final);
    await dest.send(delivery(JSON.stringify(PO), 2));
    expect(readdirSync(out).sort()).to.deep.equal(['acme-medical-850-000000001.x12', 'acme-medical-850-000000002.x12']);
  });

  it('refuses payloads that are not canonical purchase orders, permanently, without taking control numbers', async () => {
    const cases: Array<[string, RegExp]> = [
      ['not json {', /is not JSON/],
      ['"text"', /not a canonical document/],
      [JSON.stringify({ ...PO, lines: [] }), /document 1 is not a canonical document: lines/],
      [
        JSON.stringify({
          kind: 'invoice',
          number: 'I1',
          invoiceDate: '2026-01-01',
          lines: [{ line: '1', item: {}, quantity: { value: '1' }, unitPrice: { amount: '1' } }],
          total: { amount: '1' },
        }),
        /is a invoice; set 850 is written from a purchase-order/,
      ],
      [JSON.stringify([]), /holds 0 documents/],
      [JSON.stringify(Array.from({ length: 1001 }, () => PO)), /holds 1001 documents/],
      [JSON.stringify({ ...PO, number: 'PO*1' }), /contains the element separator/],
    ];
    for (const [body, message] of cases) {
      const err = await rejects(dest.send(delivery(body)));
      expect(err, body.slice(0, 40)).to.be.instanceOf(PermanentDeliveryError);
      expect(err.message).to.match(message);
      expect(err.message).not.to.include('LAKESHORE');
    }
    expect(readdirSync(out)).to.deep.equal([]);
    await dest.send(delivery(JSON.stringify(PO)));
    expect(existsSync(join(out, 'acme-medical-850-000000001.x12'))).to.equal(false); // the delimiter case took number 1
    expect(readdirSync(out)).to.deep.equal(['acme-medical-850-000000002.x12']);
  });

  it('fails transiently when the outbound directory is missing, and succeeds once it exists', async () => {
    const d = create({ partner: 'missing-dir', set: '850' });
    expect((await d.health()).ok).to.equal(false);
    const err = await rejects(d.send(delivery(JSON.stringify(PO))));
    expect(err).to.be.instanceOf(TransientDeliveryError);
    expect(err.code).to.equal('x12-file-write-failed');
    mkdirSync(join(dir, 'nope'));
    expect((await d.health()).ok).to.equal(true);
    await d.send(delivery(JSON.stringify(PO)));
    expect(readdirSync(join(dir, 'nope'))).to.have.length(1);
  });

  it('refuses unknown partners and a missing engine at creation', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as ConfigError).code;
      }
      return 'no error';
    };
    expect(codeOf(() => create({ partner: 'nobody', set: '850' }))).to.equal('x12-partner-unknown');
    // An SFTP (or AS2) partner is sent to through the engine's partner links (x12-partner-transports.test.ts).
    expect(codeOf(() => create({ partner: 'over-sftp', set: '850' }))).to.equal('no error');
    expect(
      codeOf(() =>
        x12.create(x12DestinationSchema.parse({ type: 'x12', partner: 'acme-medical', set: '850' }), {
          channel: 'c',
          route: 'r',
          log: silentLogger,
        }),
      ),
    ).to.equal('x12-services-missing');
    expect(x12DestinationSchema.safeParse({ type: 'x12', partner: 'acme-medical', set: '837' }).success).to.equal(false);
    expect(x12DestinationSchema.safeParse({ type: 'x12', partner: 'Acme Medical', set: '850' }).success).to.equal(false);
  });
});
