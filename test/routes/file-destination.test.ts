import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransientDeliveryError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import {
  file,
  fileDestinationSchema,
  numbered,
  renderName,
  templateProblem,
  writeFileOnce,
  type FileTarget,
} from '../../routes/destinations/file/index.js';
import type { Delivery } from '../../routes/types.js';

const X12 =
  'ISA*00*          *00*          *ZZ*INTERLACEHOSP  *ZZ*ACMEMEDICAL    *261204*0101*U*00401*000000042*0*P*>~GS*PO*INTERLACE*ACMEMED*20261204*0101*17*X*004010~ST*850*0003~SE*2*0003~GE*1*17~IEA*1*000000042~';

function delivery(body: string, n = 1, attempt = 1): Delivery {
  return {
    deliveryId: `m${n}:out`,
    messageId: `m${n}`,
    channel: 'c',
    route: 'out',
    idempotencyKey: `m${n}:out`,
    correlationId: `m${n}`,
    attempt,
    payload: { body, contentType: 'text/plain' },
  };
}

describe('file destination: temporary name, rename that never replaces, confirmed by stat', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-filedest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const create = (extra: Record<string, unknown> = {}) =>
    file.create(fileDestinationSchema.parse({ type: 'file', directory: dir, ...extra }), { channel: 'c', route: 'out', log: silentLogger });

  it('names files from the template with X12 control numbers read from the payload', async () => {
    const dest = create({ name: '{route}-{isa13}-{gs06}-{st02}-{messageId}.x12', encoding: 'latin1' });
    const result = await dest.send(delivery(X12));
    expect(readdirSync(dir)).to.deep.equal(['out-000000042-17-0003-m1.x12']);
    expect(readFileSync(join(dir, 'out-000000042-17-0003-m1.x12'), 'latin1')).to.equal(X12);
    expect(result).to.deep.equal({ status: 'written', body: `out-000000042-17-0003-m1.x12 ${X12.length} bytes` });
  });

  it('never overwrites: another file of the same name makes a numbered one; its own file from an earlier attempt is not written twice', async () => {
    writeFileSync(join(dir, 'c-out-m1.txt'), 'somebody else');
    const dest = create();
    const first = await dest.send(delivery('hello'));
    expect(first.body).to.equal('c-out-m1.1.txt 5 bytes');
    const retry = await dest.send(delivery('hello', 1, 2));
    expect(retry.body).to.equal('c-out-m1.1.txt 5 bytes (already written by an earlier attempt)');
    expect(readdirSync(dir).sort()).to.deep.equal(['c-out-m1.1.txt', 'c-out-m1.txt']);
    expect(readFileSync(join(dir, 'c-out-m1.txt'), 'utf8')).to.equal('somebody else');
  });

  it('a path chosen by the mapping cannot leave the directory', async () => {
    const dest = create();
    const d = delivery('x');
    d.payload.path = '../../etc/passwd';
    await dest.send(d);
    expect(readdirSync(dir)).to.deep.equal(['_._.._etc_passwd']);
  });

  it('a directory it cannot write into is a transient failure that names it', async function () {
    if (process.getuid?.() === 0) {
      // root writes anyway: use a directory that does not exist instead
      const dest = create({ directory: join(dir, 'missing') });
      const err = await dest.send(delivery('x')).then(
        () => undefined,
        (e: unknown) => e as TransientDeliveryError,
      );
      expect(err).to.be.instanceOf(TransientDeliveryError);
      expect(err!.message).to.include('missing').and.include('ENOENT');
      return;
    }
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const err = await create({ directory: locked })
      .send(delivery('x'))
      .then(
        () => undefined,
        (e: unknown) => e as TransientDeliveryError,
      );
    expect(err?.code).to.equal('file-write-failed');
  });

  it('counts nothing delivered when the final name does not hold every byte', async () => {
    const files = new Map<string, Buffer>();
    const shortWriter: FileTarget = {
      label: 'mem',
      writeTemp: async (n, b) => void files.set(n, b),
      renameNoReplace: async (t, f) => (files.has(f) ? 'exists' : (files.set(f, files.get(t)!.subarray(0, 3)), files.delete(t), 'ok')),
      size: async (n) => files.get(n)?.length,
      read: async (n) => files.get(n)!,
      remove: async (n) => void files.delete(n),
    };
    const err = await writeFileOnce(shortWriter, 'a.txt', Buffer.from('hello'), '.a.tmp').then(
      () => undefined,
      (e: unknown) => e as TransientDeliveryError,
    );
    expect(err?.code).to.equal('file-write-unconfirmed');
    expect(err?.message).to.equal('mem/a.txt holds 3 bytes after writing 5; the write is not confirmed');
  });

  it('checks templates at load and renders unsafe values harmlessly', () => {
    expect(templateProblem('{partner}/{isa13}.x12')).to.include('path separator');
    expect(templateProblem('{partner}-{nope}.x12')).to.include('uses {nope}');
    expect(templateProblem('.{messageId}')).to.include('starts with a dot');
    expect(fileDestinationSchema.safeParse({ type: 'file', directory: 'x', name: '{oops}' }).success).to.equal(false);
    expect(renderName('{partner}-{timestamp}.x12', delivery('x'), { partner: 'a/../b' }, new Date('2026-12-04T01:02:03.456Z'))).to.equal(
      'a_.._b-20261204010203456.x12',
    );
    expect([numbered('po.x12', 0), numbered('po.x12', 2), numbered('README', 1)]).to.deep.equal(['po.x12', 'po.2.x12', 'README.1']);
  });
});
