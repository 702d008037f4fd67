import type { CertificateExpiry } from '../config/index.js';
import type { MdnRecord } from '../../lib/services.js';
import type { MdnLedger, X12Expectation, X12Ledger } from '../store/index.js';
import { overdueMetrics } from './metrics.js';
import type { EngineX12 } from './index.js';

/** What the admin API shows of X12 (`/api/acks/overdue`, `/api/partners`, `/metrics`). */
export type X12AdminBackend = {
  /** X12 acknowledgments and AS2 MDNs owed past their deadline, oldest deadline first. */
  overdue(): Promise<Array<X12Expectation | OverdueMdn>>;
  partners(): Promise<Array<Record<string, unknown>>>;
  /** Prometheus text format. */
  metrics(): Promise<string>;
  /** What we sent a partner and its two receipts (transport, functional) and business answers; undefined for an unknown partner. */
  exchanges(partner: string): Promise<Array<Record<string, unknown>> | undefined>;
};

/** An AS2 MDN owed past its deadline, as `/api/acks/overdue` lists it beside the X12 acknowledgments. */
export type OverdueMdn = {
  partner: string;
  expected: 'mdn';
  messageId: string;
  deliveryId?: string;
  as2MessageId: string;
  file?: string;
  attempts: number;
  sentAt: string;
  dueAt: string;
};

function overdueMdn(m: MdnRecord): OverdueMdn {
  return {
    partner: m.partner,
    expected: 'mdn',
    messageId: m.messageId,
    ...(m.deliveryId ? { deliveryId: m.deliveryId } : {}),
    as2MessageId: m.as2MessageId,
    ...(m.file ? { file: m.file } : {}),
    attempts: m.attempts,
    sentAt: new Date(m.sentAt).toISOString(),
    dueAt: new Date(m.dueAt).toISOString(),
  };
}

/** The transport receipt of an interchange as the partner view shows it: the MDN owed for it, received or not. */
function mdnView(m: MdnRecord, now: number) {
  const state = m.settledAt !== undefined ? 'received' : m.dueAt < now ? 'overdue' : 'open';
  return {
    expected: 'mdn',
    state,
    as2MessageId: m.as2MessageId,
    attempts: m.attempts,
    ...(m.outcome ? { code: m.outcome } : {}),
    ...(m.settledAt !== undefined ? { at: new Date(m.settledAt).toISOString() } : { dueAt: new Date(m.dueAt).toISOString() }),
  };
}

/** Overdue counts of both ledgers, added per partner. */
async function overdueCounts(ledger: X12Ledger & MdnLedger): Promise<Record<string, number>> {
  const [x12, mdns] = await Promise.all([ledger.overdueX12Counts(), ledger.overdueMdnCounts()]);
  const out = { ...x12 };
  for (const [partner, n] of Object.entries(mdns)) out[partner] = (out[partner] ?? 0) + n;
  return out;
}

const TRANSPORT = new Set(['mdn']);
const FUNCTIONAL = new Set(['997', '999']);

/** One expectation as the partner view shows it: open, overdue, or received with its code. */
function answerView(e: X12Expectation, now: number) {
  const state = e.satisfiedAt ? 'received' : Date.parse(e.dueAt) < now ? 'overdue' : 'open';
  return {
    expected: e.expected,
    ...(e.st02 ? { st02: e.st02 } : {}),
    state,
    ...(e.satisfiedCode ? { code: e.satisfiedCode } : {}),
    ...(e.satisfiedAt ? { at: e.satisfiedAt } : { dueAt: e.dueAt }),
  };
}

/**
 * The interchanges we sent a partner, newest first, each with its transport receipt (the AS2 MDN),
 * its functional acknowledgment (997/999, per set) and its business answers (855, 856), from the
 * partner's expectations in the ledger: ids, codes and times only.
 */
