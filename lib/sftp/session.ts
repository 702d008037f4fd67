import { createHash } from 'node:crypto';
import SftpClient from 'ssh2-sftp-client';
import { ConfigError, InterlaceError } from '../errors.js';
import { readSecretFile } from '../secrets.js';
import { endpoint, type SftpConnectionConfig } from './config.js';

/** `SHA256:…` of a host key blob, as OpenSSH prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The pinned fingerprint of a `hostKey` setting (a fingerprint, or a public key line). */
export function pinnedFingerprint(hostKey: string): string {
  const v = hostKey.trim();
  return v.startsWith('SHA256:') ? v.replace(/=$/, '') : fingerprintOf(Buffer.from(v.split(/\s+/)[1] ?? '', 'base64'));
}

/** Thrown when the server's host key is not the pinned one (or none is pinned). Never retried blindly: an operator must act. */
export class HostKeyError extends InterlaceError {}

const errText = (err: unknown) => ((err as Error)?.message ?? String(err)).replace(/^[a-z]+: /i, '');

/**
 * One SFTP session: connects with the pinned host key and the configured credentials, and gives the
 * ssh2-sftp-client for the caller's operations. A refused host key is a HostKeyError whose message
 * says which fingerprint the server presented and how to pin it.
 */
export class SftpSession {
  readonly client: SftpClient;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  private closed = false;
  private lost: ((reason: string) => void) | undefined;

  constructor(
    private readonly config: SftpConnectionConfig,
    label: string,
  ) {
    const e = endpoint(config);
    this.host = e.host;
    this.port = e.port;
    this.user = e.user;
    this.client = new SftpClient(label, { error: () => {}, end: () => {}, close: () => {} }); // this class reports connection loss itself
  }

  /** Called once if the connection ends after it was established (server gone, line dropped). */
  onLost(handler: (reason: string) => void): void {
    this.lost = handler;
  }

  async connect(): Promise<void> {
    const c = this.config;
    let presented: string | undefined;
    const pinned = c.hostKey ? pinnedFingerprint(c.hostKey) : undefined;
    const where = `${this.user}@${this.host}:${this.port}`;
    const key = c.keyPath ? readSecretFile(c.keyPath, 'keyPath') : undefined;
    try {
      await this.client.connect({
        host: this.host,
        port: this.port,
        username: this.user,
        ...(key ? { privateKey: key, ...(c.keyPassphrase ? { passphrase: c.keyPassphrase } : {}) } : {}),
        ...(c.password ? { password: c.password } : {}),
        readyTimeout: c.connectTimeout,
        retries: 0,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (blob: Buffer) => {
          presented = fingerprintOf(blob);
          return pinned !== undefined && presented === pinned;
        },
      } as SftpClient.ConnectOptions);
    } catch (err) {
      await this.client.end().catch(() => undefined);
      if (presented && presented !== pinned) {
        if (!pinned) {
          throw new HostKeyError(
            'sftp-host-key-unknown',
            `${where} presented host key ${presented} and no hostKey is pinned; check that fingerprint with the partner (ssh-keyscan -p ${this.port} ${this.host} | ssh-keygen -lf -), then set hostKey: ${presented}`,
          );
        }
        throw new HostKeyError(
          'sftp-host-key-changed',
          `${where} presented host key ${presented}, not the pinned ${pinned}; refused. If the partner really changed its key, confirm the new fingerprint with them and set hostKey: ${presented}`,
        );
      }
      const text = errText(err);
      if (/authentication|auth methods/i.test(text))
        throw new ConfigError('sftp-auth-failed', `${where}: login refused (${text}); check user, keyPath or password`, { cause: err });
      throw new InterlaceError('sftp-connect-failed', `${where}: cannot connect (${text})`, { cause: err });
    }
    // ssh2-sftp-client adds a listener per operation in flight; a poller keeps many in flight at once
    (this.client as unknown as { client?: { setMaxListeners(n: number): void } }).client?.setMaxListeners(256);
    this.client.on('close', () => this.ended('the connection closed'));
    this.client.on('error', (e: Error) => this.ended(errText(e)));
  }

  private ended(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.lost?.(reason);
  }

  get connected(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }
}

/** True when an SFTP error means "no such file". */
export function isNoSuchFile(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string };
  return e?.code === 2 || e?.code === 'ENOENT' || /no such file/i.test(e?.message ?? '');
}
