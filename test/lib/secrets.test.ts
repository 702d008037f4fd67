import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import { daysLeft, inlineSecrets, inspectPem, loadPemFile, secretFile } from '../../lib/secrets.js';

describe('lib/secrets: references to keys, certificates and passwords', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-secrets-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '20',
        '-subj',
        '/CN=acme-as2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a certificate made by openssl: subject and expiry', () => {
    const { certificates } = loadPemFile(join(dir, 'cert.pem'), 'certificate', 'transport.partnerCert');
    expect(certificates).to.have.length(1);
    expect(certificates[0]!.subject).to.equal('CN=acme-as2');
    expect(daysLeft(certificates[0]!.notAfter)).to.be.within(18, 20);
    expect(loadPemFile(join(dir, 'key.pem'), 'private-key', 'transport.signKey').certificates).to.deep.equal([]);
  });

  it('says what is wrong with a file that does not hold what it should', () => {
    writeFileSync(join(dir, 'bad.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    const bad = inspectPem(Buffer.from('-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n'), 'certificate');
    expect(bad.ok).to.equal(false);
    expect(inspectPem(Buffer.from('hello'), 'certificate')).to.deep.equal({
      ok: false,
      reason: 'not PEM: expected -----BEGIN CERTIFICATE-----',
    });
    const key = inspectPem(
      Buffer.from(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
      'certificate',
    );
    expect(key).to.deep.equal({ ok: false, reason: 'no CERTIFICATE block (the file holds another kind of PEM)' });
    const encrypted = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { format: 'pem', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'pw' },
      publicKeyEncoding: { format: 'pem', type: 'spki' },
    }).privateKey;
    expect(inspectPem(Buffer.from(encrypted), 'private-key')).to.deep.equal({
      ok: false,
      reason: 'the private key is encrypted and no passphrase was given',
    });
    expect(inspectPem(Buffer.from(encrypted), 'private-key', 'pw').ok).to.equal(true);
    expect(() => loadPemFile(join(dir, 'bad.pem'), 'certificate', 'transport.partnerCert')).to.throw(
      ConfigError,
      /transport.partnerCert .*bad.pem: not a valid certificate/,
    );
    const missing = (() => {
      try {
        loadPemFile(join(dir, 'missing.pem'), 'certificate', 'transport.partnerCert');
      } catch (err) {
        return err as ConfigError;
      }
    })();
    expect(missing?.code).to.equal('secret-file-unreadable');
    expect(missing?.message).to.include('missing.pem cannot be read (ENOENT)');
  });

  it('checks an OpenSSH private key by its header and body', () => {
    const good = execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id'), '-C', 'test'], { stdio: 'ignore' });
    void good;
    const text = execFileSync('cat', [join(dir, 'id')]);
    expect(inspectPem(text, 'ssh-private-key').ok).to.equal(true);
    const damaged = Buffer.from(
      text
        .toString()
        .replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA')
        .replace('b3BlbnNzaC1rZXktdjE', 'Zm9vYmFy'),
    );
    expect(inspectPem(damaged, 'ssh-private-key').ok).to.equal(false);
  });

  it('refuses a key or certificate written inline in the YAML', () => {
    const schema = secretFile('transport.keyPath');
    expect(schema.safeParse('keys/acme_ed25519').success).to.equal(true);
    const inline = schema.safeParse('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...\n-----END OPENSSH PRIVATE KEY-----');
    expect(inline.success).to.equal(false);
    expect(inline.error!.issues[0]!.message).to.include('holds the key or certificate itself; put it in a file');
  });

  it('finds every secret-keyed value, at any depth, for the loader to check it came from ${ENV}', () => {
    const paths = inlineSecrets({
      transport: { type: 'sftp', password: 'hunter2', keyPassphrase: '' },
      list: [{ secret: 's' }],
      passwordless: 'x',
    });
    expect(paths).to.deep.equal([
      ['transport', 'password'],
      ['list', 0, 'secret'],
    ]);
  });
});
