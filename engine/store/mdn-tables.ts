import { randomUUID } from 'node:crypto';
import type { MdnOwed, MdnRecord } from '../../lib/services.js';
import type { SqlRunner } from './admin-tables.js';
import type { MdnLedger } from './types.js';

type MdnRow = {
  id: number;
  partner: string;
  as2_from: string;
  as2_to: string;
  as2_message_id: string;
  message_id: string;
  delivery_id: string | null;
  file: string | null;
  mode: string;
  signed: number;
  mics: string;
  attempts: number;
  sent_at: number;
  last_sent_at: number;
  due_at: number;
  settled_at: number | null;
  outcome: string | null;
  detail: string | null;
};

function toRecord(r: MdnRow): MdnRecord {
  return {
    id: Number(r.id),
    partner: r.partner,
    as2From: r.as2_from,
    as2To: r.as2_to,
    as2MessageId: r.as2_message_id,
    messageId: r.message_id,
    ...(r.delivery_id ? { deliveryId: r.delivery_id } : {}),
    ...(r.file ? { file: r.file } : {}),
    mode: r.mode === 'async' ? 'async' : 'sync',
    signed: Number(r.signed) === 1,
    mics: JSON.parse(r.mics) as Record<string, string>,
    dueAt: Number(r.due_at),
    attempts: Number(r.attempts),
    sentAt: Number(r.sent_at),
    lastSentAt: Number(r.last_sent_at),
    ...(r.settled_at !== null ? { settledAt: Number(r.settled_at) } : {}),
    ...(r.outcome ? { outcome: r.outcome } : {}),
    ...(r.detail ? { detail: r.detail } : {}),
  };
}

const limited = (limit: number) => Math.min(Math.max(limit, 1), 5000);

/**
 * The MDNs our AS2 sender asked for (migration 7), the same SQL for both stores. One row per
 * Message-ID sent to a partner: a resend of it counts an attempt and keeps the first send's deadline.
 */
export class MdnTables implements MdnLedger {
  constructor(private readonly sql: SqlRunner) {}

  async expectMdn(o: MdnOwed): Promise<void> {
    const now = Date.now();
    await this.sql.write([
      [
        `INSERT INTO as2_mdns (partner, as2_from, as2_to, as2_message_id, message_id, delivery_id, file, mode, signed, mics,
                               attempts, sent_at, last_sent_at, due_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
         ON CONFLICT (as2_to, as2_message_id) DO UPDATE SET attempts = as2_mdns.attempts + 1, last_sent_at = excluded.last_sent_at,
           mics = excluded.mics, mode = excluded.mode, signed = excluded.signed`,
        [
          o.partner,
          o.as2From,
          o.as2To,
          o.as2MessageId,
          o.messageId,
          o.deliveryId ?? null,
          o.file ?? null,
          o.mode,
          o.signed ? 1 : 0,
          JSON.stringify(o.mics),
          now,
          now,
          o.dueAt,
        ],
      ],
    ]);
  }

  async mdnOwed(as2To: string, as2MessageId: string): Promise<MdnRecord | undefined> {
    const [row] = await this.sql.all<MdnRow>('SELECT * FROM as2_mdns WHERE as2_to = ? AND as2_message_id = ?', [as2To, as2MessageId]);
    return row ? toRecord(row) : undefined;
  }

  async settleMdn(r: { id: number; outcome: string; detail: string; settle: boolean }): Promise<boolean> {
    const now = Date.now();
    const detail = r.detail.slice(0, 1000);
    // The settling call's own token: its ack line is written only when its UPDATE is the one that settled
    // the row (a concurrent settle, in this process or another, writes nothing).
    const token = randomUUID();
    const ack: [string, unknown[]] = [
      `INSERT INTO acks (message_id, delivery_id, direction, kind, code, detail, attempt, at)
       SELECT message_id, delivery_id, 'received', 'mdn', ?, ?, NULL, ? FROM as2_mdns WHERE id = ?${r.settle ? ' AND settled_by = ?' : ''}`,
      r.settle ? [r.outcome, detail, now, r.id, token] : [r.outcome, detail, now, r.id],
    ];
    if (!r.settle) return (await this.sql.write([ack]))[0]! > 0;
    const [settled] = await this.sql.write([
      [
        'UPDATE as2_mdns SET settled_at = ?, settled_by = ?, outcome = ?, detail = ? WHERE id = ? AND settled_at IS NULL',
        [now, token, r.outcome, detail, r.id],
      ],
      ack,
    ]);
    return settled! > 0;
  }

  async overdueMdns(now = Date.now(), limit = 500): Promise<MdnRecord[]> {
    const rows = await this.sql.all<MdnRow>('SELECT * FROM as2_mdns WHERE settled_at IS NULL AND due_at < ? ORDER BY due_at LIMIT ?', [
      now,
      limited(limit),
    ]);
    return rows.map(toRecord);
  }

  async overdueMdnCounts(now = Date.now()): Promise<Record<string, number>> {
    const rows = await this.sql.all<{ partner: string; n: number }>(
      'SELECT partner, COUNT(*) AS n FROM as2_mdns WHERE settled_at IS NULL AND due_at < ? GROUP BY partner',
      [now],
    );
    return Object.fromEntries(rows.map((r) => [r.partner, Number(r.n)]));
  }

  async partnerMdns(partner: string, limit = 300): Promise<MdnRecord[]> {
    const rows = await this.sql.all<MdnRow>('SELECT * FROM as2_mdns WHERE partner = ? ORDER BY id DESC LIMIT ?', [partner, limited(limit)]);
    return rows.map(toRecord);
  }

  async messageMdns(messageId: string): Promise<MdnRecord[]> {
    const rows = await this.sql.all<MdnRow>('SELECT * FROM as2_mdns WHERE message_id = ? ORDER BY id', [messageId]);
    return rows.map(toRecord);
  }
}
