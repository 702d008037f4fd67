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
};

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
    metrics: async () => overdueMetrics(await ledger.overdueX12Counts(), x12.partners.ids()) + certificateMetrics(certificates),
  };
}
