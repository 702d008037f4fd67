import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './log.js';

/**
 * Leases in Redis: at most one holder of a name at a time, across every engine process sharing the
 * Redis. Used to make pollers (an SFTP folder, a recovery sweep) singletons without any clustering of
 * our own. A lease is `SET name token NX PX ttl`; the holder renews it (only while the key still holds
 * its token) every third of the TTL and releases it (again only by token) when done. When a renewal
 * finds the key gone or taken, or Redis stays unreachable until the TTL has passed, the holder has
 * lost the lease: `onLost` is called once and the holder must stop the work the lease guarded.
 */

export type LeaseOptions = {
  /** How long the lease lives without renewal, ms (also how long a dead holder blocks the others). */
  ttlMs: number;
  /** How often it is renewed, ms; default a third of `ttlMs`. */
  renewEveryMs?: number;
  /** Called once when the lease is lost (taken over, expired, or Redis unreachable past the TTL). */
  onLost?: (reason: string) => void;
};

/** A held lease. `release` gives it up (a no-op when already lost or released). */
export interface Lease {
  readonly name: string;
  readonly token: string;
  /** True until the lease is released or lost. */
  held(): boolean;
  release(): Promise<void>;
}

/** What the engine gives connectors that need a singleton (SourceContext / DestinationContext services). */
export interface Leases {
  /** Takes the lease `name` when nobody holds it; undefined when another holder has it. */
  tryAcquire(name: string, options: LeaseOptions): Promise<Lease | undefined>;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

type LeaseRedis = Redis & {
  leaseRenew(key: string, token: string, ttl: number): Promise<number>;
  leaseRelease(key: string, token: string): Promise<number>;
};

/**
 * Leases under one key prefix of one Redis connection. `close` releases every lease still held and
 * closes the connection (when this object opened it).
 */
export class RedisLeases implements Leases {
  private readonly redis: LeaseRedis;
  private readonly owned: boolean;
  private readonly active = new Set<HeldLease>();

  constructor(
    redis: Redis | string | RedisOptions,
    private readonly prefix: string,
    private readonly log?: Logger,
  ) {
    this.owned = !(redis instanceof Redis);
    const client =
      redis instanceof Redis
        ? redis
        : typeof redis === 'string'
          ? new Redis(redis, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false })
          : new Redis({ maxRetriesPerRequest: 1, ...redis });
    client.on('error', () => {}); // reported through renew failures; ioredis reconnects by itself
    if (!(client as unknown as Partial<LeaseRedis>).leaseRenew) {
      client.defineCommand('leaseRenew', { numberOfKeys: 1, lua: RENEW });
      client.defineCommand('leaseRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.redis = client as unknown as LeaseRedis;
  }

  private key(name: string): string {
    return `${this.prefix}:lease:${name}`;
  }

  async tryAcquire(name: string, options: LeaseOptions): Promise<Lease | undefined> {
    if (!(options.ttlMs >= 100)) throw new RangeError(`lease ${name}: ttlMs must be at least 100 ms, got ${options.ttlMs}`);
    const token = `${process.pid}-${randomBytes(9).toString('hex')}`;
    const ok = await this.redis.set(this.key(name), token, 'PX', Math.round(options.ttlMs), 'NX');
    if (ok !== 'OK') return undefined;
    const lease = new HeldLease(name, token, this.key(name), this.redis, options, this.log, () => this.active.delete(lease));
    this.active.add(lease);
    return lease;
  }

  /** Who holds `name` now (its token), for diagnostics; undefined when nobody does. */
  async holder(name: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(name))) ?? undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.active].map((l) => l.release()));
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

class HeldLease implements Lease {
  private timer: NodeJS.Timeout | undefined;
  private state: 'held' | 'lost' | 'released' = 'held';
  /** Until when the lease is known to be ours: the last successful renewal plus the TTL. */
  private validUntil: number;

  constructor(
    readonly name: string,
    readonly token: string,
    private readonly key: string,
    private readonly redis: LeaseRedis,
    private readonly options: LeaseOptions,
    private readonly log: Logger | undefined,
    private readonly forget: () => void,
  ) {
    this.validUntil = Date.now() + options.ttlMs;
    this.schedule();
  }

  held(): boolean {
    return this.state === 'held' && Date.now() < this.validUntil;
  }

  private schedule(): void {
    const every = this.options.renewEveryMs ?? Math.max(50, Math.floor(this.options.ttlMs / 3));
    this.timer = setTimeout(() => void this.renew(), every);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.state !== 'held') return;
    const started = Date.now();
    try {
      const ok = await this.redis.leaseRenew(this.key, this.token, Math.round(this.options.ttlMs));
      if (this.state !== 'held') return;
      if (ok !== 1) return this.lose('the lease was taken over or expired');
      this.validUntil = started + this.options.ttlMs;
    } catch (err) {
      if (this.state !== 'held') return;
      if (Date.now() >= this.validUntil) return this.lose(`Redis did not answer before the lease expired (${(err as Error).message})`);
      this.log?.warn({ lease: this.name, err: (err as Error).message }, 'lease renewal failed; trying again');
    }
    this.schedule();
  }

  private lose(reason: string): void {
    this.state = 'lost';
    clearTimeout(this.timer);
    this.forget();
    this.log?.warn({ lease: this.name, reason }, 'lease lost');
    try {
      this.options.onLost?.(reason);
    } catch {
      // the holder's callback must not break the timer loop
    }
  }

  async release(): Promise<void> {
    if (this.state !== 'held') return;
    this.state = 'released';
    clearTimeout(this.timer);
    this.forget();
    await this.redis.leaseRelease(this.key, this.token).catch((err: unknown) => {
      this.log?.warn({ lease: this.name, err: (err as Error).message }, 'lease not released; it expires by itself');
    });
  }
}
