import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, keyFileRefs, loadConfig } from '../../../engine/config/index.js';
import { makeCert, openssl, scratch } from '../../support/openssl.js';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { PartnerDirectory, x12Admin } from '../../../engine/x12/index.js';

const BIN = fileURLToPath(new URL('../../../bin/interlace.js', import.meta.url));

/** A self-signed certificate valid only in 2020: `openssl ca` is the one openssl command that takes past dates. */
function expiredCert(dir: string): string {
  const ca = join(dir, 'ca');
  mkdirSync(join(ca, 'new'), { recursive: true });
  writeFileSync(join(ca, 'index.txt'), '');
  writeFileSync(join(ca, 'serial'), '01\n');
  writeFileSync(
    join(ca, 'ca.cnf'),
    `[ca]\ndefault_ca = c\n[c]\ndatabase = ${ca}/index.txt\nnew_certs_dir = ${ca}/new\nserial = ${ca}/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n`,
  );
  openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=old-partner',
    '-keyout',
    join(dir, 'old.key'),
    '-out',
    join(dir, 'old.csr'),
  ]);
  const out = join(dir, 'old.crt');
  openssl([
    'ca',
    '-batch',
    '-config',
    join(ca, 'ca.cnf'),
    '-selfsign',
    '-keyfile',
    join(dir, 'old.key'),
    '-in',
    join(dir, 'old.csr'),
    '-out',
    out,
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20210101000000Z',
  ]);
  return out;
}

