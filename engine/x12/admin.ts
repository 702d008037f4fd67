import type { CertificateExpiry } from '../config/index.js';
import type { X12Expectation, X12Ledger } from '../store/index.js';
import { overdueMetrics } from './metrics.js';
import type { EngineX12 } from './index.js';

/** What the admin API shows of X12 (`/api/acks/overdue`, `/api/partners`, `/metrics`). */
export type X12AdminBackend = {
  overdue(): Promise<X12Expectation[]>;
  partners(): Promise<Array<Record<string, unknown>>>;
  /** Prometheus text format. */
  metrics(): Promise<string>;
  /** What we sent a partner and its two receipts (transport, functional) and business answers; undefined for an unknown partner. */
  exchanges(partner: string): Promise<Array<Record<string, unknown>> | undefined>;
};

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
export function partnerExchanges(expectations: readonly X12Expectation[], now = Date.now()): Array<Record<string, unknown>> {
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
      transport: sorted.filter((e) => TRANSPORT.has(e.expected)).map((e) => answerView(e, now)),
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
  ledger: X12Ledger,
  x12: Pick<EngineX12, 'partners'>,
  certificates: readonly CertificateExpiry[] = [],
): X12AdminBackend {
  return {
    overdue: () => ledger.overdueX12(),
    partners: async () => {
      const counts = await ledger.overdueX12Counts();
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
    exchanges: async (partner) => (x12.partners.config(partner) ? partnerExchanges(await ledger.partnerExpectations(partner)) : undefined),
    metrics: async () => overdueMetrics(await ledger.overdueX12Counts(), x12.partners.ids()) + certificateMetrics(certificates),
  };
}