export function partnerExchanges(
  expectations: readonly X12Expectation[],
  now = Date.now(),
  mdns: readonly MdnRecord[] = [],
): Array<Record<string, unknown>> {
  const byInterchange = new Map<string, X12Expectation[]>();
  for (const e of expectations) {
    const key = `${e.isa13}|${e.messageId}`;
    byInterchange.set(key, [...(byInterchange.get(key) ?? []), e]);
  }
  return [...byInterchange.values()].map((list) => {
    const first = list[0]!;
    const sorted = [...list].sort((a, b) => a.id - b.id);
    return {
      isa13: first.isa13,
      messageId: first.messageId,
      ...(first.deliveryId ? { deliveryId: first.deliveryId } : {}),
      sentAt: first.sentAt,
      poNumbers: [...new Set(list.map((e) => e.poNumber).filter((p): p is string => Boolean(p)))],
      transport: [
        ...sorted.filter((e) => TRANSPORT.has(e.expected)).map((e) => answerView(e, now)),
        ...mdns.filter((m) => m.messageId === first.messageId && m.deliveryId === first.deliveryId).map((m) => mdnView(m, now)),
      ],
      functional: sorted.filter((e) => FUNCTIONAL.has(e.expected)).map((e) => answerView(e, now)),
      business: sorted.filter((e) => !TRANSPORT.has(e.expected) && !FUNCTIONAL.has(e.expected)).map((e) => answerView(e, now)),
    };
  });
}

const DAY_MS = 86_400_000;

/** A certificate as the admin API shows it: where it is referenced, whose it is, and how long it is valid, now. */
function certificateView(c: CertificateExpiry, now: number) {
  const notAfter = Date.parse(c.notAfter);
  return {
    config: c.config,
    field: c.field,
    file: c.file,
    subject: c.subject,
    notAfter: c.notAfter,
    daysLeft: Math.floor((notAfter - now) / DAY_MS),
  };
}

/** Prometheus lines: the expiry time of every referenced certificate (`interlace_certificate_expiry_timestamp_seconds`). */
export function certificateMetrics(certificates: readonly CertificateExpiry[]): string {
  const label = (v: string) => v.replace(/["\\\n]/g, '_');
  const lines = [
    '# HELP interlace_certificate_expiry_timestamp_seconds When a certificate referenced by a partner or channel file stops being valid (notAfter, Unix time).',
    '# TYPE interlace_certificate_expiry_timestamp_seconds gauge',
    ...certificates.map(
      (c) =>
        `interlace_certificate_expiry_timestamp_seconds{partner="${label(c.partner ?? '')}",config="${label(c.config)}",field="${label(c.field)}"} ${Math.floor(Date.parse(c.notAfter) / 1000)}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The admin view of the X12 ledger and the partners' certificates: ids, codes, counts and dates only. */
export function x12Admin(
  ledger: X12Ledger & MdnLedger,
  x12: Pick<EngineX12, 'partners'>,
  certificates: readonly CertificateExpiry[] = [],
): X12AdminBackend {
  return {
    overdue: async () => {
      const [x12Late, mdnsLate] = await Promise.all([ledger.overdueX12(), ledger.overdueMdns()]);
      return [...x12Late, ...mdnsLate.map(overdueMdn)].sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
    },
    partners: async () => {
      const counts = await overdueCounts(ledger);
      const now = Date.now();
      return x12.partners.ids().map((id) => {
        const p = x12.partners.config(id)!;
        return {
          id,
          name: p.name,
          isa: { qualifier: p.isa.qualifier, id: p.isa.id },
          version: p.version,
          transport: p.transport.type,
          acknowledgments: { expect: p.acknowledgments.expect, send: p.acknowledgments.send },
          overdue: counts[id] ?? 0,
          certificates: certificates.filter((c) => c.partner === id).map((c) => certificateView(c, now)),
        };
      });
    },
    exchanges: async (partner) =>
      x12.partners.config(partner)
        ? partnerExchanges(await ledger.partnerExpectations(partner), Date.now(), await ledger.partnerMdns(partner))
        : undefined,
    metrics: async () => overdueMetrics(await overdueCounts(ledger), x12.partners.ids()) + certificateMetrics(certificates),
  };
}
