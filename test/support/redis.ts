import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pingRedis } from '../../engine/runtime/redis.js';
import { freePort } from '../../lib/net.js';

/**
 * A Redis for tests, shared by every suite of the mocha process:
 * `REDIS_URL` when it answers PING, else 127.0.0.1:6379 when it answers, else a `redis-server`
 * started on a free port in a temporary directory (Debian package `redis-server`).
 * Each `getRedis()` must be matched by one `stop()`; a server we started stops with the last one.
 * Use `uniquePrefix()` for queue prefixes so that tests never see each other's keys.
 */
export type TestRedis = { url: string; stop(): Promise<void> };

type Shared = { url: string; child?: ChildProcess; dir?: string };

let shared: Promise<Shared> | undefined;
let users = 0;

export async function getRedis(): Promise<TestRedis> {
  users += 1;
  shared ??= locate();
  let s: Shared;
  try {
    s = await shared;
  } catch (err) {
    users -= 1;
    shared = undefined;
    throw err;
  }
  let stopped = false;
  return {
    url: s.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      users -= 1;
      if (users === 0 && shared) {
        shared = undefined;
        if (!s.child) await removeTestKeys(s.url);
        await shutdown(s);
      }
    },
  };
}

const prefixes = new Set<string>();

/** A per-test queue prefix: `t-<random>`. Its keys are removed when the last user stops. */
export function uniquePrefix(): string {
  const prefix = `t-${randomBytes(6).toString('hex')}`;
  prefixes.add(prefix);
  return prefix;
}

/** A shared Redis (not one we started) is left as we found it: the keys of our prefixes go. */
async function removeTestKeys(url: string): Promise<void> {
  if (prefixes.size === 0) return;
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  try {
    await client.connect();
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    }
    prefixes.clear();
  } catch {
    /* best effort: a test Redis that went away keeps its keys */
  } finally {
    client.disconnect();
  }
}

/** True when a Redis at `url` answers PING within a second (the engine's own check). */
export function answersPing(url: string): Promise<boolean> {
  return pingRedis(url, 1000);
}

async function locate(): Promise<Shared> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv && (await answersPing(fromEnv))) return { url: fromEnv };
  const local = 'redis://127.0.0.1:6379';
  if (await answersPing(local)) return { url: local };
  return startServer();
}

/**
 * A private Redis. `restart(whileDown)` kills it (SIGKILL), runs `whileDown` (e.g. to issue commands
 * that must wait), and starts it again on the same port with the same data.
 */
export type PrivateRedis = TestRedis & { restart(whileDown?: () => Promise<void>): Promise<void> };

/**
 * Starts a private `redis-server` (not shared) with an append-only file synced on every write, e.g.
 * for tests that kill and restart Redis. `stop()` kills it and removes its directory.
 */
export async function startRedisServer(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'interlace-redis-'));
  let s: Shared;
  try {
    s = await spawnServer(port, dir, true);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: s.url,
    stop: () => shutdown(s),
    async restart(whileDown) {
      const child = s.child!;
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      await whileDown?.();
      s = await spawnServer(port, dir, true);
    },
  };
}

async function startServer(): Promise<Shared> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'interlace-redis-'));
  try {
    return await spawnServer(port, dir, false);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function spawnServer(port: number, dir: string, durable: boolean): Promise<Shared> {
  const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence], {
    stdio: 'ignore',
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start redis-server (install the redis-server package): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before answering`)));
  });
  exited.catch(() => {});
  const onExit = (): void => void child.kill();
  process.once('exit', onExit);
  child.once('exit', () => process.off('exit', onExit));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ready = await Promise.race([answersPing(url), exited]).catch((err: Error) => err);
    if (ready instanceof Error) throw ready;
    if (ready) return { url, child, dir };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

async function shutdown(s: Shared): Promise<void> {
  const child = s.child;
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  if (s.dir) rmSync(s.dir, { recursive: true, force: true });
}
