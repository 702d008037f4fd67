import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AdminRole, AdminStore, AdminUser } from '../store/index.js';
import { ADMIN_ROLES } from '../store/index.js';

/**
 * Who may do what in the admin API (ADR 0013). Each role has the permissions of the roles before it:
 * viewer reads metadata, analyst sees message content and reprocesses, operator retries, resolves and
 * controls channels, admin manages users, tokens, the audit log and configuration.
 */
export type Permission = 'read' | 'phi' | 'reprocess' | 'retry' | 'resolve' | 'control' | 'admin';

const ADDED_BY_ROLE: Record<AdminRole, Permission[]> = {
  viewer: ['read'],
  analyst: ['phi', 'reprocess'],
  operator: ['retry', 'resolve', 'control'],
  admin: ['admin'],
};

/** The permissions of a role: its own and those of every role before it. */
export function permissionsOf(role: AdminRole): Set<Permission> {
  return new Set(ADMIN_ROLES.slice(0, ADMIN_ROLES.indexOf(role) + 1).flatMap((r) => ADDED_BY_ROLE[r]));
}

/** Who made a request: a signed-in user (cookie), a user's or a service's API token, or the engine's own admin token. */
export type Principal = {
  name: string;
  kind: 'user' | 'token' | 'service';
  role: AdminRole;
  /** `['*']`: every channel. */
  channels: string[];
  /** Signed in with the session cookie: state-changing requests must carry `csrf`. */
  session?: { idHash: string; csrf: string };
  tokenId?: string;
};

export function can(who: Principal, permission: Permission): boolean {
  return permissionsOf(who.role).has(permission);
}

/** The channels a principal may see, or undefined for all of them. */
export function scopeOf(who: Principal): string[] | undefined {
  return who.channels.includes('*') ? undefined : who.channels;
}

export function inScope(who: Principal, channel: string): boolean {
  return who.channels.includes('*') || who.channels.includes(channel);
}

// --- passwords -------------------------------------------------------------------------------

/** scrypt cost: 2^15 × 8 × 128 bytes = 32 MiB per hash, about 0.1 s on a server core. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keylen: 64 };

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

const maxmem = (N: number, r: number) => 128 * N * r * 2;

/** A password hash as stored: `scrypt$N$r$p$salt$hash` (base64url), so the cost can grow and old hashes still verify. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keylen } = SCRYPT;
  const key = await scrypt(password, salt, keylen, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** A hash of nothing, checked when the user does not exist, so timing does not tell which names do. */
let decoy: Promise<string> | undefined;

/** Whether `password` matches `stored`; absent `stored` spends the same time and answers false. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const hash = stored ?? (await (decoy ??= hashPassword(randomBytes(16).toString('hex'))));
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([\w-]+)\$([\w-]+)$/.exec(hash);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const want = Buffer.from(m[5]!, 'base64url');
  const got = await scrypt(password, Buffer.from(m[4]!, 'base64url'), want.length, { N, r, p, maxmem: maxmem(N, r) });
  return stored !== undefined && timingSafeEqual(got, want);
}

/** What is wrong with a new password, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12) return `a password needs at least 12 characters; this one has ${password.length}`;
  if (password.length > 1024) return 'a password has at most 1024 characters';
  return undefined;
}

// --- login rate limit ------------------------------------------------------------------------

/**
 * Failed logins per client address and per user name over a sliding window. Past the limit, login
 * answers 429 with the seconds to wait, even with the right password. Kept in memory (ADR 0013).
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits = { perAddress: 10, perUser: 5, windowMs: 15 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before trying again, or 0. */
  retryAfter(address: string, user: string): number {
    const t = this.now();
    const wait = (key: string, max: number) => {
      const list = this.recent(key, t);
      return list.length >= max ? Math.ceil((list[list.length - max]! + this.limits.windowMs - t) / 1000) : 0;
    };
    return Math.max(wait(`a:${address}`, this.limits.perAddress), wait(`u:${user.toLowerCase()}`, this.limits.perUser));
  }

  fail(address: string, user: string): void {
    const t = this.now();
    for (const key of [`a:${address}`, `u:${user.toLowerCase()}`]) this.failures.set(key, [...this.recent(key, t), t]);
    if (this.failures.size > 10_000)
      for (const [k, v] of this.failures) if (!v.some((x) => x > t - this.limits.windowMs)) this.failures.delete(k);
  }

  succeed(user: string): void {
    this.failures.delete(`u:${user.toLowerCase()}`);
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((x) => x > t - this.limits.windowMs);
  }
}

/** Who the identity provider says signed in, and what Interlace lets them do (oidc.ts). */
export type OidcIdentity = { name: string; role: AdminRole; channels: string[]; subject: string };

// --- tokens, sessions, requests --------------------------------------------------------------

export const SESSION_COOKIE = 'interlace_session';
/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 12 * 3_600_000;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const newSecret = () => randomBytes(32).toString('base64url');

function equalText(a: string, b: string): boolean {
  // digests have the same length, so the comparison time says nothing about either text
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The client's address as the socket sees it (a proxy's forwarding headers are not trusted). */
export function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Whether the request reached us over HTTPS (directly, or through a proxy on this machine that says so). */
export function secure(req: IncomingMessage): boolean {
  return 'encrypted' in req.socket || req.headers['x-forwarded-proto'] === 'https';
}

/**
 * Finds who made a request and opens and closes sessions. The engine's configured admin token is a
 * built-in service token (admin role, every channel): it is compared, never stored.
 */
export class Authenticator {
  readonly limiter = new LoginLimiter();

