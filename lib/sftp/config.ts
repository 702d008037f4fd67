import { z } from 'zod';
import { duration, port } from '../config-fragments.js';
import { secretFile, secretValue } from '../secrets.js';

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|rsa-sha2-(256|512)) [A-Za-z0-9+/=]+( .*)?$/;

/**
 * The SSH connection to an SFTP server, shared by the SFTP poller, the SFTP writer and the `sftp`
 * partner transport: where, who, how to authenticate, and the pinned host key.
 */
export const sftpConnectionFields = {
  url: z
    .string()
    .regex(/^sftp:\/\/[^/@\s]+@[^/:\s]+(:\d+)?(\/.*)?$/, { message: 'url must look like sftp://user@host:port/path' })
    .optional()
    .describe('The server as sftp://user@host:port/path (the path is the folder); instead of host, port, user and directory.'),
  host: z.string().min(1).optional().describe('SFTP server host name or address.'),
  port: port.optional().describe('SSH port (default 22).'),
  user: z.string().min(1).optional().describe('User name on the server.'),
  keyPath: secretFile('keyPath').optional().describe('Private key file (OpenSSH or PEM) to log in with; preferred over a password.'),
  keyPassphrase: secretValue('keyPassphrase').optional().describe('Passphrase of an encrypted private key; give it as ${ENV}.'),
  password: secretValue('password').optional().describe('Password, when the server does not take a key; give it as ${ENV}.'),
  hostKey: z
    .string()
    .refine((v) => v === '' || FINGERPRINT.test(v.trim()) || PUBLIC_KEY.test(v.trim()), {
      message: 'hostKey must be a SHA256:… fingerprint (as ssh-keygen -l prints it) or a public key line (ssh-ed25519 AAAA…)',
    })
    .optional()
    .describe(
      'The server host key we trust: its SHA256 fingerprint (SHA256:…) or its public key line. Required: an unknown or changed host key is refused, and the refusal says what to pin.',
    ),
  connectTimeout: duration.prefault('20s').describe('Longest wait for the connection and login.'),
} as const;

export type SftpConnectionConfig = {
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  keyPath?: string;
  keyPassphrase?: string;
  password?: string;
  hostKey?: string;
  connectTimeout: number;
};

/** Issues of the connection fields seen together (for a superRefine). */
export function connectionProblems(c: Partial<SftpConnectionConfig> & { directory?: string }): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  if (!c.url && (!c.host || !c.user)) out.push({ path: 'host', message: 'give url (sftp://user@host:port/path), or host and user' });
  if (!c.keyPath && !c.password) out.push({ path: 'keyPath', message: 'give keyPath (a private key file) or password (${ENV})' });
  return out;
}

/** Host, port, user and folder, from `url` or the separate fields (the fields win). */
export function endpoint(c: SftpConnectionConfig & { directory?: string }): {
  host: string;
  port: number;
  user: string;
  directory: string;
} {
  let fromUrl: { host?: string; port?: number; user?: string; directory?: string } = {};
  if (c.url) {
    const u = new URL(c.url.replace(/^sftp:/, 'http:'));
    fromUrl = {
      host: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      user: decodeURIComponent(u.username),
      directory: decodeURIComponent(u.pathname) || '/',
    };
  }
  return {
    host: c.host ?? fromUrl.host ?? '',
    port: c.port ?? fromUrl.port ?? 22,
    user: c.user ?? fromUrl.user ?? '',
    directory: c.directory ?? fromUrl.directory ?? '.',
  };
}
