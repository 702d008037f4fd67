import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testConfigDir } from '../e2e/support.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A port nothing listens on right now (bound on 0, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(what: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return what();
}

/**
 * A supervisor (systemd, a container runtime, a terminal's Ctrl-C) signals the process it started:
 * with `npm start` that is npm. npm forwards the signal to the script's shell only, so the script
 * must `exec` the engine for the signal to reach it; otherwise node is left running under PID 1,
 * holding the ports.
 */
describe('npm start under a supervisor', function () {
  this.timeout(240_000);
  let npm: ChildProcess | undefined;
  let enginePid: number | undefined;
  const cfg = testConfigDir({
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: `npm-start-${process.pid}`,
    token: 't'.repeat(24),
  });
  after(() => {
    if (enginePid && alive(enginePid)) process.kill(enginePid, 'SIGKILL');
    if (npm?.pid && alive(npm.pid)) npm.kill('SIGKILL');
    cfg.cleanup();
  });

  it('SIGTERM to the npm process stops the engine and frees its ports', async () => {
    const [admin, mllp] = [await freePort(), await freePort()];
    let output = '';
    npm = spawn('npm', ['start', '--', '--config', cfg.dir], {
      cwd: ROOT,
      env: { ...process.env, ADMIN_PORT: String(admin), MLLP_PORT: String(mllp), INTERLACE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const up = await waitFor(async () => (await listening(admin)) && (await listening(mllp)), 180_000);
    expect(up, `the engine did not listen on ${admin} and ${mllp}:\n${output.slice(-2000)}`).to.equal(true);

    const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='])
      .toString()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((p) => p.slice(2).join(' ').includes(cfg.dir));
    const engine = rows.find((p) => p[2] === 'node' && p[3]?.startsWith('--max-semi-space-size'));
    expect(engine, `no engine process among:\n${rows.map((r) => r.join(' ')).join('\n')}`).to.not.equal(undefined);
    enginePid = Number(engine![0]);
    // the start script's environment reaches the engine itself (ADR 0025)
    const environ = readFileSync(`/proc/${enginePid}/environ`, 'utf8').split('\0');
    expect(environ, 'the engine npm start runs').to.include(`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2'}`);

    npm.kill('SIGTERM');
    const stopped = await waitFor(() => !alive(enginePid!), 60_000);
    expect(stopped, `engine ${enginePid} still runs 60 s after SIGTERM to npm:\n${output.slice(-2000)}`).to.equal(true);
    expect(await listening(admin), `admin port ${admin} still taken`).to.equal(false);
    expect(await listening(mllp), `MLLP port ${mllp} still taken`).to.equal(false);
    expect(output).to.include('"msg":"engine stopped"');
  });
});

describe('interlace start when the admin port is taken', function () {
  this.timeout(240_000);
  const cfg = testConfigDir({
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: `admin-taken-${process.pid}`,
    token: 't'.repeat(24),
  });
  after(() => cfg.cleanup());

  it('says which address is taken and what to change, in one line, and exits 1', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const admin = (holder.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, ['bin/interlace.js', 'start', '--config', cfg.dir], {
        cwd: ROOT,
        env: { ...process.env, ADMIN_PORT: String(admin), MLLP_PORT: String(await freePort()) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const last = stderr.trim().split('\n').pop() ?? '';
      expect(code, stderr.slice(-2000)).to.equal(1);
      expect(last).to.equal(
        `interlace start: the admin API cannot listen on 127.0.0.1:${admin} (another process holds it); expected a free port: set admin.port in engine.yaml (or ADMIN_PORT in the shipped one)`,
      );
      expect(stderr).to.not.match(/^\s+at /m);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
