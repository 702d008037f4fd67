import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { freePort, redactUrl } from '../../lib/net.js';
import type { RedisOptions } from 'ioredis';
import { parseSentinelUrl, toRedisOptions } from '../../routes/queue-names.js';

export type RedisHandle = {
  /** The URL the engine uses (the configured one, or that of the redis-server it started). */
  url: string;
  /** Set when the engine started its own redis-server. */
  supervised?: { pid: number; dir: string };
  stop(): Promise<void>;
};

/**
 * Sends PING over a plain TCP connection; true when the server answers +PONG (or asks for AUTH).
 * A `redis+sentinel://` URL: asks the Sentinels in turn which node is the master, then pings it.
 */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  if (/^redis\+sentinel:/i.test(url)) {
    const s = parseSentinelUrl(url);
    if ('error' in s) return false;
    for (const node of s.sentinels) {
      const reply = await ask(node.host, node.port, `SENTINEL get-master-addr-by-name ${s.name}`, timeoutMs);
      const addr = reply && /^\*2\r\n\$\d+\r\n([^\r]+)\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
      if (addr) return /^(\+PONG|-NOAUTH)/.test((await ask(addr[1]!, Number(addr[2]), 'PING', timeoutMs)) ?? '');
    }
    return false;
  }
  const u = new URL(url);
  if (u.protocol === 'rediss:') return true; // TLS: let the client find out
  return /^(\+PONG|-NOAUTH)/.test((await ask(u.hostname || '127.0.0.1', Number(u.port || 6379), 'PING', timeoutMs)) ?? '');
}

/** One inline command over a plain TCP connection; the first chunk of the reply, or undefined. */
function ask(host: string, port: number, command: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (reply: string | undefined) => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (d) => done(d.toString('latin1')));
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
export async function ensureRedis(options: {
  url: string;
  supervise: 'auto' | 'never';
  dataDir: string;
  log: Logger;
}): Promise<RedisHandle> {
  const { url, log } = options;
  if (await pingRedis(url)) return { url, stop: async () => {} };
  if (options.supervise === 'never' || /^redis\+sentinel:/i.test(url) || !isLocal(url)) {
    throw new ConfigError(
      'redis-unreachable',
      `Redis does not answer at ${redacted(url)}; start it there or set REDIS_URL to a running Redis.`,
    );
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
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      'redis.log',
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.log.error({ code, signal }, 'supervised redis-server exited; restarting it');
      setTimeout(() => {
        if (!this.stopping)
          void this.start().catch((err) => this.log.error({ code: (err as { code?: string }).code }, 'redis-server did not restart'));
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

const redacted = redactUrl;

/**
 * The Redis connection of the engine's leases (lib/lease.ts): the same server as the queues (a
 * `redis+sentinel://` URL follows the master), but a command fails after one retry instead of
 * waiting for the connection, so a holder cut off from Redis notices and gives its lease up.
 */
export function leaseConnection(url: string): RedisOptions {
  return { ...toRedisOptions(url), maxRetriesPerRequest: 1 };
}
