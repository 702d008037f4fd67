import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../../engine/store/index.js';
import { dropSchemas, freshSchema, pgQuery } from '../../support/postgres.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/interlace.js');
const HOUR = 3_600_000;
const TABLES = ['acks', 'deliveries', 'message_events', 'messages', 'x12_control_numbers', 'x12_expectations', 'x12_links', 'x12_outbound'];

function interlace(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An installation with a bit of everything: every status, binary raw bytes, retries, X12 sent and acknowledged. */
async function fill(store: Store): Promise<string[]> {
  const ids: string[] = [];
  const payload = { body: '{"charge":1}', contentType: 'application/json' };
  for (let i = 0; i < 40; i++) {
    const raw = Buffer.concat([Buffer.from(`MSH|^~\\&|OR|HOSP|||20261204||DFT^P03|C${i}|P|2.5\r`), Buffer.from([0x00, 0xe9, 0xff, i])]);
    const r = await store.ingest(
      'or',
      { raw, controlId: `C${i % 35}`, sender: 'OR^HOSP', messageType: 'DFT^P03', origin: '10.0.0.9' },
      HOUR,
    );
    ids.push(r.messageId);
    await store.recordAnswer(r.messageId, {
      kind: 'hl7-ack',
      code: r.duplicate ? 'AA' : 'AA',
      detail: r.duplicate ? 'duplicate' : undefined,
    });
    if (r.duplicate) continue;
    if (i % 5 === 1) await store.markFiltered(r.messageId, 'not a charge');
    else if (i % 5 === 2) await store.markError(r.messageId, { code: 'map-failed', message: 'FT1-7 is empty' });
    else if (i % 5 !== 0) {
      await store.markRouted(
        r.messageId,
        [{ kind: 'charge', n: i }],
        [
          { route: 'erp', payload },
          { route: 'billing', payload },
        ],
      );
      await store.recordAttempt(`${r.messageId}:erp`, {
        startedAt: 1,
        finishedAt: 2,
        attempt: 1,
        state: 'retrying',
        status: '503',
        body: 'busy',
      });
      await store.recordAttempt(`${r.messageId}:erp`, { startedAt: 3, finishedAt: 4, attempt: 2, state: 'delivered', status: '201' });
      if (i % 5 === 3)
        await store.recordAttempt(`${r.messageId}:billing`, {
          startedAt: 3,
          finishedAt: 4,
          attempt: 1,
          state: 'dead',
          status: '400',
          error: { code: 'http-rejected', message: '400' },
        });
    }
  }
  await store.ingest(
    'or',
    { raw: Buffer.from('garbage'), rejected: { diagnostics: [{ severity: 'error', code: 'missing-msh', message: 'no MSH segment' }] } },
    HOUR,
  );
  const n = await store.nextControlNumbers('acme', { interchanges: 3, groups: 3, sets: 5 });
  await store.recordX12Outbound({
    partner: 'acme',
    kind: '850',
    isa13: String(n.interchanges[0]).padStart(9, '0'),
    messageId: ids[3]!,
    deliveryId: `${ids[3]}:erp`,
    file: 'out/850-1.x12',
    sets: [{ gs06: String(n.groups[0]), st02: '0001', setId: '850', poNumber: 'PO-1' }],
    expect: [
      { expected: '997', dueAt: Date.now() - HOUR },
      { expected: '855', dueAt: Date.now() + HOUR },
    ],
  });
  await store.recordX12Ack({
    partner: 'acme',
    kind: '997',
    code: 'A',
    answers: { gs06: String(n.groups[0]), st02: '0001' },
    satisfies: ['997'],
  });
  await store.linkX12Document({ partner: 'acme', messageId: ids[4]!, kind: '856', poNumber: 'PO-1' });
  return ids;
}

describe('interlace migrate-store', function () {
  this.timeout(180_000);
  let dir: string;
  let sqlite: string;
  let pg: string;
  const open: Store[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-migrate-'));
    sqlite = `sqlite:${join(dir, 'messages.db')}`;
    pg = await freshSchema();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  after(() => dropSchemas());
  const opened = async (location: string) => {
    const s = await openStore(location);
    open.push(s);
    return s;
  };

  it('moves every message, delivery, acknowledgment and X12 row, unchanged, and the store carries on where it stopped', async () => {
    const before = await opened(sqlite);
    const ids = await fill(before);
    const expected = await Promise.all(ids.map((id) => before.getMessage(id)));
    const counts = await before.channelCounts();
    const overdue = await before.overdueX12(Date.now());
    const expectations = await before.x12Expectations(ids[3]!);
    await before.close();
    open.splice(0);

    const r = interlace(['migrate-store', '--from', sqlite, '--to', pg]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    for (const t of TABLES) expect(r.stdout).to.match(new RegExp(`^  ${t}: \\d+ rows copied, \\d+ read back, identical$`, 'm'));

    const after = await opened(pg);
    for (const [i, id] of ids.entries()) expect(await after.getMessage(id), `message ${i}`).to.deep.equal(expected[i]);
    expect(await after.channelCounts()).to.deep.equal(counts);
    expect(await after.overdueX12(Date.now())).to.deep.equal(overdue);
    expect(await after.x12Expectations(ids[3]!)).to.deep.equal(expectations);
    // counters and auto-numbered ids continue after the copied ones
    expect((await after.nextControlNumbers('acme', { interchanges: 1 })).interchanges).to.deep.equal([4]);
    const next = await after.ingest('or', { raw: Buffer.from('after'), controlId: 'C1', sender: 'OR^HOSP' }, HOUR);
    expect(next.duplicate, 'duplicate detection sees the migrated messages').to.equal(true);
    await after.recordAnswer(next.messageId, { kind: 'hl7-ack', code: 'AA' });
    const [maxAck] = await pgQuery<{ n: number }>(pg, 'SELECT COUNT(*)::int AS n FROM acks');
    const acks = (await after.getMessage(next.messageId))!.acks;
    expect(acks[0]!.id).to.equal(maxAck!.n);
  });

  it('refuses a destination that is not empty, and writes nothing', async () => {
    const s = await opened(sqlite);
    await fill(s);
    const target = await opened(pg);
    await target.ingest('other', { raw: Buffer.from('already here') }, HOUR);
    const r = interlace(['migrate-store', '--from', sqlite, '--to', pg]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(
      /store-migrate-not-empty: postgres:\/\/.* already holds 1 rows in message_events; migrate-store only fills an empty store/,
    );
    const [n] = await pgQuery<{ n: number }>(pg, 'SELECT COUNT(*)::int AS n FROM messages');
    expect(n!.n).to.equal(1);
  });

  it('answers bad arguments with one sentence, never a stack trace', async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['migrate-store', '--from', sqlite], /both --from sqlite:PATH and --to postgres:\/\/… are required/, 2],
      [
        ['migrate-store', '--from', 'mysql://u:secret@h/db', '--to', pg],
        /store-location-invalid: --from: "mysql:\/\/u:\*\*\*@h\/db" is not a store location/,
        1,
      ],
      [['migrate-store', '--from', pg, '--to', sqlite], /store-migrate-unsupported: migrate-store copies sqlite:PATH to postgres:\/\/…/, 1],
      [
        ['migrate-store', '--from', `sqlite:${join(dir, 'none.db')}`, '--to', pg],
        /store-open-failed: cannot open the message store at .*none\.db: no such file/,
        1,
      ],
      [
        ['migrate-store', '--from', sqlite, '--to', 'postgres://nobody:secret@127.0.0.1:1/none'],
        /store-open-failed: cannot open the message store at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/,
        1,
      ],
      [['migrate-store', '--from', sqlite, '--to', pg, '--force'], /Unknown option '--force'/, 2],
    ];
    await (await opened(sqlite)).close();
    open.splice(0);
    for (const [args, message, code] of cases) {
      const r = interlace(args);
      expect(r.stderr, args.join(' ')).to.match(message);
      expect(r.stderr, args.join(' ')).to.not.match(/\n\s+at /);
      expect(r.stderr, args.join(' ')).to.not.contain('secret');
      expect(r.code, args.join(' ')).to.equal(code);
    }
  });
});
