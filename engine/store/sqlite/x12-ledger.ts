import type { X12SentInterchange } from '../../../lib/services.js';
import type { Database, Statement } from 'better-sqlite3';
import type {
  ControlNumberRequest,
  ControlNumbers,
  X12AckMatch,
  X12Expectation,
  X12Ledger,
  X12OutboundRecord,
  X12ReceivedAck,
} from '../types.js';
import type { WriteBatcher } from './batcher.js';
import {
  CONTROL_KINDS as KINDS,
  EXPECTATION_SELECT,
  MAX_CONTROL_NUMBER,
  checkControlNumberRequest,
  matchedSet,
  x12AckDetail,
  toExpectation,
  type ExpectationRow,
  type OutboundRow,
  sentInterchange,
  type SentRow,
} from '../rows.js';

export { MAX_CONTROL_NUMBER };

/**
 * The X12 tables of the SQLite store (migration 2). Writes go through the store's WriteBatcher, so
 * each runs in the group-commit transaction (its own savepoint) and resolves once durable. A control
 * number counter is one row moved by a single `INSERT … ON CONFLICT DO UPDATE … RETURNING`: the
 * statement takes SQLite's write lock, so two connections can never read the same value.
 */
export class SqliteX12Ledger implements X12Ledger {
  private readonly st: Record<string, Statement>;

