import type { RedisOptions } from 'bullmq';
import { ConfigError } from '../lib/errors.js';

/**
 * Naming of route queues and jobs in Redis.
 *
 * A route's keys live under `<prefix>:<channel>:<route>:…` (BullMQ prefix `<prefix>:<channel>`,
 * queue name `<route>`), so `redis-cli --scan --pattern 'interlace:or-usage:*'` shows one channel.
 */

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** Refuses channel and route names that would make Redis keys ambiguous. */
export function checkName(kind: 'channel' | 'route' | 'prefix', name: string): void {
  if (!NAME.test(name)) {
    throw new ConfigError(
      'route-invalid-name',
      `${kind} name ${JSON.stringify(name.slice(0, 120))} cannot name a queue; expected 1–100 letters, digits, '.', '_' or '-'`,
    );
  }
}

/** The BullMQ prefix and queue name of a route. */
export function queueKey(prefix: string, channel: string, route: string): { prefix: string; name: string } {
  checkName('prefix', prefix);
  checkName('channel', channel);
  checkName('route', route);
  return { prefix: `${prefix}:${channel}`, name: route };
}

/**
 * The BullMQ job id of a delivery: the delivery id itself when BullMQ accepts it, else an escaped
 * form. BullMQ refuses ids containing ':' and ids that are integers; escaped ids start with '%',
 * which a plain id never contains, so two deliveries never share a job id.
 */
export function jobIdFor(deliveryId: string): string {
  const plain = !deliveryId.includes(':') && !deliveryId.includes('%') && !/^\d+$/.test(deliveryId);
  if (plain) return deliveryId;
  return '%' + deliveryId.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** ioredis options from a `redis://` / `rediss://` URL or from options, ready for BullMQ workers. */
export function toRedisOptions(connection: string | RedisOptions): RedisOptions {
  if (typeof connection !== 'string') return { ...connection, maxRetriesPerRequest: null };
  let url: URL;
  try {
    url = new URL(connection);
  } catch (cause) {
    throw new ConfigError('route-invalid-redis-url', 'the Redis URL is not a URL; expected redis://host:port[/db]', { cause });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('route-invalid-redis-url', `the Redis URL has scheme ${url.protocol}; expected redis: or rediss:`);
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new ConfigError('route-invalid-redis-url', `the Redis URL names database ${JSON.stringify(db)}; expected a number`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}
