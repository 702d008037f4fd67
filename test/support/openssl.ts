/**
 * The openssl CLI as an independent CMS/S-MIME peer (`openssl cms`), and test certificates made with it.
 * Debian's openssl is built without zlib, so `openssl cms -compress` is unavailable; compressed data is
 * built with `openssl asn1parse -genconf` around Python's zlib instead (see `opensslCompress`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TestCert = { name: string; certPath: string; keyPath: string; cert: Buffer; key: Buffer };

/** A scratch directory removed by `cleanup`. */
export function scratch(prefix = 'interlace-as2-'): { dir: string; path(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs openssl; throws with its stderr when it fails. */
export function openssl(args: string[], options: { input?: Buffer; cwd?: string } = {}): Buffer {
  try {
    return execFileSync('openssl', args, {
      input: options.input,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: Buffer; status?: number };
    throw new Error(`openssl ${args[0]} ${args[1] ?? ''} failed (${e.status}): ${e.stderr?.toString().trim()}`);
  }
}

/** A self-signed RSA 2048 certificate, like most AS2 partners exchange. */
export function makeCert(dir: string, name: string, days = 30): TestCert {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    String(days),
    '-subj',
    `/CN=${name}`,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  return { name, certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}

/** CMS CompressedData (RFC 3274) built by openssl's ASN.1 generator around Python's zlib. */
export function opensslCompress(dir: string, content: Buffer): Buffer {
  const zlibHex = execFileSync('python3', ['-c', 'import sys,zlib;sys.stdout.write(zlib.compress(sys.stdin.buffer.read()).hex())'], {
    input: content,
    maxBuffer: 64 * 1024 * 1024,
  }).toString();
  const conf = join(dir, `compress-${process.hrtime.bigint()}.cnf`);
  writeFileSync(
    conf,
    [
      'asn1=SEQUENCE:ci',
      '[ci]',
      'type=OID:1.2.840.113549.1.9.16.1.9',
      'content=EXPLICIT:0,SEQUENCE:cd',
      '[cd]',
      'version=INT:0',
      'alg=SEQUENCE:alg',
      'encap=SEQUENCE:encap',
      '[alg]',
      'oid=OID:1.2.840.113549.1.9.16.3.8',
      '[encap]',
      'type=OID:1.2.840.113549.1.7.1',
      `content=EXPLICIT:0,FORMAT:HEX,OCTETSTRING:${zlibHex}`,
      '',
    ].join('\n'),
  );
  const out = join(dir, `compressed-${process.hrtime.bigint()}.der`);
  openssl(['asn1parse', '-genconf', conf, '-out', out, '-noout']);
  return readFileSync(out);
}

/** Reads CompressedData with openssl's ASN.1 parser and Python's zlib: the uncompressed content. */
export function opensslDecompress(dir: string, der: Buffer): Buffer {
  const file = join(dir, `to-inflate-${process.hrtime.bigint()}.der`);
  writeFileSync(file, der);
  const dump = openssl(['asn1parse', '-inform', 'DER', '-in', file]).toString();
  if (!/:id-smime-ct-compressedData/.test(dump) || !/:zlib compression/.test(dump)) throw new Error(`not zlib CompressedData:\n${dump}`);
  const octet = [...dump.matchAll(/^\s*(\d+):d=\d+\s+hl=(\d+)\s+l=\s*(\d+)\s+prim: OCTET STRING/gm)].pop();
  if (!octet) throw new Error(`no OCTET STRING in:\n${dump}`);
  const start = Number(octet[1]) + Number(octet[2]);
  const deflated = der.subarray(start, start + Number(octet[3]));
  return execFileSync('python3', ['-c', 'import sys,zlib;sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))'], {
    input: deflated,
    maxBuffer: 64 * 1024 * 1024,
  });
}