  constructor(
    private readonly store: AdminStore,
    private readonly serviceToken: string,
  ) {}

  /** The principal of a request, or undefined when it carries no valid credential. */
  async authenticate(req: IncomingMessage): Promise<Principal | undefined> {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) return this.fromToken(bearer);
    const sid = cookieOf(req, SESSION_COOKIE);
    return sid ? this.fromSession(sid) : undefined;
  }

  private async fromToken(token: string): Promise<Principal | undefined> {
    if (equalText(token, this.serviceToken)) return { name: 'engine-admin-token', kind: 'service', role: 'admin', channels: ['*'] };
    const t = await this.store.findToken(sha256(token));
    if (!t || t.revokedAt) return undefined;
    if (Date.now() - Date.parse(t.lastUsedAt ?? t.createdAt) > 60_000) await this.store.touchToken(t.id);
    if (t.owner) {
      const u = await this.activeUser(t.owner);
      return u && { name: u.name, kind: 'token', role: u.role, channels: u.channels, tokenId: t.id };
    }
    return { name: t.name, kind: 'service', role: t.role ?? 'viewer', channels: t.channels ?? [], tokenId: t.id };
  }

  private async fromSession(sid: string): Promise<Principal | undefined> {
    const idHash = sha256(sid);
    const s = await this.store.findSession(idHash);
    const now = Date.now();
    if (!s || Date.parse(s.expiresAt) < now) return undefined;
    const u = await this.activeUser(s.user);
    if (!u) return undefined;
    if (now - Date.parse(s.seenAt) > 60_000) await this.store.touchSession(idHash, now, now + SESSION_IDLE_MS);
    return { name: u.name, kind: 'user', role: u.role, channels: u.channels, session: { idHash, csrf: s.csrf } };
  }

  private async activeUser(name: string): Promise<AdminUser | undefined> {
    const u = await this.store.getUser(name);
    return u && !u.disabled ? u : undefined;
  }

  /**
   * Checks a name and password and opens a session. `limited`: too many failures, try again in
   * `retryAfter` seconds. The same answer for an unknown name, a disabled user and a wrong password.
   */
  async login(
    req: IncomingMessage,
    name: string,
    password: string,
  ): Promise<{ ok: true; principal: Principal; setCookie: string } | { ok: false; retryAfter?: number }> {
    const address = addressOf(req);
    const retryAfter = this.limiter.retryAfter(address, name);
    if (retryAfter > 0) return { ok: false, retryAfter };
    const user = await this.store.getUser(name);
    const ok = await verifyPassword(password, user?.disabled ? undefined : user?.passwordHash);
    if (!ok || !user) {
      this.limiter.fail(address, name);
      return { ok: false };
    }
    this.limiter.succeed(name);
    return { ok: true, ...(await this.openSession(req, user)) };
  }

  /** Opens a session for a user who proved who they are (password, or the identity provider). */
  private async openSession(req: IncomingMessage, user: AdminUser): Promise<{ principal: Principal; setCookie: string }> {
    const sid = newSecret();
    const csrf = newSecret();
    const now = Date.now();
    const idHash = sha256(sid);
    await this.store.putSession({
      idHash,
      user: user.name,
      csrf,
      address: addressOf(req),
      createdAt: new Date(now).toISOString(),
      seenAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_IDLE_MS).toISOString(),
    });
    const attrs = `HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_IDLE_MS / 1000}${secure(req) ? '; Secure' : ''}`;
    return {
      principal: { name: user.name, kind: 'user', role: user.role, channels: user.channels, session: { idHash, csrf } },
      setCookie: `${SESSION_COOKIE}=${sid}; ${attrs}`,
    };
  }

  /**
   * Opens a session for someone the identity provider vouched for (oidc.ts). Their user is created or
   * updated with the role and channels the provider's claims give, at every sign-in; it has no
   * password. Refused: a local user of that name who signs in with a password (the provider may not
   * take over a local account), and a user an admin disabled.
   */
  async oidcLogin(
    req: IncomingMessage,
    who: OidcIdentity,
  ): Promise<{ ok: true; principal: Principal; setCookie: string } | { ok: false; reason: string }> {
    const existing = await this.store.getUser(who.name);
    if (existing?.passwordHash)
      return { ok: false, reason: `${who.name} is a local Interlace user who signs in with a password, not through the identity provider` };
    if (existing?.disabled) return { ok: false, reason: `${who.name} is disabled in Interlace; ask an Interlace admin` };
    await this.store.putUser({ name: who.name, role: who.role, channels: who.channels, disabled: false });
    const user = await this.store.getUser(who.name);
    return { ok: true, ...(await this.openSession(req, user!)) };
  }

  async logout(who: Principal): Promise<string> {
    if (who.session) await this.store.deleteSession(who.session.idHash);
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  /**
   * Why a state-changing request made with the session cookie is refused, or undefined: it must
   * carry the session's CSRF token in `X-CSRF-Token`, and its `Origin`, when sent, must be ours.
   * Requests with a bearer token carry no ambient credential and pass.
   */
  csrfProblem(req: IncomingMessage, who: Principal): string | undefined {
    if (!who.session) return undefined;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.headers.host) return `the request comes from another origin (${origin})`;
    } else if (origin === 'null') return 'the request comes from an opaque origin';
    const given = req.headers['x-csrf-token'];
    if (typeof given !== 'string' || given === '') return 'the X-CSRF-Token header is missing';
    if (!equalText(given, who.session.csrf)) return 'the X-CSRF-Token header does not match this session';
    return undefined;
  }
}
