import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { freePort } from '../../lib/net.js';

export type RedisHandle = {
  /** The URL the engine uses (the configured one, or that of the redis-server it started). */
  url: string;
  /** Set when the engine started its own redis-server. */
  supervised?: { pid: number; dir: string };
  stop(): Promise<void>;
};

/** Sends PING over a plain TCP connection; true when the server answers +PONG (or asks for AUTH). */
export function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const u = new URL(url);
  if (u.protocol === 'rediss:') return Promise.resolve(true); // TLS: let the client find out
  return new Promise((resolve) => {
    const socket = createConnection({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString('latin1'))));
  });
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function isLocal(url: string): boolean {
  const h = new URL(url).hostname;
  return h === '127.0.0.1' || h === 'localhost' || h === '::1' || h === '[::1]' || h === '';
}


/**
 * Finds the Redis the queues live in. When nothing answers at the configured URL, that URL is on this
 * machine, supervision is `auto` and `redis-server` is installed, starts one with its data (append-only
 * file on) under `<dataDir>/redis`, restarts it if it dies, and stops it with the engine. Otherwise
 * refuses with one sentence saying how to get Redis.
 */
export async function ensureRedis(options: { url: string; supervise: 'auto' | 'never'; dataDir: string; log: Logger }): Promise<RedisHandle> {
  const { url, log } = options;
  if (await pingRedis(url)) return { url, stop: async () => {} };
  if (options.supervise === 'never' || !isLocal(url)) {
    throw new ConfigError('redis-unreachable', `Redis does not answer at ${redacted(url)}; start it there or set REDIS_URL to a running Redis.`);
  }
  if (!onPath('redis-server')) {
    throw new ConfigError(
      'redis-missing',
      `Redis does not answer at ${redacted(url)} and redis-server is not installed: install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL to a running Redis.`,
    );
  }
  const dir = join(options.dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort(Number(new URL(url).port || 6379));
  const supervisor = new RedisSupervisor(port, dir, log);
  await supervisor.start();
  const ownUrl = `redis://127.0.0.1:${port}`;
  log.info({ url: ownUrl, dir, pid: supervisor.pid }, 'no Redis answered; started and supervising a local redis-server');
  return { url: ownUrl, supervised: { pid: supervisor.pid, dir }, stop: () => supervisor.stop() };
}

class RedisSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;

  constructor(
    private readonly port: number,
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--logfile', 'redis.log'];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.log.error({ code, signal }, 'supervised redis-server exited; restarting it');
      setTimeout(() => {
        if (!this.stopping) void this.start().catch((err) => this.log.error({ code: (err as { code?: string }).code }, 'redis-server did not restart'));
      }, 500);
    });
    const url = `redis://127.0.0.1:${this.port}`;
    for (let i = 0; i < 100; i++) {
      if (await pingRedis(url, 200)) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    this.stopping = true; // no restart of a server that never came up
    child.kill('SIGKILL');
    throw new ConfigError('redis-start-failed', `redis-server did not start on port ${this.port}; see ${join(this.dir, 'redis.log')}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
