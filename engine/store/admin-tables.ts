import { lastIdAt } from './ids.js';
import { TERMINAL_STATUSES } from './types.js';
import type {
  AdminRole,
  AdminSession,
  AdminStore,
  AdminUser,
  ApiToken,
  AuditEntry,
  AuditQuery,
  ChannelControl,
  ContentSize,
  ExceptionQuery,
  MessageQuery,
  NewAuditEntry,
  OpenAlert,
} from './types.js';
import { X12LedgerDelegate } from './x12-delegate.js';

/**
 * How the tables below reach their database. SQL is written once with `?` placeholders; the
 * PostgreSQL runner numbers them. `write` runs its statements in one transaction, committed (durable)
 * when it resolves, and resolves the number of rows each statement changed. A `lazy` write is one the
 * engine can lose and redo (see engine/store/sqlite/batcher.ts): it may share a later commit.
 */
export type SqlRunner = {
  all<T>(sql: string, args?: unknown[]): Promise<T[]>;
  write(statements: Array<[sql: string, args: unknown[]]>, options?: { lazy?: boolean }): Promise<number[]>;
};

type UserRow = {
  name: string;
  role: AdminRole;
  channels: string;
  password_hash: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
};
type TokenRow = {
  id: string;
  name: string;
  owner: string | null;
  role: AdminRole | null;
  channels: string | null;
  token_hash: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
};
type SessionRow = {
  id_hash: string;
  user_name: string;
  csrf: string;
  address: string | null;
  created_at: number;
  seen_at: number;
  expires_at: number;
};
type AuditRow = {
  id: number;
  at: number;
  actor: string;
  actor_kind: AuditEntry['actorKind'];
  role: AdminRole | null;
  action: string;
  target: string | null;
  channel: string | null;
  address: string | null;
  outcome: number;
  detail: string | null;
};

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (text: string | undefined) => (text === undefined ? undefined : Date.parse(text));

/**
 * The admin tables (migration 5, ADR 0013) and the message-side queries the admin API adds
 * (business keys, resolving an exception, arrivals per minute), the same for both stores.
 */
export class AdminTables implements AdminStore {
  constructor(private readonly sql: SqlRunner) {}

  async putUser(u: Omit<AdminUser, 'createdAt' | 'updatedAt'>): Promise<void> {
    const now = Date.now();
    await this.sql.write([
      [
        `INSERT INTO admin_users (name, role, channels, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, channels = excluded.channels, password_hash = excluded.password_hash,
         disabled = excluded.disabled, updated_at = excluded.updated_at`,
        [u.name, u.role, JSON.stringify(u.channels), u.passwordHash ?? null, u.disabled ? 1 : 0, now, now],
      ],
    ]);
  }

  async getUser(name: string): Promise<AdminUser | undefined> {
    const rows = await this.sql.all<UserRow>('SELECT * FROM admin_users WHERE name = ?', [name]);
    return rows[0] && toUser(rows[0]);
  }

  async listUsers(): Promise<AdminUser[]> {
    return (await this.sql.all<UserRow>('SELECT * FROM admin_users ORDER BY name')).map(toUser);
  }

