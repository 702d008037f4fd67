import type { RedisOptions } from 'bullmq';
import { ConfigError } from '../lib/errors.js';

/**
 * Naming of every BullMQ queue and job in Redis; no other file names a queue.
 *
 * A queue's keys live under `<prefix>:<channel>:<kind>:<name>:…` (BullMQ prefix
 * `<prefix>:<channel>:<kind>`, queue name `<name>`): `route:<route>` for a route, the only kind today
 * (processing has no queue in Redis: its backlog is the store, see engine/runtime/process-window.ts).
 * Names cannot contain ':', so the kind segment keeps a route's queue apart from any channel-level
 * queue a later version adds, whatever the route is called, and
 * `redis-cli --scan --pattern 'interlace:or-usage:*'` still shows one channel.
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

/** What a queue carries: a route's deliveries. */
export type QueueKind = 'route';

function queueKey(prefix: string, channel: string, kind: QueueKind, name: string): { prefix: string; name: string } {
  checkName('prefix', prefix);
  checkName('channel', channel);
  return { prefix: `${prefix}:${channel}:${kind}`, name };
}

/** The BullMQ prefix and queue name of a route. */
export function routeQueueKey(prefix: string, channel: string, route: string): { prefix: string; name: string } {
  checkName('route', route);
  return queueKey(prefix, channel, 'route', route);
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

/**
 * ioredis options, ready for BullMQ workers, from:
 * - `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS): one Redis;
 * - `redis+sentinel://[user:password@]host:port[,host:port…]/MASTER[/db]`: the master that Redis
 *   Sentinel names MASTER, found through the listed Sentinels (the password is the Redis one);
 * - ioredis options as they are.
 */
export function toRedisOptions(connection: string | RedisOptions): RedisOptions {
  if (typeof connection !== 'string') return { ...connection, maxRetriesPerRequest: null };
  if (/^redis\+sentinel:/i.test(connection)) return sentinelOptions(connection);
  let url: URL;
  try {
    url = new URL(connection);
  } catch (cause) {
    throw new ConfigError('route-invalid-redis-url', 'the Redis URL is not a URL; expected redis://host:port[/db]', { cause });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(
      'route-invalid-redis-url',
      `the Redis URL has scheme ${url.protocol}; expected redis:, rediss: or redis+sentinel:`,
    );
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new ConfigError('route-invalid-redis-url', `the Redis URL names database ${JSON.stringify(db)}; expected a number`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    ...credentials(url.username, url.password),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

function credentials(username: string, password: string): Pick<RedisOptions, 'username' | 'password'> {
  return {
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
  };
}

/** The Sentinels of a `redis+sentinel://` URL, or a sentence saying what is wrong with it. */
export function parseSentinelUrl(
  connection: string,
): { sentinels: Array<{ host: string; port: number }>; name: string; db?: number; username: string; password: string } | { error: string } {
  const m = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/([^/]+)(?:\/(\d+))?\/?$/i.exec(connection);
  if (!m)
    return {
      error:
        'the Sentinel URL has no master name or a malformed host list; expected redis+sentinel://[user:password@]host:port[,host:port…]/MASTER[/db]',
    };
  const sentinels: Array<{ host: string; port: number }> = [];
  for (const node of m[3]!.split(',')) {
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(node.trim());
    const port = hp?.[2] === undefined ? 26379 : Number(hp[2]);
    if (!hp || port < 1 || port > 65535) return { error: `the Sentinel URL lists ${JSON.stringify(node)}; expected host:port` };
    sentinels.push({ host: hp[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return { sentinels, name: decodeURIComponent(m[4]!), ...(m[5] ? { db: Number(m[5]) } : {}), username: m[1] ?? '', password: m[2] ?? '' };
}

function sentinelOptions(connection: string): RedisOptions {
  const s = parseSentinelUrl(connection);
  if ('error' in s) throw new ConfigError('route-invalid-redis-url', s.error);
  return {
    sentinels: s.sentinels,
    name: s.name,
    ...credentials(s.username, s.password),
    ...(s.db !== undefined ? { db: s.db } : {}),
    // after a failover, reconnect to whichever node Sentinel now names master
    failoverDetector: true,
    maxRetriesPerRequest: null,
  };
}
