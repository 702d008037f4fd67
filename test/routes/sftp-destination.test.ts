import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { partnerSchema } from '../../engine/config/partner-schema.js';
import { createEngineServices } from '../../engine/runtime/services.js';
import { TransientDeliveryError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { sftp, sftpDestinationSchema } from '../../routes/destinations/sftp/index.js';
import type { Delivery, Destination } from '../../routes/types.js';
import { startRelay, startSshd, type TestSshd } from '../support/sshd.js';

function delivery(body: string, n = 1): Delivery {
  return {
    deliveryId: `m${n}:out`,
    messageId: `m${n}`,
    channel: 'c',
    route: 'out',
    idempotencyKey: `m${n}:out`,
    correlationId: `m${n}`,
    attempt: 1,
    payload: { body, contentType: 'text/plain' },
  };
}

describe('sftp destination and partner link against OpenSSH', function () {
  this.timeout(120_000);
  let sshd: TestSshd;
  let out: string;
  let n = 0;
  const open: Destination[] = [];

  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd.stop();
  });
  beforeEach(() => {
    out = join(sshd.root, `out-${++n}`);
    mkdirSync(out);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });

  const create = (extra: Record<string, unknown> = {}) => {
    const d = sftp.create(
      sftpDestinationSchema.parse({
        type: 'sftp',
        url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${out}`,
        keyPath: sshd.userKey,
        hostKey: sshd.hostFingerprint,
        ...extra,
      }),
      { channel: 'c', route: 'out', log: silentLogger },
    );
    open.push(d);
    return d;
  };

  it('uploads under a temporary name, renames without replacing, and counts the delivery once the final name holds every byte', async () => {
    writeFileSync(join(out, 'c-out-m1.txt'), 'the partner had a file of that name');
    const d = create();
    expect(await d.send(delivery('first'))).to.deep.equal({ status: 'uploaded', body: 'c-out-m1.1.txt 5 bytes' });
    expect(await d.send(delivery('first'))).to.deep.equal({
      status: 'uploaded',
      body: 'c-out-m1.1.txt 5 bytes (already written by an earlier attempt)',
    });
    expect(await d.send(delivery('second', 2))).to.deep.equal({ status: 'uploaded', body: 'c-out-m2.txt 6 bytes' });
    expect(readdirSync(out).sort()).to.deep.equal(['c-out-m1.1.txt', 'c-out-m1.txt', 'c-out-m2.txt']);
    expect(readFileSync(join(out, 'c-out-m1.txt'), 'utf8')).to.equal('the partner had a file of that name');
    expect(await d.health()).to.deep.equal({ ok: true });
  });

  it('refuses a server whose host key is not the pinned one, as a transient failure naming the fingerprint', async () => {
    const d = create({ hostKey: 'SHA256:' + 'A'.repeat(43) });
    const err = await d.send(delivery('x')).then(
      () => undefined,
      (e: unknown) => e as TransientDeliveryError,
    );
    expect(err).to.be.instanceOf(TransientDeliveryError);
    expect(err!.code).to.equal('sftp-host-key-changed');
    expect(err!.message).to.include(sshd.hostFingerprint);
    expect(readdirSync(out)).to.deep.equal([]);
  });

  it('a connection dropped during the upload fails the attempt; the retry reconnects and leaves one complete file', async () => {
    const relay = await startRelay(sshd.port);
    try {
      const d = create({ url: `sftp://${sshd.user}@127.0.0.1:${relay.port}${out}` });
      await d.send(delivery('warm-up', 9));
      relay.cutAfter(64 * 1024);
      const big = 'y'.repeat(2 * 1024 * 1024);
      const err = await d.send(delivery(big, 3)).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).to.be.instanceOf(TransientDeliveryError);
      expect(readdirSync(out).filter((f) => !f.startsWith('.'))).to.deep.equal(['c-out-m9.txt']);
      await d.send(delivery(big, 3));
      expect(readFileSync(join(out, 'c-out-m3.txt'), 'utf8')).to.equal(big);
    } finally {
      await relay.close();
    }
  });

  it('is the transport of a partner whose transport is sftp: the engine sends a partner its files through it', async () => {
    const partner = partnerSchema.parse({
      id: 'acme',
      name: 'Acme',
      isa: { qualifier: 'ZZ', id: 'ACME' },
      gs: { id: 'ACME' },
      version: '005010',
      transport: {
        type: 'sftp',
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        keyPath: sshd.userKey,
        hostKey: sshd.hostFingerprint,
        inbound: '/nowhere',
        outbound: out,
      },
    });
    const services = createEngineServices({ partners: [partner], log: silentLogger });
    try {
      const receipt = await services.partners.send('acme', { name: 'ack-1.997', body: Buffer.from('ISA*...'), messageId: 'm1' });
      expect(receipt).to.deep.include({ status: 'uploaded', name: 'ack-1.997' });
      expect(readFileSync(join(out, 'ack-1.997'), 'utf8')).to.equal('ISA*...');
    } finally {
      await services.close();
    }
  });
});