  async putToken(t: Omit<ApiToken, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    await this.sql.write([
      [
        'INSERT INTO api_tokens (id, name, owner, role, channels, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [
          t.id,
          t.name,
          t.owner ?? null,
          t.role ?? null,
          t.channels ? JSON.stringify(t.channels) : null,
          t.tokenHash,
          t.createdBy,
          Date.now(),
        ],
      ],
    ]);
  }

  async findToken(tokenHash: string): Promise<ApiToken | undefined> {
    const rows = await this.sql.all<TokenRow>('SELECT * FROM api_tokens WHERE token_hash = ?', [tokenHash]);
    return rows[0] && toToken(rows[0]);
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.sql.all<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id')).map(toToken);
  }

  async revokeToken(id: string): Promise<boolean> {
    const [n] = await this.sql.write([['UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [Date.now(), id]]]);
    return n! > 0;
  }

  async touchToken(id: string): Promise<void> {
    await this.sql.write([['UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [Date.now(), id]]]);
  }

  async putSession(s: AdminSession): Promise<void> {
    await this.sql.write([
      [
        'INSERT INTO admin_sessions (id_hash, user_name, csrf, address, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [s.idHash, s.user, s.csrf, s.address ?? null, ms(s.createdAt), ms(s.seenAt), ms(s.expiresAt)],
      ],
      // expired sessions of anyone go with each new one, so the table stays small
      ['DELETE FROM admin_sessions WHERE expires_at < ?', [Date.now()]],
    ]);
  }

  async findSession(idHash: string): Promise<AdminSession | undefined> {
    const r = (await this.sql.all<SessionRow>('SELECT * FROM admin_sessions WHERE id_hash = ?', [idHash]))[0];
    if (!r) return undefined;
    return {
      idHash: r.id_hash,
      user: r.user_name,
      csrf: r.csrf,
      ...(r.address ? { address: r.address } : {}),
      createdAt: iso(r.created_at),
      seenAt: iso(r.seen_at),
      expiresAt: iso(r.expires_at),
    };
  }

  async touchSession(idHash: string, seenAt: number, expiresAt: number): Promise<void> {
    await this.sql.write([['UPDATE admin_sessions SET seen_at = ?, expires_at = ? WHERE id_hash = ?', [seenAt, expiresAt, idHash]]]);
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.sql.write([['DELETE FROM admin_sessions WHERE id_hash = ?', [idHash]]]);
  }

  async deleteSessionsOf(user: string): Promise<void> {
    await this.sql.write([['DELETE FROM admin_sessions WHERE user_name = ?', [user]]]);
  }

  async appendAudit(e: NewAuditEntry): Promise<void> {
    await this.sql.write([
      [
        `INSERT INTO audit_log (at, actor, actor_kind, role, action, target, channel, address, outcome, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          ms(e.at) ?? Date.now(),
          e.actor,
          e.actorKind,
          e.role ?? null,
          e.action,
          e.target ?? null,
          e.channel ?? null,
          e.address ?? null,
          e.outcome,
          e.detail ?? null,
        ],
      ],
    ]);
  }

  async openAlerts(engine: string): Promise<OpenAlert[]> {
    const rows = await this.sql.all<{ key: string; rule: string; kind: string; subject: string; summary: string; since: number }>(
      'SELECT key, rule, kind, subject, summary, since FROM alerts_open WHERE engine = ? ORDER BY since, key',
      [engine],
    );
    return rows.map((r) => ({
      key: r.key,
      rule: r.rule,
      when: r.kind,
      subject: r.subject,
      summary: r.summary,
      since: iso(Number(r.since)),
    }));
  }

  async saveAlert(engine: string, a: OpenAlert): Promise<void> {
    await this.sql.write([
      [
        `INSERT INTO alerts_open (engine, key, rule, kind, subject, summary, since) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (engine, key) DO UPDATE SET summary = excluded.summary, since = excluded.since`,
        [engine, a.key, a.rule, a.when, a.subject, a.summary, Date.parse(a.since)],
      ],
    ]);
  }

  async closeAlert(engine: string, key: string): Promise<void> {
    await this.sql.write([['DELETE FROM alerts_open WHERE engine = ? AND key = ?', [engine, key]]]);
  }

  async channelControls(): Promise<ChannelControl[]> {
    const rows = await this.sql.all<{ channel: string; state: string; by_user: string; at: number }>(
      'SELECT channel, state, by_user, at FROM channel_control ORDER BY channel',
    );
    return rows.map((r) => ({
      channel: r.channel,
      state: r.state === 'stopped' ? 'stopped' : 'running',
      by: r.by_user,
      at: iso(Number(r.at)),
    }));
  }

  async setChannelControl(c: ChannelControl): Promise<void> {
    await this.sql.write([
      [
        `INSERT INTO channel_control (channel, state, by_user, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (channel) DO UPDATE SET state = excluded.state, by_user = excluded.by_user, at = excluded.at`,
        [c.channel, c.state, c.by, Date.parse(c.at)],
      ],
    ]);
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      args.push(value);
    };
    if (q.actor) add('actor = ?', q.actor);
    if (q.action) add('action = ?', q.action);
    if (q.from) add('at >= ?', Date.parse(q.from));
    if (q.to) add('at < ?', Date.parse(q.to));
    if (q.before !== undefined) add('id < ?', q.before);
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 10_000);
    const rows = await this.sql.all<AuditRow>(
      `SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`,
      args,
    );
    return rows.map((r) => ({
      id: r.id,
      at: iso(r.at),
      actor: r.actor,
      actorKind: r.actor_kind,
      ...(r.role ? { role: r.role } : {}),
      action: r.action,
      ...(r.target ? { target: r.target } : {}),
      ...(r.channel ? { channel: r.channel } : {}),
      ...(r.address ? { address: r.address } : {}),
      outcome: r.outcome,
      ...(r.detail ? { detail: r.detail } : {}),
    }));
  }

  /** See MessageStore.resolveException: the timeline entry is written only when the status changes. */
  async resolveException(id: string, by: string, note: string): Promise<boolean> {
    const now = Date.now();
    const detail = `resolved by ${by}${note ? `: ${note}` : ''}`;
    const [, n] = await this.sql.write([
      [
        `INSERT INTO message_events (message_id, at, status, detail) SELECT id, ?, 'filtered', ? FROM messages WHERE id = ? AND status = 'error'`,
        [now, detail, id],
      ],
      [`UPDATE messages SET status = 'filtered', updated_at = ? WHERE id = ? AND status = 'error'`, [now, id]],
    ]);
    return n! > 0;
  }

  /** Lazy: the keys are recomputed from the stored message whenever it is processed again. */
  async recordKeys(messageId: string, channel: string, keys: ReadonlyArray<{ name: string; value: string }>): Promise<void> {
    await this.sql.write(
      [
        ['DELETE FROM message_keys WHERE message_id = ?', [messageId]],
        ...keys.map((k): [string, unknown[]] => [
          'INSERT INTO message_keys (message_id, channel, name, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [messageId, channel, k.name, k.value],
        ]),
      ],
      { lazy: true },
    );
  }

  async messageKeys(messageId: string): Promise<Array<{ name: string; value: string }>> {
    return this.sql.all<{ name: string; value: string }>('SELECT name, value FROM message_keys WHERE message_id = ? ORDER BY name, value', [
      messageId,
    ]);
  }

  async purgeContent(channel: string, beforeMs: number, limit: number): Promise<number> {
    const rows = await this.sql.all<{ id: string }>(
      `SELECT id FROM messages WHERE channel = ? AND received_at < ? AND content_purged_at IS NULL
         AND status IN (${TERMINAL_STATUSES.map(() => '?').join(', ')}) ORDER BY received_at LIMIT ${Math.max(1, Math.floor(limit))}`,
      [channel, beforeMs, ...TERMINAL_STATUSES],
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    const list = ids.map(() => '?').join(', ');
    const now = Date.now();
    const detail = `content purged by retention (received before ${iso(beforeMs)})`;
    const [, , , purged] = await this.sql.write([
      [
        `INSERT INTO message_events (message_id, at, status, detail) SELECT id, ?, status, ? FROM messages WHERE id IN (${list}) AND content_purged_at IS NULL`,
        [now, detail, ...ids],
      ],
      [`UPDATE deliveries SET payload = 'null' WHERE message_id IN (${list})`, ids],
      [`DELETE FROM message_keys WHERE message_id IN (${list})`, ids],
      [
        `UPDATE messages SET raw = ?, canonical = NULL, content_purged_at = ? WHERE id IN (${list}) AND content_purged_at IS NULL`,
        [Buffer.alloc(0), now, ...ids],
      ],
    ]);
    return purged!;
  }

  async contentSizes(channel: string, after: ContentSize | undefined, limit: number): Promise<ContentSize[]> {
    // octet_length, unlike length, gives the size of a text without reading it (SQLite); the range on
    // received_at keeps to the index of unpurged messages (messages_unpurged)
    const rows = await this.sql.all<{ id: string; received_at: number; bytes: number }>(
      `SELECT id, received_at, octet_length(raw) + COALESCE(octet_length(canonical), 0) AS bytes
       FROM messages WHERE channel = ? AND content_purged_at IS NULL
       ${after ? 'AND received_at <= ? AND NOT (received_at = ? AND id >= ?)' : ''}
       ORDER BY received_at DESC, id DESC LIMIT ?`,
      after ? [channel, after.receivedAt, after.receivedAt, after.id, limit] : [channel, limit],
    );
    return rows.map((r) => ({ id: r.id, receivedAt: Number(r.received_at), bytes: Number(r.bytes) }));
  }

  async arrivalsPerMinute(sinceMs: number): Promise<Array<{ minute: number; channel: string; count: number }>> {
    const rows = await this.sql.all<{ minute: number; channel: string; n: number }>(
      'SELECT received_at / 60000 AS minute, channel, COUNT(*) AS n FROM messages WHERE received_at >= ? GROUP BY received_at / 60000, channel',
      [sinceMs],
    );
    return rows.map((r) => ({ minute: Number(r.minute) * 60000, channel: r.channel, count: Number(r.n) }));
  }
}

/** The columns of a message's metadata, as both stores read them. */
export const MESSAGE_COLUMNS =
  'id, channel, received_at, status, control_id, sender, message_type, origin, duplicate_of, error, updated_at, content_purged_at';

/**
 * The message list's query (listMessages), newest first, with `?` placeholders. With a control id
 * (a few messages at most), `unindexed` keeps the channel and status terms off their indexes (each
 * dialect has its own way), which the planner would otherwise walk newest first through every
 * message of the channel or status to find an old one: the control id's index is read instead
 * (ADR 0024).
 */
export function messageListQuery(q: MessageQuery, unindexed: (column: string) => string): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => (where.push(sql), args.push(...values));
  const column = (name: string) => (q.controlId ? unindexed(name) : name);
  if (q.channel) add(`${column('channel')} = ?`, q.channel);
  if (q.status) add(`${column('status')} = ?`, q.status);
  if (q.controlId) add('control_id = ?', q.controlId);
  if (q.before) add('id < ?', q.before);
  messageFilters(q, add);
  return { sql: newestFirst(where, q.limit), args };
}

/**
 * The exception queue's query (listExceptions), newest first, with `?` placeholders. `reason` is the
 * dialect's test of the error's rule or code, with two placeholders (both take the reason).
 */
export function exceptionListQuery(q: ExceptionQuery, reason: string): { sql: string; args: unknown[] } {
  const where = [`status = 'error'`];
  const args: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => (where.push(sql), args.push(...values));
  if (q.channel) add('channel = ?', q.channel);
  if (q.reason) add(reason, q.reason, q.reason);
  if (q.before) add('id < ?', q.before);
  messageFilters({ channels: q.channels }, add);
  return { sql: newestFirst(where, q.limit), args };
}

/** Messages' metadata matching every term, newest first, 50 by default and 1000 at most. */
function newestFirst(where: string[], limit: number | undefined): string {
  const n = Math.min(Math.max(limit ?? 50, 1), 1000);
  return `SELECT ${MESSAGE_COLUMNS} FROM messages ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${n}`;
}

/** How much later than its receive time a message's id may be dated (messageFilters). */
const ID_MARGIN_MS = 3_600_000;

/**
 * The WHERE conditions of a message search for the filters both stores share (time range, business
 * key, channel scope), with `?` placeholders; `add(sql, value)` is each store's way of binding.
 */
export function messageFilters(
  q: { from?: string; to?: string; key?: { name: string; value: string }; channels?: readonly string[] },
  add: (sql: string, ...values: unknown[]) => void,
): void {
  if (q.from) add('received_at >= ?', Date.parse(q.from));
  if (q.to) {
    const to = Date.parse(q.to);
    add('received_at < ?', to);
    // Also a range of the primary key, which the list walks newest first: a message's id is made by
    // the same process at its receipt, so it is no later than its receive time plus ID_MARGIN_MS
    // (a clock stepped back, ids made ahead within a burst). Without it a `to` long ago walked every
    // newer message first.
    add('id <= ?', lastIdAt(to + ID_MARGIN_MS));
  }
  if (q.key) add('id IN (SELECT message_id FROM message_keys WHERE name = ? AND value = ?)', q.key.name, q.key.value);
  if (q.channels) {
    if (q.channels.length === 0) add('1 = 0');
    else add(`channel IN (${q.channels.map(() => '?').join(', ')})`, ...q.channels);
  }
}

function toUser(r: UserRow): AdminUser {
  return {
    name: r.name,
    role: r.role,
    channels: JSON.parse(r.channels) as string[],
    ...(r.password_hash ? { passwordHash: r.password_hash } : {}),
    disabled: Boolean(Number(r.disabled)),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function toToken(r: TokenRow): ApiToken {
  return {
    id: r.id,
    name: r.name,
    ...(r.owner ? { owner: r.owner } : {}),
    ...(r.role ? { role: r.role } : {}),
    ...(r.channels ? { channels: JSON.parse(r.channels) as string[] } : {}),
    tokenHash: r.token_hash,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    ...(r.last_used_at ? { lastUsedAt: iso(r.last_used_at) } : {}),
    ...(r.revoked_at ? { revokedAt: iso(r.revoked_at) } : {}),
  };
}

/**
 * Forwards the admin methods to a store's AdminTables (`admin`), as X12LedgerDelegate does for the
 * X12 tables, so the store is one object with the whole Store interface.
 */
export abstract class AdminDelegate extends X12LedgerDelegate implements AdminStore {
  protected abstract readonly admin: AdminTables;

  putUser(u: Omit<AdminUser, 'createdAt' | 'updatedAt'>): Promise<void> {
    return this.admin.putUser(u);
  }
  getUser(name: string): Promise<AdminUser | undefined> {
    return this.admin.getUser(name);
  }
  listUsers(): Promise<AdminUser[]> {
    return this.admin.listUsers();
  }
  putToken(t: Omit<ApiToken, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    return this.admin.putToken(t);
  }
  findToken(tokenHash: string): Promise<ApiToken | undefined> {
    return this.admin.findToken(tokenHash);
  }
  listTokens(): Promise<ApiToken[]> {
    return this.admin.listTokens();
  }
  revokeToken(id: string): Promise<boolean> {
    return this.admin.revokeToken(id);
  }
  touchToken(id: string): Promise<void> {
    return this.admin.touchToken(id);
  }
  putSession(s: AdminSession): Promise<void> {
    return this.admin.putSession(s);
  }
  findSession(idHash: string): Promise<AdminSession | undefined> {
    return this.admin.findSession(idHash);
  }
  touchSession(idHash: string, seenAt: number, expiresAt: number): Promise<void> {
    return this.admin.touchSession(idHash, seenAt, expiresAt);
  }
  deleteSession(idHash: string): Promise<void> {
    return this.admin.deleteSession(idHash);
  }
  deleteSessionsOf(user: string): Promise<void> {
    return this.admin.deleteSessionsOf(user);
  }
  appendAudit(e: NewAuditEntry): Promise<void> {
    return this.admin.appendAudit(e);
  }
  listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    return this.admin.listAudit(q);
  }
  openAlerts(engine: string): Promise<OpenAlert[]> {
    return this.admin.openAlerts(engine);
  }
  saveAlert(engine: string, alert: OpenAlert): Promise<void> {
    return this.admin.saveAlert(engine, alert);
  }
  closeAlert(engine: string, key: string): Promise<void> {
    return this.admin.closeAlert(engine, key);
  }
  channelControls(): Promise<ChannelControl[]> {
    return this.admin.channelControls();
  }
  setChannelControl(c: ChannelControl): Promise<void> {
    return this.admin.setChannelControl(c);
  }
  resolveException(id: string, by: string, note: string): Promise<boolean> {
    return this.admin.resolveException(id, by, note);
  }
  recordKeys(messageId: string, channel: string, keys: ReadonlyArray<{ name: string; value: string }>): Promise<void> {
    return this.admin.recordKeys(messageId, channel, keys);
  }
  messageKeys(messageId: string): Promise<Array<{ name: string; value: string }>> {
    return this.admin.messageKeys(messageId);
  }
  arrivalsPerMinute(sinceMs: number): Promise<Array<{ minute: number; channel: string; count: number }>> {
    return this.admin.arrivalsPerMinute(sinceMs);
  }
  purgeContent(channel: string, beforeMs: number, limit: number): Promise<number> {
    return this.admin.purgeContent(channel, beforeMs, limit);
  }
  contentSizes(channel: string, after: ContentSize | undefined, limit: number): Promise<ContentSize[]> {
    return this.admin.contentSizes(channel, after, limit);
  }
}
