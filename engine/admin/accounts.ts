import { randomUUID } from 'node:crypto';
import type { AdminRole, AdminUser, ApiToken, Store } from '../store/index.js';
import { ADMIN_ROLES } from '../store/index.js';
import { hashPassword, newSecret, passwordProblem, permissionsOf, sha256, type Principal } from './auth.js';
import { error, limitOf, readJson, TextResponse, toCsv, type AdminRoute } from './http.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const CHANNEL = /^(\*|[a-z0-9][a-z0-9-]*)$/;

/** What a caller learns about itself: `GET /api/session` and the answer to a login. */
export function sessionView(who: Principal) {
  return {
    user: who.name,
    kind: who.kind,
    role: who.role,
    channels: who.channels,
    permissions: [...permissionsOf(who.role)],
    ...(who.session ? { csrf: who.session.csrf } : {}),
  };
}

const userView = ({ passwordHash, ...u }: AdminUser) => ({ ...u, password: passwordHash !== undefined });
const tokenView = ({ tokenHash: _hash, ...t }: ApiToken) => t;

/** Role and channels of a request body, or what is wrong with them. */
function roleAndChannels(body: Record<string, unknown>, required: boolean): { role?: AdminRole; channels?: string[] } | string {
  const out: { role?: AdminRole; channels?: string[] } = {};
  if (body.role !== undefined || required) {
    if (!ADMIN_ROLES.includes(body.role as AdminRole)) return `role ${JSON.stringify(body.role)} is not one of ${ADMIN_ROLES.join(', ')}`;
    out.role = body.role as AdminRole;
  }
  if (body.channels !== undefined || required) {
    const ch = body.channels ?? ['*'];
    if (!Array.isArray(ch) || ch.length === 0 || !ch.every((c) => typeof c === 'string' && CHANNEL.test(c)))
      return 'channels must be a non-empty list of channel names, or ["*"] for every channel';
    out.channels = ch as string[];
  }
  return out;
}

/**
 * The accounts part of the admin API: who am I (`GET /api/session`; signing in and out are handled
 * by the server, which sets the cookie), users, API tokens and the audit log (admins only).
 */
