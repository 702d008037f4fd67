import { daysLeft, loadPemFile, type PemKind } from '../../lib/secrets.js';
import { ConfigError } from '../../lib/errors.js';
import type { CheckedFile } from './cross-checks.js';
import { configDiagnostic, type ConfigDiagnostic } from './diagnostics.js';

/** Certificates that expire within this many days are warned about (validate, start, the log, /healthz). */
export const EXPIRY_WARNING_DAYS = 30;

/** One key or certificate file a config file references. */
export type KeyFileRef = {
  /** Where in the YAML: for `file:line:column` and the name of the field. */
  path: Array<string | number>;
  file: string;
  kind: PemKind;
  passphrase?: string;
  /** The trading partner it belongs to: the partner file's id, or `partner` beside it (an AS2 source's partner list). */
  partner?: string;
};

/** A certificate in use, for `/api/partners`, the metric and the expiry warnings. */
export type CertificateExpiry = {
  /** The config file (relative to the config directory) and field that reference it. */
  config: string;
  field: string;
  file: string;
  partner?: string;
  subject: string;
  notAfter: string;
  daysLeft: number;
};

/** Fields that hold a key or certificate path, by their key; `tls` blocks use `cert`, `key`, `ca`. */
const FIELDS: Record<string, PemKind> = {
  certificate: 'certificate',
  signCert: 'certificate',
  partnerCert: 'certificate',
  privateKey: 'private-key',
  signKey: 'private-key',
  keyPath: 'ssh-private-key',
};
const TLS_FIELDS: Record<string, PemKind> = { cert: 'certificate', ca: 'certificate', key: 'private-key' };

const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * Every key and certificate file referenced in a config file's data (after `${ENV}` interpolation).
 * Empty values (`${SFTP_KEY:-}`) reference nothing. A disabled channel (`enabled: false`) references
 * nothing either: it does not start.
 */
export function keyFileRefs(data: unknown): KeyFileRef[] {
  const top = record(data);
  if (!top || top.enabled === false || top.enabled === '') return [];
  const out: KeyFileRef[] = [];
  const partnerId = typeof top.id === 'string' && top.isa !== undefined ? top.id : undefined;
  const walk = (node: unknown, path: Array<string | number>, partner: string | undefined, tls: boolean): void => {
    if (Array.isArray(node)) return node.forEach((v, i) => walk(v, [...path, i], partner, false));
    const obj = record(node);
    if (!obj) return;
    const owner = typeof obj.partner === 'string' && obj.partner !== '' ? obj.partner : partner;
    for (const [key, value] of Object.entries(obj)) {
      const kind = tls ? TLS_FIELDS[key] : FIELDS[key];
      if (kind && typeof value === 'string' && value !== '') {
        const passphrase = kind === 'ssh-private-key' && typeof obj.keyPassphrase === 'string' ? obj.keyPassphrase : undefined;
        out.push({ path: [...path, key], file: value, kind, ...(passphrase ? { passphrase } : {}), ...(owner ? { partner: owner } : {}) });
      } else if (typeof value === 'object') walk(value, [...path, key], owner, key === 'tls' && record(value)?.enabled !== false);
    }
  };
  walk(top, [], partnerId, false);
  return out;
}

/**
 * Opens every key and certificate file a config file references: one error per file that is
 * missing, unreadable, does not parse, or holds an expired certificate (`certificate-expired`), and
 * a warning for one that expires within 30 days (`certificate-expiring`). Each names the file and
 * the field, at the position of the reference. Resolves the certificates read, for the engine.
 */
export function checkKeyFiles(
  f: CheckedFile,
  rel: string,
  now = Date.now(),
): { diagnostics: ConfigDiagnostic[]; certificates: CertificateExpiry[] } {
  const diagnostics: ConfigDiagnostic[] = [];
  const certificates: CertificateExpiry[] = [];
  for (const ref of keyFileRefs(f.yaml.data)) {
    const field = ref.path.join('.');
    const at = f.yaml.position(ref.path);
    let read;
    try {
      read = loadPemFile(ref.file, ref.kind, field, ref.passphrase);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      diagnostics.push(configDiagnostic(f.file, at, err.code, err.message));
      continue;
    }
    for (const c of read.certificates) {
      const left = daysLeft(c.notAfter, now);
      const when = c.notAfter.toISOString().slice(0, 10);
      if (c.notAfter.getTime() <= now) {
        diagnostics.push(
          configDiagnostic(
            f.file,
            at,
            'certificate-expired',
            `${field} ${ref.file}: the certificate ${c.subject} expired on ${when}; expected a valid certificate (exchange a new one with the partner)`,
          ),
        );
        continue;
      }
      if (c.notBefore.getTime() > now)
        diagnostics.push(
          configDiagnostic(
            f.file,
            at,
            'certificate-not-yet-valid',
            `${field} ${ref.file}: the certificate ${c.subject} is valid only from ${c.notBefore.toISOString().slice(0, 10)}`,
            'warning',
          ),
        );
      if (left < EXPIRY_WARNING_DAYS)
        diagnostics.push(
          configDiagnostic(
            f.file,
            at,
            'certificate-expiring',
            `${field} ${ref.file}: the certificate ${c.subject} expires on ${when}, in ${left} days; renew it before then`,
            'warning',
          ),
        );
      certificates.push({
        config: rel,
        field,
        file: ref.file,
        ...(ref.partner ? { partner: ref.partner } : {}),
        subject: c.subject,
        notAfter: c.notAfter.toISOString(),
        daysLeft: left,
      });
    }
  }
  return { diagnostics, certificates };
}
