import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../lib/net.js';

/**
 * A real OpenSSH server for tests (Debian `openssh-server` + `openssh-sftp-server`): `sshd -D` on a
 * free port of 127.0.0.1 with a generated host key and a generated user key, as the user running the
 * tests, SFTP through `internal-sftp`, no PAM. The test's folders live under `root`.
 */
export type TestSshd = {
  port: number;
  user: string;
  root: string;
  /** Private key file of the test user (OpenSSH format). */
  userKey: string;
  /** `SHA256:…` of the host key, as `ssh-keygen -l` prints it. */
  hostFingerprint: string;
  /** The host public key line (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  /** Restarts sshd on the same port with a new host key (a partner that changed its key). */
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
};

const SSHD = '/usr/sbin/sshd';

export function sshdAvailable(): boolean {
  try {
    execFileSync(SSHD, ['-V'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // `sshd -V` prints the version and exits 1 on older releases: present if it ran at all
    return (err as { status?: number }).status !== undefined && (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function keygen(path: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { stdio: 'ignore' });
}

function fingerprint(pubLine: string): string {
  const blob = Buffer.from(pubLine.trim().split(/\s+/)[1]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('data', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
      setTimeout(() => (s.destroy(), resolve(false)), 1000);
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd did not answer on port ${port} within 20 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A system account that may only log in with a password, for password-login tests; see `passwordAccount`. */
export type PasswordAccount = { user: string; password: string };

/**
 * The dedicated account `interlace-sftp` (no home, shell nologin, SFTP only in `startSshd`) with a
 * fresh random password. Creating an account needs root; undefined otherwise (the caller says what
 * is missing). It is never given a key, so only the password can log it in.
 */
export function passwordAccount(): PasswordAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = 'interlace-sftp';
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-M', '-N', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', user], { stdio: 'ignore' });
  }
  const password = createHash('sha256').update(`${Date.now()}:${Math.random()}`).digest('base64url').slice(0, 24);
  execFileSync('chpasswd', [], { input: `${user}:${password}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
  return { user, password };
}

export async function startSshd(options: { passwordUser?: string } = {}): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-sshd-'));
  chmodSync(dir, 0o755);
  const root = join(dir, 'sftp');
  mkdirSync(root);
  const user = execFileSync('id', ['-un']).toString().trim();
  keygen(join(dir, 'user_key'), 'interlace-test-user');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const port = await freePort();
  let generation = 0;
  let child: ChildProcess | undefined;
  let stderr = '';
  let hostPublicKey = '';

  const start = async () => {
    generation += 1;
    const hostKey = join(dir, `host_key_${generation}`);
    keygen(hostKey, `interlace-test-host-${generation}`);
    hostPublicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim();
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin yes',
      'UsePAM no',
      'StrictModes no',
      `AllowUsers ${user}${options.passwordUser ? ` ${options.passwordUser}` : ''}`,
      'Subsystem sftp internal-sftp',
      'MaxStartups 100:30:200',
      'MaxSessions 50',
      'LogLevel ERROR',
      ...(options.passwordUser ? [`Match User ${options.passwordUser}`, '  ForceCommand internal-sftp', '  PubkeyAuthentication no'] : []),
    ].join('\n');
    writeFileSync(join(dir, 'sshd_config'), `${config}\n`);
    stderr = '';
    child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await waitForPort(port, child, () => stderr);
  };
  const stopChild = async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  await start();
  return {
    port,
    user,
    root,
    userKey: join(dir, 'user_key'),
    get hostFingerprint() {
      return fingerprint(hostPublicKey);
    },
    get hostPublicKey() {
      return hostPublicKey;
    },
    async rotateHostKey() {
      await stopChild();
      await start();
    },
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP relay in front of a server, so a test can cut connections at a chosen moment (a dropped
 * line mid-transfer). `cutAfter(bytes)` drops every connection once that many more bytes went
 * through it (either way).
 */
export type Relay = { port: number; cutAll(): void; cutAfter(bytes: number): void; close(): Promise<void> };

export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let budget = Infinity;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    const pass = (to: Socket) => (d: Buffer) => {
      budget -= d.length;
      if (budget < 0) {
        budget = Infinity;
        for (const s of [...sockets]) s.destroy();
        sockets.clear();
        return;
      }
      to.write(d);
    };
    upstream.on('data', pass(client));
    client.on('data', pass(upstream));
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    cutAll() {
      for (const s of [...sockets]) s.destroy();
      sockets.clear();
    },
    cutAfter(bytes: number) {
      budget = bytes;
    },
    async close() {
      for (const s of [...sockets]) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
