import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../lib/net.js';

/**
 * A real Redis Sentinel set on loopback, for failover tests: a master and a replica (`redis-server`)
 * watched by one Sentinel (`redis-server --sentinel`, Debian package redis-server) that fails over
 * one second after the master stops answering. `url` is the engine's `redis+sentinel://` URL.
 */
export type SentinelSet = {
  url: string;
  name: string;
  /** The port of the node the Sentinel names master now. */
  masterPort(): Promise<number>;
  /** Kills the master with SIGKILL; resolves with its port. */
  killMaster(): Promise<number>;
  /** Waits until the Sentinel names another master than `oldPort`; resolves with its port. */
  failedOver(oldPort: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
};

const NAME = 'interlace-test';

export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-sentinel-'));
  const children = new Map<number, ChildProcess>();
  const start = (port: number, args: string[]) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', () => {});
    children.set(port, child);
    return child;
  };
  const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const node = (port: number, extra: string[]) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--dbfilename',
    `dump-${port}.rdb`,
    '--save',
    '',
    '--appendonly',
    'no',
    ...extra,
  ];
  start(masterPort, node(masterPort, []));
  start(replicaPort, node(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${NAME} 1000`,
      `sentinel failover-timeout ${NAME} 10000`,
      `sentinel parallel-syncs ${NAME} 1`,
      '',
    ].join('\n'),
  );
  start(sentinelPort, [conf, '--sentinel']);
  const sentinel = new Redis({
    host: '127.0.0.1',
    port: sentinelPort,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  });
  sentinel.on('error', () => {});
  const masterPortNow = async (): Promise<number> => {
    const addr = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', NAME)) as [string, string] | null;
    if (!addr) throw new Error('the Sentinel names no master');
    return Number(addr[1]);
  };
  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (!(await probe().catch(() => false))) {
      if (Date.now() > end) throw new Error(`Sentinel set: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const info = async (port: number) => {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    c.on('error', () => {});
    try {
      await c.connect();
      return await c.info('replication');
    } finally {
      c.disconnect();
    }
  };
  const stop = async () => {
    sentinel.disconnect();
    await Promise.all(
      [...children.values()].map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await gone;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until('the replica to sync', async () => /master_link_status:up/.test(await info(replicaPort)), 30_000);
    await sentinel.connect();
    await until(
      'the Sentinel to see the master and its replica',
      async () => {
        const replicas = (await sentinel.call('SENTINEL', 'replicas', NAME)) as unknown[];
        return (await masterPortNow()) === masterPort && replicas.length === 1;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis+sentinel://127.0.0.1:${sentinelPort}/${NAME}`,
    name: NAME,
    masterPort: masterPortNow,
    async killMaster() {
      const port = await masterPortNow();
      const child = children.get(port)!;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
      return port;
    },
    async failedOver(oldPort, timeoutMs) {
      await until(
        'the Sentinel to promote the replica',
        async () => (await masterPortNow()) !== oldPort && /role:master/.test(await info(await masterPortNow())),
        timeoutMs,
      );
      return masterPortNow();
    },
    stop,
  };
}
