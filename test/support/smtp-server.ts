import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Debian's aiosmtpd (package python3-aiosmtpd; `.ci/run` installs it) as a real SMTP server on a
 * free port, as an ordinary user, storing what it receives in a Maildir: an SMTP peer nobody here
 * wrote. `messages()` reads the mails received so far, oldest first.
 */
export type SmtpServer = { host: string; port: number; messages(): string[]; stop(): Promise<void> };

const PYTHON = '/usr/bin/python3';

export function smtpServerAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    return existsSync('/usr/lib/python3/dist-packages/aiosmtpd');
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('data', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

export async function startSmtpServer(): Promise<SmtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-smtp-'));
  const maildir = join(dir, 'maildir');
  const port = await freePort();
  const child: ChildProcess = spawn(
    PYTHON,
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  for (let i = 0; !(await answers(port)); i++) {
    if (i > 100 || child.exitCode !== null) {
      child.kill();
      throw new Error(`aiosmtpd did not start on port ${port}: ${stderr.slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: '127.0.0.1',
    port,
    messages() {
      const folder = join(maildir, 'new');
      if (!existsSync(folder)) return [];
      return readdirSync(folder)
        .sort()
        .map((f) => readFileSync(join(folder, f), 'utf8'));
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