  constructor(
    private readonly db: Database,
    private readonly writes: WriteBatcher,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      take: p(`INSERT INTO x12_control_numbers (partner, kind, last, updated_at) VALUES (@partner, @kind, @count, @now)
               ON CONFLICT (partner, kind) DO UPDATE SET last = ((last + @count - 1) % ${MAX_CONTROL_NUMBER}) + 1, updated_at = @now
               RETURNING last`),
      insertOutbound: p(`INSERT INTO x12_outbound (partner, kind, isa13, gs06, st02, set_id, po_number, message_id, delivery_id, file, at)
                         VALUES (@partner, @kind, @isa13, @gs06, @st02, @setId, @poNumber, @messageId, @deliveryId, @file, @at)`),
      insertExpectation: p(`INSERT INTO x12_expectations (outbound_id, partner, expected, message_id, delivery_id, created_at, due_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?)`),
      byIsa: p(`SELECT * FROM x12_outbound WHERE partner = ? AND isa13 = ? AND st02 IS NOT NULL AND kind NOT IN ('997', '999', 'ta1')`),
      byGroup: p(`SELECT * FROM x12_outbound WHERE partner = ? AND gs06 = ? AND kind NOT IN ('997', '999', 'ta1') ORDER BY id DESC`),
      bySet: p(
        `SELECT * FROM x12_outbound WHERE partner = ? AND gs06 = ? AND st02 = ? AND kind NOT IN ('997', '999', 'ta1') ORDER BY id DESC LIMIT 1`,
      ),
      byPo: p(`SELECT * FROM x12_outbound WHERE partner = ? AND po_number = ? AND kind = '850' ORDER BY id DESC LIMIT 1`),
      insertAck: p(
        `INSERT INTO acks (message_id, delivery_id, direction, kind, code, detail, attempt, at) VALUES (?, ?, 'received', ?, ?, ?, NULL, ?)`,
      ),
      satisfy: p(
        `UPDATE x12_expectations SET satisfied_at = ?, satisfied_code = ?, ack_id = ? WHERE outbound_id = ? AND expected = ? AND satisfied_at IS NULL`,
      ),
      insertLink: p('INSERT INTO x12_links (partner, message_id, kind, po_number, outbound_id, at) VALUES (?, ?, ?, ?, ?, ?)'),
    };
  }

  nextControlNumbers(partner: string, request: ControlNumberRequest): Promise<ControlNumbers> {
    let counts: number[];
    try {
      counts = checkControlNumberRequest(request);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.writes.run(() => {
      const now = Date.now();
      const out: ControlNumbers = { interchanges: [], groups: [], sets: [] };
      KINDS.forEach((kind, i) => {
        const count = counts[i]!;
        if (count === 0) return;
        const { last } = this.st.take!.get({ partner, kind, count, now }) as { last: number };
        for (let k = count - 1; k >= 0; k--) out[kind].push(((last - k - 1 + MAX_CONTROL_NUMBER) % MAX_CONTROL_NUMBER) + 1);
      });
      return out;
    });
  }

  recordX12Outbound(r: X12OutboundRecord): Promise<void> {
    return this.writes.run(() => {
      const at = Date.now();
      const base = {
        partner: r.partner,
        kind: r.kind,
        isa13: r.isa13,
        messageId: r.messageId,
        deliveryId: r.deliveryId ?? null,
        file: r.file ?? null,
        at,
      };
      if (r.sets.length === 0) {
        this.st.insertOutbound!.run({ ...base, gs06: null, st02: null, setId: null, poNumber: null });
        return;
      }
      for (const s of r.sets) {
        const { lastInsertRowid } = this.st.insertOutbound!.run({
          ...base,
          gs06: s.gs06,
          st02: s.st02,
          setId: s.setId,
          poNumber: s.poNumber ?? null,
        });
        for (const e of r.expect ?? []) {
          if (e.expected === '855' && !s.poNumber) continue;
          this.st.insertExpectation!.run(lastInsertRowid, r.partner, e.expected, r.messageId, r.deliveryId ?? null, at, e.dueAt);
        }
      }
    });
  }

  recordX12Ack(ack: X12ReceivedAck): Promise<X12AckMatch> {
    return this.writes.run(() => {
      const rows = this.matchOutbound(ack);
      const at = Date.now();
      const result: X12AckMatch = { matched: [], satisfied: 0 };
      for (const row of rows) {
        const detail = x12AckDetail(ack);
        const { lastInsertRowid } = this.st.insertAck!.run(row.message_id, row.delivery_id, ack.kind, ack.code, detail, at);
        for (const expected of ack.satisfies) {
          result.satisfied += this.st.satisfy!.run(at, ack.code, lastInsertRowid, row.id, expected).changes;
        }
        result.matched.push(matchedSet(row));
      }
      return result;
    });
  }

  private matchOutbound(ack: X12ReceivedAck): OutboundRow[] {
    const a = ack.answers;
    if ('isa13' in a) return this.st.byIsa!.all(ack.partner, a.isa13.padStart(9, '0')) as OutboundRow[];
    if ('poNumber' in a) return this.st.byPo!.all(ack.partner, a.poNumber) as OutboundRow[];
    const gs06 = String(Number(a.gs06));
    if (a.st02 === undefined) {
      const rows = this.st.byGroup!.all(ack.partner, gs06) as OutboundRow[];
      const newest = rows[0]?.isa13;
      return rows.filter((r) => r.isa13 === newest);
    }
    const row = this.st.bySet!.get(ack.partner, gs06, a.st02.padStart(4, '0')) as OutboundRow | undefined;
    return row ? [row] : [];
  }

  async x12SentFor(deliveryId: string): Promise<X12SentInterchange | undefined> {
    const newest = this.db.prepare('SELECT isa13 FROM x12_outbound WHERE delivery_id = ? ORDER BY id DESC LIMIT 1').get(deliveryId) as
      { isa13: string } | undefined;
    if (!newest) return undefined;
    const rows = this.db
      .prepare('SELECT isa13, file, gs06, st02, at FROM x12_outbound WHERE delivery_id = ? AND isa13 = ? ORDER BY id')
      .all(deliveryId, newest.isa13) as SentRow[];
    return sentInterchange(rows);
  }

  linkX12Document(link: { partner: string; messageId: string; kind: string; poNumber: string }): Promise<number> {
    return this.writes.run(() => {
      const row = this.st.byPo!.get(link.partner, link.poNumber) as OutboundRow | undefined;
      if (!row) return 0;
      const at = Date.now();
      this.st.insertLink!.run(link.partner, link.messageId, link.kind, link.poNumber, row.id, at);
      this.st.satisfy!.run(at, 'linked', null, row.id, link.kind);
      return 1;
    });
  }

  async overdueX12(now = Date.now(), limit = 500): Promise<X12Expectation[]> {
    const rows = this.db
      .prepare(`${EXPECTATION_SELECT} WHERE e.satisfied_at IS NULL AND e.due_at < ? ORDER BY e.due_at LIMIT ?`)
      .all(now, Math.min(Math.max(limit, 1), 5000)) as ExpectationRow[];
    return rows.map(toExpectation);
  }

  async overdueX12Counts(now = Date.now()): Promise<Record<string, number>> {
    const rows = this.db
      .prepare('SELECT partner, COUNT(*) AS n FROM x12_expectations WHERE satisfied_at IS NULL AND due_at < ? GROUP BY partner')
      .all(now) as Array<{ partner: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.partner, r.n]));
  }

  async x12Expectations(messageId: string): Promise<X12Expectation[]> {
    const rows = this.db.prepare(`${EXPECTATION_SELECT} WHERE e.message_id = ? ORDER BY e.id`).all(messageId) as ExpectationRow[];
    return rows.map(toExpectation);
  }

  async partnerExpectations(partner: string, limit = 300): Promise<X12Expectation[]> {
    const rows = this.db
      .prepare(`${EXPECTATION_SELECT} WHERE e.partner = ? ORDER BY e.id DESC LIMIT ?`)
      .all(partner, Math.min(Math.max(limit, 1), 5000)) as ExpectationRow[];
    return rows.map(toExpectation);
  }

  async seenInterchange(sender: string, isa13: string, sinceMs: number, exceptMessageId?: string): Promise<boolean> {
    const row = this.db
      .prepare(
        `SELECT 1 FROM messages WHERE control_id = ? AND sender = ? AND received_at >= ? AND id IS NOT ?
                AND status NOT IN ('duplicate', 'rejected') LIMIT 1`,
      )
      .get(isa13, sender, sinceMs, exceptMessageId ?? null);
    return row !== undefined;
  }
}
