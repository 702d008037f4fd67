/**
 * Which Redis the benchmarked engine uses. `REDIS_URL` (default 127.0.0.1:6379) when it answers:
 * then a database of its own (`BENCH_REDIS_DB`, default 11), with the shipped configuration's
 * keys (`interlace:*`, its default prefix) removed before and after, so the bench neither sees nor
 * leaves other people's jobs. A database named in the URL is used as it is and never cleaned.
 * Otherwise a URL on a free local port where nothing answers, so the engine starts and supervises
 * its own redis-server.
 */
import { Redis } from 'ioredis';
import { freePort } from './engine-child.js';
import { pingRedis } from '../engine/runtime/redis.js';

export type RedisChoice = { url: string; supervised: boolean; cleanup(): Promise<void> };

const PATTERN = 'interlace:*';

const ping = (url: string) => pingRedis(url, 1000);

async function removeKeys(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', PATTERN, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export async function chooseRedis(): Promise<RedisChoice> {
  const base = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await ping(base)) {
    const u = new URL(base);
    // A database named in REDIS_URL is the caller's: used as it is, never cleaned.
    if (u.pathname !== '' && u.pathname !== '/') return { url: base, supervised: false, cleanup: async () => undefined };
    u.pathname = `/${process.env.BENCH_REDIS_DB ?? '11'}`;
    const url = u.toString();
    await removeKeys(url);
    return { url, supervised: false, cleanup: () => removeKeys(url) };
  }
  return { url: `redis://127.0.0.1:${await freePort()}`, supervised: true, cleanup: async () => undefined };
}
