import type { X12SentInterchange } from '../../../lib/services.js';
import type { Pool, PoolClient } from 'pg';
import {
  EXPECTATION_SELECT,
  MAX_CONTROL_NUMBER,
  checkControlNumberRequest,
  matchedSet,
  x12AckDetail,
  CONTROL_KINDS,
  toExpectation,
  type ExpectationRow,
  type OutboundRow,
  sentInterchange,
  type SentRow,
} from '../rows.js';
import type {
  ControlNumberRequest,
  ControlNumbers,
  X12AckMatch,
  X12Expectation,
  X12Ledger,
  X12OutboundRecord,
  X12ReceivedAck,
} from '../types.js';
import { transaction } from './pool.js';

const NOT_ACK = `kind NOT IN ('997', '999', 'ta1')`;

/**
 * The X12 tables of the PostgreSQL store. A control number counter is one row moved by
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING`: the row lock it takes makes concurrent callers in any
 * process wait for each other, so no number is handed out twice. Matching an acknowledgment and
 * satisfying its expectations is one transaction; `satisfied_at IS NULL` in the UPDATE makes a
 * second, concurrent match of the same acknowledgment satisfy nothing.
 */
export class PostgresX12Ledger implements X12Ledger {
  constructor(private readonly pool: Pool) {}

  nextControlNumbers(partner: string, request: ControlNumberRequest): Promise<ControlNumbers> {
    let counts: number[];
    try {
      counts = checkControlNumberRequest(request);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return transaction(this.pool, async (c) => {
      const now = Date.now();
      const out: ControlNumbers = { interchanges: [], groups: [], sets: [] };
      for (const [i, kind] of CONTROL_KINDS.entries()) {
        const count = counts[i]!;
        if (count === 0) continue;
        const { rows } = await c.query<{ last: number }>(
          `INSERT INTO x12_control_numbers AS n (partner, kind, last, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (partner, kind) DO UPDATE SET last = ((n.last + $3 - 1) % ${MAX_CONTROL_NUMBER}) + 1, updated_at = $4 RETURNING last`,
          [partner, kind, count, now],
        );
        const last = rows[0]!.last;
        for (let k = count - 1; k >= 0; k--) out[kind].push(((last - k - 1 + MAX_CONTROL_NUMBER) % MAX_CONTROL_NUMBER) + 1);
      }
      return out;
    });
  }

  recordX12Outbound(r: X12OutboundRecord): Promise<void> {
    return transaction(this.pool, async (c) => {
      const at = Date.now();
      const insert = (s: { gs06: string | null; st02: string | null; setId: string | null; poNumber: string | null }) =>
        c.query<{ id: number }>(
          `INSERT INTO x12_outbound (partner, kind, isa13, gs06, st02, set_id, po_number, message_id, delivery_id, file, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
          [r.partner, r.kind, r.isa13, s.gs06, s.st02, s.setId, s.poNumber, r.messageId, r.deliveryId ?? null, r.file ?? null, at],
        );
      if (r.sets.length === 0) {
        await insert({ gs06: null, st02: null, setId: null, poNumber: null });
        return;
      }
      for (const s of r.sets) {
        const { rows } = await insert({ gs06: s.gs06, st02: s.st02, setId: s.setId, poNumber: s.poNumber ?? null });
        for (const e of r.expect ?? []) {
          if (e.expected === '855' && !s.poNumber) continue;
          await c.query(
            `INSERT INTO x12_expectations (outbound_id, partner, expected, message_id, delivery_id, created_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [rows[0]!.id, r.partner, e.expected, r.messageId, r.deliveryId ?? null, at, e.dueAt],
          );
        }
      }
    });
  }

  recordX12Ack(ack: X12ReceivedAck): Promise<X12AckMatch> {
    return transaction(this.pool, async (c) => {
      const rows = await matchOutbound(c, ack);
      const at = Date.now();
      const result: X12AckMatch = { matched: [], satisfied: 0 };
      for (const row of rows) {
        const detail = x12AckDetail(ack);
        const inserted = await c.query<{ id: number }>(
          `INSERT INTO acks (message_id, delivery_id, direction, kind, code, detail, attempt, at) VALUES ($1, $2, 'received', $3, $4, $5, NULL, $6) RETURNING id`,
          [row.message_id, row.delivery_id, ack.kind, ack.code, detail, at],
        );
        for (const expected of ack.satisfies) {
          const { rowCount } = await c.query(
            'UPDATE x12_expectations SET satisfied_at = $1, satisfied_code = $2, ack_id = $3 WHERE outbound_id = $4 AND expected = $5 AND satisfied_at IS NULL',
            [at, ack.code, inserted.rows[0]!.id, row.id, expected],
          );
          result.satisfied += rowCount ?? 0;
        }
        result.matched.push(matchedSet(row));
      }
      return result;
    });
  }

