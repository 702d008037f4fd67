import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Secrets and certificates referenced from configuration (partner and channel YAML). The rule: keys,
 * certificates and password files are referenced by path (written as is or as `${ENV}` holding the
 * path); passwords and passphrases come from `${ENV}`. Nothing secret is written inline in YAML, so
 * configuration can be versioned and shown without leaking anything.
 *
 * - `secretFile`: a schema fragment for a path to a key or certificate; an inline PEM is refused.
 * - `SECRET_KEYS` + `inlineSecrets`: keys whose values must come from `${ENV}`; the loader reports
 *   any written literally (it knows which scalars were interpolated).
 * - `readSecretFile`, `inspectPem`: reading the referenced files at start and in `interlace validate`,
 *   with one clear sentence when they are missing or do not parse.
 */

const INLINE_PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/** A path to a key or certificate file (PEM, or OpenSSH for SSH keys). */
export const secretFile = (what: string) =>
  z
    .string()
    .min(1, { message: `${what}: expected the path of a file` })
    .refine((v) => !INLINE_PEM.test(v) && !v.includes('\n'), {
      message: `${what} holds the key or certificate itself; put it in a file (readable only by the engine's user) and give the file's path`,
    })
    .describe(`${what}: path of the file (relative to the engine's working directory), or \${ENV} holding the path. Never the key itself.`);

/** Keys whose value is a secret and must be written as `${ENV}` (or `${ENV:-default}`), never literally. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'passphrase', 'keyPassphrase', 'secret', 'clientSecret']);

/** A secret value: a schema fragment whose description tells how to give it. */
export const secretValue = (what: string) =>
  z.string().describe(`${what}: a secret; write it as \${ENV} (e.g. \${SFTP_PASSWORD}) so that it never sits in the file.`);

/**
 * Paths (in the parsed YAML data) of values under a secret key. The loader checks each was filled by
 * `${ENV}` interpolation; an empty value is fine (`${VAR:-}` for "none").
 */
export function inlineSecrets(data: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(data)) return data.flatMap((v, i) => inlineSecrets(v, [...path, i]));
  if (!data || typeof data !== 'object') return [];
  const out: Array<Array<string | number>> = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (SECRET_KEYS.has(k) && typeof v === 'string' && v !== '') out.push([...path, k]);
    else out.push(...inlineSecrets(v, [...path, k]));
  }
  return out;
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';

/** Reads a referenced secret file; a ConfigError naming the reference when it is missing or unreadable. */
export function readSecretFile(path: string, what: string): Buffer {
  try {
    const info = statSync(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    if (info.size > 1024 * 1024)
      throw new ConfigError(
        'secret-file-unreadable',
        `${what} ${path} is ${info.size} bytes; expected a key or certificate file of at most 1 MiB`,
      );
    return readFileSync(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      'secret-file-unreadable',
      `${what} ${path} cannot be read (${errno(err)}); expected an existing file readable by the engine`,
      { cause: err },
    );
  }
}

/** What a referenced file is expected to hold. */
export type PemKind = 'certificate' | 'private-key' | 'public-key' | 'ssh-private-key';

export type CertificateInfo = { subject: string; issuer: string; notBefore: Date; notAfter: Date; fingerprint256: string };

export type PemInspection = { ok: true; certificates: CertificateInfo[] } | { ok: false; reason: string };

const OPENSSH_KEY = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END OPENSSH PRIVATE KEY-----\s*$/;

/**
 * Checks that `bytes` hold what `kind` says, and reads the validity of certificates. A certificate
 * file may hold a chain (every certificate is read); a private key must not be encrypted unless a
 * passphrase is given. Never throws: a reason sentence when it does not parse.
 */
export function inspectPem(bytes: Buffer, kind: PemKind, passphrase?: string): PemInspection {
  const text = bytes.toString('latin1');
  try {
    if (kind === 'certificate') {
      const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0)
        return {
          ok: false,
          reason: text.includes('-----BEGIN')
            ? 'no CERTIFICATE block (the file holds another kind of PEM)'
            : 'not PEM: expected -----BEGIN CERTIFICATE-----',
        };
      return { ok: true, certificates: blocks.map((b) => certificateInfo(new X509Certificate(b))) };
    }
    if (kind === 'ssh-private-key' && text.includes('OPENSSH PRIVATE KEY')) {
      const m = OPENSSH_KEY.exec(text.trim() + '\n');
      if (!m || !Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64').subarray(0, 14).equals(Buffer.from('openssh-key-v1'))) {
        return {
          ok: false,
          reason: 'the OpenSSH private key is damaged (expected an openssh-key-v1 body between the BEGIN and END lines)',
        };
      }
      return { ok: true, certificates: [] };
    }
    if (kind !== 'public-key' && passphrase === undefined && /ENCRYPTED/.test(text))
      return { ok: false, reason: 'the private key is encrypted and no passphrase was given' };
    if (kind === 'public-key') createPublicKey(text);
    else createPrivateKey(passphrase === undefined ? text : { key: text, passphrase });
    return { ok: true, certificates: [] };
  } catch (err) {
    return { ok: false, reason: pemReason(err as Error, kind) };
  }
}

function pemReason(err: Error & { code?: string }, kind: PemKind): string {
  const what = kind === 'certificate' ? 'certificate' : kind === 'public-key' ? 'public key' : 'private key';
  if (err.code === 'ERR_MISSING_PASSPHRASE') return `the ${what} is encrypted and no passphrase was given`;
  if (err.code === 'ERR_OSSL_BAD_DECRYPT') return `the ${what} cannot be decrypted with the passphrase given`;
  return `not a valid ${what} (${err.message.split('\n')[0]})`;
}

function certificateInfo(c: X509Certificate): CertificateInfo {
  return {
    subject: c.subject.replace(/\n/g, ', '),
    issuer: c.issuer.replace(/\n/g, ', '),
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    fingerprint256: c.fingerprint256,
  };
}

/** Reads and inspects a referenced file; a ConfigError with the reason when it is missing or does not parse. */
export function loadPemFile(
  path: string,
  kind: PemKind,
  what: string,
  passphrase?: string,
): { bytes: Buffer; certificates: CertificateInfo[] } {
  const bytes = readSecretFile(path, what);
  const inspected = inspectPem(bytes, kind, passphrase);
  if (!inspected.ok) throw new ConfigError('secret-file-invalid', `${what} ${path}: ${inspected.reason}`);
  return { bytes, certificates: inspected.certificates };
}

/** Days from `now` until `notAfter` (negative once expired), rounded down. */
export function daysLeft(notAfter: Date, now = Date.now()): number {
  return Math.floor((notAfter.getTime() - now) / 86_400_000);
}
