import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPassword } from '../../../engine/admin/auth.js';
import { main } from '../../../engine/cli/main.js';
import { userCommand } from '../../../engine/cli/user.js';
import { openStore } from '../../../engine/store/index.js';

describe('interlace user add', function () {
  this.timeout(30_000);
  let dir: string;
  let store: string;
  const errors: string[] = [];
  const original = console.error;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-user-'));
    store = `sqlite:${join(dir, 'messages.db')}`;
    errors.length = 0;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
  });
  afterEach(() => {
    console.error = original;
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the first admin with the password read from standard input, hashed with scrypt', async () => {
    const log = console.log;
    console.log = () => {};
    try {
      expect(await userCommand(['add', 'alice'], { role: 'admin', store, config: dir }, async () => 'a long enough password\n')).to.equal(
        0,
      );
    } finally {
      console.log = log;
    }
    const s = await openStore(store);
    try {
      const u = await s.getUser('alice');
      expect(u).to.include({ name: 'alice', role: 'admin', disabled: false });
      expect(u?.channels).to.deep.equal(['*']);
      expect(u?.passwordHash).to.match(/^scrypt\$32768\$8\$1\$/);
      expect(await verifyPassword('a long enough password', u?.passwordHash)).to.equal(true);
      expect(await verifyPassword('a long enough password\n', u?.passwordHash)).to.equal(false);
      expect((await s.listAudit({}))[0]).to.include({ action: 'user.add', target: 'alice', actorKind: 'service' });
    } finally {
      await s.close();
    }
    // a second time: refused, the first one stays
    expect(await userCommand(['add', 'alice'], { role: 'viewer', store, config: dir }, async () => 'another long password')).to.equal(1);
    expect(errors.join('\n')).to.include('a user alice exists already');
  });

  it('reads the password from a file, and refuses a short one or an unknown role', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'short\n');
    expect(await userCommand(['add', 'bob'], { role: 'analyst', store, config: dir, passwordFile: file }, async () => '')).to.equal(1);
    expect(errors.at(-1)).to.equal('interlace user add: a password needs at least 12 characters; this one has 5');
    expect(await userCommand(['add', 'bob'], { role: 'root', store, config: dir }, async () => 'a long enough password')).to.equal(2);
    expect(errors.at(-1)).to.equal('interlace user add: --role "root" is not one of viewer, analyst, operator, admin');
  });

  it('takes no password on the command line', async () => {
    expect(await main(['user', 'add', 'carol', '--role', 'admin', '--password', 'on the command line', '--store', store])).to.equal(2);
    expect(errors.join('\n')).to.match(/Unknown option '--password'/);
  });
});