  async x12SentFor(deliveryId: string): Promise<X12SentInterchange | undefined> {
    const { rows } = await this.pool.query<SentRow>(
      `SELECT isa13, file, gs06, st02, at FROM x12_outbound
        WHERE delivery_id = $1 AND isa13 = (SELECT isa13 FROM x12_outbound WHERE delivery_id = $1 ORDER BY id DESC LIMIT 1)
        ORDER BY id`,
      [deliveryId],
    );
    return sentInterchange(rows);
  }

  linkX12Document(link: { partner: string; messageId: string; kind: string; poNumber: string }): Promise<number> {
    return transaction(this.pool, async (c) => {
      const row = (
        await c.query<OutboundRow>(
          `SELECT * FROM x12_outbound WHERE partner = $1 AND po_number = $2 AND kind = '850' ORDER BY id DESC LIMIT 1`,
          [link.partner, link.poNumber],
        )
      ).rows[0];
      if (!row) return 0;
      const at = Date.now();
      await c.query('INSERT INTO x12_links (partner, message_id, kind, po_number, outbound_id, at) VALUES ($1, $2, $3, $4, $5, $6)', [
        link.partner,
        link.messageId,
        link.kind,
        link.poNumber,
        row.id,
        at,
      ]);
      await c.query(
        `UPDATE x12_expectations SET satisfied_at = $1, satisfied_code = 'linked' WHERE outbound_id = $2 AND expected = $3 AND satisfied_at IS NULL`,
        [at, row.id, link.kind],
      );
      return 1;
    });
  }

  async overdueX12(now = Date.now(), limit = 500): Promise<X12Expectation[]> {
    const { rows } = await this.pool.query<ExpectationRow>(
      `${EXPECTATION_SELECT} WHERE e.satisfied_at IS NULL AND e.due_at < $1 ORDER BY e.due_at LIMIT $2`,
      [now, Math.min(Math.max(limit, 1), 5000)],
    );
    return rows.map(toExpectation);
  }

  async overdueX12Counts(now = Date.now()): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ partner: string; n: number }>(
      'SELECT partner, COUNT(*) AS n FROM x12_expectations WHERE satisfied_at IS NULL AND due_at < $1 GROUP BY partner',
      [now],
    );
    return Object.fromEntries(rows.map((r) => [r.partner, r.n]));
  }

  async x12Expectations(messageId: string): Promise<X12Expectation[]> {
    const { rows } = await this.pool.query<ExpectationRow>(`${EXPECTATION_SELECT} WHERE e.message_id = $1 ORDER BY e.id`, [messageId]);
    return rows.map(toExpectation);
  }

  async partnerExpectations(partner: string, limit = 300): Promise<X12Expectation[]> {
    const { rows } = await this.pool.query<ExpectationRow>(`${EXPECTATION_SELECT} WHERE e.partner = $1 ORDER BY e.id DESC LIMIT $2`, [
      partner,
      Math.min(Math.max(limit, 1), 5000),
    ]);
    return rows.map(toExpectation);
  }

  async seenInterchange(sender: string, isa13: string, sinceMs: number, exceptMessageId?: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM messages WHERE control_id = $1 AND sender = $2 AND received_at >= $3 AND id IS DISTINCT FROM $4 AND status NOT IN ('duplicate', 'rejected') LIMIT 1`,
      [isa13, sender, sinceMs, exceptMessageId ?? null],
    );
    return rows.length > 0;
  }
}

async function matchOutbound(c: PoolClient, ack: X12ReceivedAck): Promise<OutboundRow[]> {
  const a = ack.answers;
  if ('isa13' in a)
    return (
      await c.query<OutboundRow>(
        `SELECT * FROM x12_outbound WHERE partner = $1 AND isa13 = $2 AND st02 IS NOT NULL AND ${NOT_ACK} ORDER BY id`,
        [ack.partner, a.isa13.padStart(9, '0')],
      )
    ).rows;
  if ('poNumber' in a)
    return (
      await c.query<OutboundRow>(
        `SELECT * FROM x12_outbound WHERE partner = $1 AND po_number = $2 AND kind = '850' ORDER BY id DESC LIMIT 1`,
        [ack.partner, a.poNumber],
      )
    ).rows;
  const gs06 = String(Number(a.gs06));
  if (a.st02 === undefined) {
    const rows = (
      await c.query<OutboundRow>(`SELECT * FROM x12_outbound WHERE partner = $1 AND gs06 = $2 AND ${NOT_ACK} ORDER BY id DESC`, [
        ack.partner,
        gs06,
      ])
    ).rows;
    const newest = rows[0]?.isa13;
    return rows.filter((r) => r.isa13 === newest);
  }
  return (
    await c.query<OutboundRow>(
      `SELECT * FROM x12_outbound WHERE partner = $1 AND gs06 = $2 AND st02 = $3 AND ${NOT_ACK} ORDER BY id DESC LIMIT 1`,
      [ack.partner, gs06, a.st02.padStart(4, '0')],
    )
  ).rows;
}