export function accountRoutes(store: Store): AdminRoute[] {
  return [
    { method: 'GET', pattern: /^\/api\/session$/, need: 'read', handler: async (_r, _u, _p, who) => [200, sessionView(who)] },
    { method: 'GET', pattern: /^\/api\/users$/, handler: async () => [200, { users: (await store.listUsers()).map(userView) }] },
    {
      method: 'POST',
      pattern: /^\/api\/users$/,
      audit: 'user.add',
      handler: async (req) => {
        const body = await readJson(req);
        if (typeof body === 'string') return [400, error('invalid-request-body', body)];
        if (typeof body.name !== 'string' || !NAME.test(body.name))
          return [
            400,
            error('invalid-user', 'name must be 1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit'),
          ];
        const rc = roleAndChannels(body, true);
        if (typeof rc === 'string') return [400, error('invalid-user', rc)];
        if (await store.getUser(body.name)) return [409, error('user-exists', `a user ${body.name} exists already; change it with PATCH`)];
        if (typeof body.password !== 'string') return [400, error('invalid-user', 'password is missing')];
        const problem = passwordProblem(body.password);
        if (problem) return [400, error('weak-password', problem)];
        await store.putUser({
          name: body.name,
          role: rc.role!,
          channels: rc.channels!,
          passwordHash: await hashPassword(body.password),
          disabled: false,
        });
        return [201, { user: userView((await store.getUser(body.name))!) }];
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/api\/users\/([^/]+)$/,
      audit: 'user.change',
      handler: async (req, _u, p, who) => {
        const name = decodeURIComponent(p[0]!);
        const user = await store.getUser(name);
        if (!user) return [404, error('user-not-found', `no user ${name}`)];
        const body = await readJson(req);
        if (typeof body === 'string') return [400, error('invalid-request-body', body)];
        const rc = roleAndChannels(body, false);
        if (typeof rc === 'string') return [400, error('invalid-user', rc)];
        if (body.disabled !== undefined && typeof body.disabled !== 'boolean')
          return [400, error('invalid-user', 'disabled must be true or false')];
        // an admin never locks the engine out by accident: another admin makes that change
        if (who.kind === 'user' && who.name === name && (body.disabled === true || (rc.role !== undefined && rc.role !== 'admin')))
          return [400, error('invalid-user', 'you cannot disable your own user or take away your own admin role; another admin can')];
        let passwordHash = user.passwordHash;
        if (body.password !== undefined) {
          const problem = typeof body.password === 'string' ? passwordProblem(body.password) : 'password must be text';
          if (problem) return [400, error('weak-password', problem)];
          passwordHash = await hashPassword(body.password as string);
        }
        const next = { ...user, ...rc, disabled: (body.disabled as boolean | undefined) ?? user.disabled, passwordHash };
        await store.putUser(next);
        // a changed password, role or scope, or a disabled user: sessions opened before end now
        await store.deleteSessionsOf(name);
        return [200, { user: userView((await store.getUser(name))!) }];
      },
    },
    { method: 'GET', pattern: /^\/api\/tokens$/, handler: async () => [200, { tokens: (await store.listTokens()).map(tokenView) }] },
    {
      method: 'POST',
      pattern: /^\/api\/tokens$/,
      audit: 'token.create',
      handler: async (req, _u, _p, who) => {
        const body = await readJson(req);
        if (typeof body === 'string') return [400, error('invalid-request-body', body)];
        if (typeof body.name !== 'string' || !NAME.test(body.name))
          return [400, error('invalid-token', 'name (what the token is for) must be 1 to 64 letters, digits, dots, dashes or underscores')];
        let fields: Pick<ApiToken, 'owner' | 'role' | 'channels'>;
        if (body.user !== undefined) {
          if (typeof body.user !== 'string' || !(await store.getUser(body.user)))
            return [400, error('invalid-token', `no user ${JSON.stringify(body.user)}`)];
          if (body.role !== undefined || body.channels !== undefined)
            return [400, error('invalid-token', "a user's token acts with the user's role and channels; leave role and channels out")];
          fields = { owner: body.user };
        } else {
          const rc = roleAndChannels(body, true);
          if (typeof rc === 'string') return [400, error('invalid-token', rc)];
          fields = rc;
        }
        const secret = `ilt_${newSecret()}`;
        const id = randomUUID();
        await store.putToken({ id, name: body.name, ...fields, tokenHash: sha256(secret), createdBy: who.name });
        // the only time the token is shown: the store keeps its hash
        return [201, { token: secret, ...tokenView((await store.findToken(sha256(secret)))!) }];
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/tokens\/([0-9a-f-]{36})$/,
      audit: 'token.revoke',
      handler: async (_r, _u, p) =>
        (await store.revokeToken(p[0]!))
          ? [200, { revoked: p[0] }]
          : [404, error('token-not-found', `no token ${p[0]} that is not revoked already`)],
    },
    {
      method: 'GET',
      pattern: /^\/api\/audit$/,
      audit: 'audit.read',
      handler: async (_r, url) => {
        const limit = limitOf(url, 10_000);
        if (typeof limit === 'string') return [400, error('invalid-limit', limit)];
        const q = url.searchParams;
        for (const k of ['from', 'to'])
          if (q.get(k) !== null && Number.isNaN(Date.parse(q.get(k)!)))
            return [400, error('invalid-time', `${k} ${JSON.stringify(q.get(k))} is not a time (ISO 8601, e.g. 2026-12-05T08:00:00Z)`)];
        const before = q.get('before');
        const entries = await store.listAudit({
          actor: q.get('actor') ?? undefined,
          action: q.get('action') ?? undefined,
          from: q.get('from') ?? undefined,
          to: q.get('to') ?? undefined,
          ...(before ? { before: Number(before) } : {}),
          limit,
        });
        if (q.get('format') === 'csv') {
          const header = ['id', 'at', 'actor', 'actorKind', 'role', 'action', 'target', 'channel', 'address', 'outcome', 'detail'] as const;
          return [
            200,
            new TextResponse(
              'text/csv; charset=utf-8',
              toCsv(
                header,
                entries.map((e) => header.map((h) => e[h])),
              ),
              'interlace-audit.csv',
            ),
          ];
        }
        return [200, { entries }];
      },
    },
  ];
}
