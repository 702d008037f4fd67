import { expect } from 'chai';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransientDeliveryError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { sftp, sftpDestinationSchema } from '../../routes/destinations/sftp/index.js';
import type { Delivery } from '../../routes/types.js';
import { passwordAccount, startSshd, type PasswordAccount, type TestSshd } from '../support/sshd.js';

const delivery = (body: string): Delivery => ({
  deliveryId: 'p1:out',
  messageId: 'p1',
  channel: 'c',
  route: 'out',
  idempotencyKey: 'p1:out',
  correlationId: 'p1',
  attempt: 1,
  payload: { body, contentType: 'text/plain' },
});

/** Password login against OpenSSH: an account that has no key and may only use SFTP. */
describe('sftp: password login against OpenSSH', function () {
  this.timeout(120_000);
  let sshd: TestSshd;
  let account: PasswordAccount;
  let out: string;

  before(async function () {
    const a = passwordAccount();
    if (!a) {
      console.warn('      (skipped: creating the password-only test account needs root)');
      this.skip();
    }
    account = a;
    sshd = await startSshd({ passwordUser: account.user });
    out = join(sshd.root, 'to-partner');
    mkdirSync(out);
    chmodSync(out, 0o777);
  });
  after(async () => {
    await sshd?.stop();
  });

  const writer = (password: string) =>
    sftp.create(
      sftpDestinationSchema.parse({
        type: 'sftp',
        url: `sftp://${account.user}@127.0.0.1:${sshd.port}${out}`,
        password,
        hostKey: sshd.hostFingerprint,
      }),
      { channel: 'c', route: 'out', log: silentLogger },
    );

  it('logs in with the password, uploads, and confirms the upload by stat', async () => {
    const d = writer(account.password);
    try {
      expect(await d.send(delivery('over a password login'))).to.deep.equal({ status: 'uploaded', body: 'c-out-p1.txt 21 bytes' });
      expect(readdirSync(out)).to.deep.equal(['c-out-p1.txt']);
      expect(readFileSync(join(out, 'c-out-p1.txt'), 'utf8')).to.equal('over a password login');
    } finally {
      await d.close();
    }
  });

  it('a wrong password is refused as sftp-auth-failed, without the password in the message', async () => {
    const d = writer(`${account.password}-wrong`);
    try {
      const err = await d.send(delivery('never')).then(
        () => undefined,
        (e: unknown) => e as TransientDeliveryError,
      );
      expect(err, 'the upload with a wrong password was accepted').to.be.instanceOf(TransientDeliveryError);
      expect(err!.code).to.equal('sftp-auth-failed');
      expect(err!.message).not.to.include(account.password);
    } finally {
      await d.close();
    }
  });
});