describe('config: referenced key and certificate files are opened at load', function () {
  this.timeout(60_000);
  const tmp = scratch('interlace-keyfiles-');
  const cfg = join(tmp.dir, 'config');
  let soon: ReturnType<typeof makeCert>;
  let good: ReturnType<typeof makeCert>;
  let expired: string;

  before(() => {
    mkdirSync(join(cfg, 'partners'), { recursive: true });
    mkdirSync(join(cfg, 'channels'), { recursive: true });
    soon = makeCert(tmp.dir, 'soon-partner', 10);
    good = makeCert(tmp.dir, 'hospital', 400);
    expired = expiredCert(tmp.dir);
    writeFileSync(join(tmp.dir, 'not-a-cert.pem'), 'hello\n');
    writeFileSync(join(cfg, 'engine.yaml'), 'engine: { id: keys }\nx12: { interchangeId: HOSP, applicationCode: HOSP }\n');
    const as2 = (id: string, partnerCert: string, signKey = good.keyPath) =>
      [
        `id: ${id}`,
        `name: ${id}`,
        `isa: { qualifier: ZZ, id: ${id.toUpperCase().replace(/-/g, '')} }`,
        'gs: { id: GS01 }',
        "version: '005010'",
        'transport:',
        '  type: as2',
        '  url: http://127.0.0.1:9/as2',
        '  as2From: HOSP',
        '  as2To: THEM',
        `  signCert: ${good.certPath}`,
        `  signKey: ${signKey}`,
        `  partnerCert: ${partnerCert}`,
        '',
      ].join('\n');
    writeFileSync(join(cfg, 'partners', 'fine.yaml'), as2('fine', soon.certPath));
    writeFileSync(join(cfg, 'partners', 'old.yaml'), as2('old', expired));
    writeFileSync(join(cfg, 'partners', 'broken.yaml'), as2('broken', join(tmp.dir, 'not-a-cert.pem'), join(tmp.dir, 'missing.key')));
  });
  after(() => tmp.cleanup());

  it('finds key and certificate fields, TLS blocks included, and skips empty references and disabled channels', () => {
    const refs = keyFileRefs({
      source: { type: 'as2', certificate: 'a.crt', privateKey: 'a.key', partners: [{ partner: 'acme', certificate: 'acme.crt' }] },
      routes: [{ destination: { type: 'mllp', tls: { cert: 'c.crt', key: 'c.key', ca: 'ca.crt' } } }, { destination: { keyPath: '' } }],
    });
    expect(refs.map((r) => `${r.path.join('.')} ${r.kind}${r.partner ? ` ${r.partner}` : ''}`)).to.deep.equal([
      'source.certificate certificate',
      'source.privateKey private-key',
      'source.partners.0.certificate certificate acme',
      'routes.0.destination.tls.cert certificate',
      'routes.0.destination.tls.key private-key',
      'routes.0.destination.tls.ca certificate',
    ]);
    expect(keyFileRefs({ enabled: false, source: { certificate: 'a.crt' } })).to.deep.equal([]);
  });

  it('refuses a missing, an unparseable and an expired file in one sentence each, warns 30 days ahead, and keeps the good partner', async () => {
    const { config, diagnostics } = await loadConfig(cfg, { env: {} });
    const lines = diagnostics.map((d) => formatDiagnostic(d, cfg));
    expect(lines).to.have.length(4);
    expect(lines[0]).to.match(
      /^partners\/broken\.yaml:12:\d+ secret-file-unreadable: transport\.signKey .*missing\.key cannot be read \(ENOENT\)/,
    );
    expect(lines[1]).to.match(/^partners\/broken\.yaml:13:\d+ secret-file-invalid: transport\.partnerCert .*not-a-cert\.pem: not PEM/);
    expect(lines[2]).to.match(
      /^partners\/fine\.yaml:13:\d+ warning certificate-expiring: transport\.partnerCert .*soon-partner\.crt: the certificate CN=soon-partner expires on \d{4}-\d\d-\d\d, in 9 days/,
    );
    expect(lines[3]).to.match(
      /^partners\/old\.yaml:13:\d+ certificate-expired: transport\.partnerCert .*old\.crt: the certificate CN=old-partner expired on 2021-01-01/,
    );
    expect(config.partners.map((p) => p.id)).to.deep.equal(['fine']);
    const fine = config.certificates!.filter((c) => c.partner === 'fine').map((c) => `${c.field} ${c.subject} ${c.daysLeft}`);
    expect(fine).to.deep.equal(['transport.signCert CN=hospital 399', 'transport.partnerCert CN=soon-partner 9']);
  });

  it('interlace validate exits 1 and prints the same sentences', () => {
    const r = spawnSync(process.execPath, [BIN, 'validate', '--config', cfg], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/old\.yaml:13:\d+ certificate-expired: .*old\.crt/);
    expect(r.stderr + r.stdout).to.match(/fine\.yaml:13:\d+ warning certificate-expiring/);
  });

  it('/api/partners shows each partner certificate with its expiry, and /metrics its expiry time', async () => {
    const { config } = await loadConfig(cfg, { env: {} });
    const store = new SqliteStore({ path: join(tmp.dir, 'admin.db') });
    try {
      const directory = new PartnerDirectory(
        config.partners.map((p) => p.config),
        config.engine!.x12,
      );
      const admin = x12Admin(store, { partners: directory }, config.certificates);
      const [fine] = (await admin.partners()) as Array<{ id: string; certificates: Array<Record<string, unknown>> }>;
      expect(fine!.id).to.equal('fine');
      expect(fine!.certificates.map((c) => [c.field, c.subject, c.daysLeft])).to.deep.equal([
        ['transport.signCert', 'CN=hospital', 399],
        ['transport.partnerCert', 'CN=soon-partner', 9],
      ]);
      expect(fine!.certificates[1]!.notAfter).to.match(/^\d{4}-\d\d-\d\dT/);
      const metrics = await admin.metrics();
      const line = metrics.split('\n').find((l) => l.includes('field="transport.partnerCert"'))!;
      expect(line).to.match(
        /^interlace_certificate_expiry_timestamp_seconds\{partner="fine",config="partners\/fine.yaml",field="transport.partnerCert"\} \d+$/,
      );
      const seconds = Number(line.split(' ').pop());
      expect(seconds * 1000 - Date.now()).to.be.within(9 * 86_400_000, 10 * 86_400_000);
    } finally {
      await store.close();
    }
  });
});
